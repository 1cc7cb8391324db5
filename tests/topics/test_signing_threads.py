"""Where notifications are signed: the C extension's threads (off the GIL) or the event loop.

Both must give the same signatures (PKCS#1 v1.5 is deterministic), so that a verifier cannot tell
where a message was signed; a machine with a C compiler and OpenSSL's headers must have built the
extension (setup.py), and from the source beside it.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

import eventyard
from eventyard.topics import signing
from tests.topics.helpers import drain, envelopes, subscribed_queue, topic
from tests.topics.test_signatures import verify

SOURCE = Path(signing.__file__).with_name("_signer.c")
OPENSSL_HEADERS = Path("/usr/include/openssl/evp.h")


def test_the_extension_is_built_where_it_can_be_and_from_its_source() -> None:
    built = list(SOURCE.parent.glob("_signer.*.so"))
    if OPENSSL_HEADERS.exists():  # this machine can build it: the install must have
        assert signing._signer is not None, "the SNS signer was not built: see pip's output of setup.py"
    for library in built:
        assert library.stat().st_mtime >= SOURCE.stat().st_mtime, "built before _signer.c changed: run `make test`"


@pytest.mark.skipif(signing._signer is None, reason="the C extension is not built on this machine")
@pytest.mark.parametrize("version", ["1", "2"])
async def test_the_threads_sign_each_message_as_the_loop_would(yard: eventyard.Yard, version: str) -> None:
    signer = yard.services["sns"].signer  # type: ignore[attr-defined]
    assert signer.early
    documents = [
        {"Type": "Notification", "MessageId": f"id-{n}", "TopicArn": "arn:aws:sns:us-east-1:000000000000:t",
         "Message": f"order {n} ö", "Timestamp": "2026-12-03T12:00:00.000Z", **({"Subject": "Hi"} if n % 2 else {})}
        for n in range(50)
    ]  # fmt: skip
    pending = [signer.submit(document, version) for document in documents]  # both threads, in turn
    deadline = time.monotonic() + 30  # real threads: wait for them (nothing here runs on the yard's clock)
    while not all(p.ready() for p in pending) and time.monotonic() < deadline:
        time.sleep(0.001)
    assert [p.claim() for p in pending] == [signer.sign(document, version) for document in documents]


@pytest.mark.skipif(signing._signer is None, reason="the C extension is not built on this machine")
async def test_a_signature_no_thread_has_started_is_left_to_the_caller(yard: eventyard.Yard) -> None:
    signer = yard.services["sns"].signer  # type: ignore[attr-defined]
    document = {"Type": "Notification", "MessageId": "m", "TopicArn": "arn:aws:sns:us-east-1:000000000000:t",
                "Message": "last in line", "Timestamp": "2026-12-03T12:00:00.000Z"}  # fmt: skip
    queued = [signer.submit({**document, "MessageId": f"m{n}"}, "1") for n in range(400)]
    claimed = queued[-1].claim()  # the last of 400 (~100 µs each): not started yet
    assert claimed is None
    assert queued[-1].claim() is None and not queued[-1].ready()  # and never made by a thread


@pytest.mark.parametrize("threads", ["2", "0"])
async def test_publishes_together_verify_wherever_they_are_signed(
    monkeypatch: pytest.MonkeyPatch, threads: str
) -> None:
    monkeypatch.setenv("EVENTYARD_SNS_SIGNING_THREADS", threads)
    async with eventyard.open("memory://") as yard:
        assert yard.services["sns"].signer.early is (threads != "0" and signing._signer is not None)  # type: ignore[attr-defined]
        arn = await topic(yard, "signed-together")
        url, _, _ = await subscribed_queue(yard, arn, "signed-together")
        sns = yard.client("sns")
        await asyncio.gather(*(sns.publish(TopicArn=arn, Message=f"m{n}", Subject="S") for n in range(20)))
        messages = envelopes(await drain(yard.client("sqs"), url, expect=20))
        assert sorted(m["Message"] for m in messages) == sorted(f"m{n}" for n in range(20))
        for message in messages:
            await verify(yard, message)
