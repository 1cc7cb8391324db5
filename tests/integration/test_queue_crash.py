"""SQS under SIGKILL: every acknowledged message is still there or was deleted by its receiver, and no
FIFO group ever had two messages in flight at once."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest

from tests.harness.server import ServerProcess

VISIBILITY = 3


@pytest.mark.server
@pytest.mark.slow
def test_acknowledged_messages_survive_sigkill_and_fifo_groups_stay_exclusive(tmp_path: Path) -> None:
    server = ServerProcess(str(tmp_path / "yard.db")).start()
    sqs = server.client("sqs")
    standard = sqs.create_queue(QueueName="work")["QueueUrl"]
    fifo = sqs.create_queue(QueueName="work.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]

    lock = threading.Lock()
    sent: set[str] = set()
    deleted: set[str] = set()
    deleting: set[str] = set()  # delete sent, no answer: the kill may have come before or after it committed
    # FIFO group -> [receipt handle in flight, when it was received, when its delete was sent (or None)]
    holders: dict[str, list[Any]] = {}
    violations: list[str] = []
    stop = threading.Event()

    def sender(client: Any, lane: int) -> None:
        n = 0
        while not stop.is_set():
            n += 1
            body = f"{lane}-{n}"
            try:
                if lane % 2:
                    client.send_message(QueueUrl=standard, MessageBody=body)
                else:
                    group = f"g{n % 4}"
                    client.send_message(
                        QueueUrl=fifo, MessageBody=body, MessageGroupId=group, MessageDeduplicationId=body
                    )
            except Exception:
                return
            with lock:
                sent.add(body)

    def receiver(client: Any, url: str) -> None:
        while not stop.is_set():
            try:
                got = client.receive_message(
                    QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=VISIBILITY, AttributeNames=["All"]
                ).get("Messages", [])
            except Exception:
                return
            returned = time.monotonic()
            groups = {}
            with lock:
                handles = {m["ReceiptHandle"] for m in got}
                for message in got:
                    group = message["Attributes"].get("MessageGroupId")
                    if group is None:
                        continue
                    held = holders.get(group)
                    # A definite violation: another message of the group is in flight, its lease not
                    # expired, and its receiver had not even sent the delete when this receive returned.
                    if (
                        held is not None
                        and held[0] not in handles
                        and returned - held[1] < VISIBILITY
                        and (held[2] is None or held[2] > returned)
                    ):
                        violations.append(f"group {group} handed out while another message of it was in flight")
                    groups[message["ReceiptHandle"]] = group
                    holders[group] = [message["ReceiptHandle"], returned, None]
            for message in got:
                with lock:
                    group = groups.get(message["ReceiptHandle"])
                    if group is not None and holders[group][0] == message["ReceiptHandle"]:
                        holders[group][2] = time.monotonic()
                with lock:
                    deleting.add(message["Body"])
                try:
                    client.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
                except Exception:
                    return
                with lock:
                    deleting.discard(message["Body"])
                    deleted.add(message["Body"])

    clients = [server.client("sqs") for _ in range(6)]  # made here: boto3 client creation is not thread-safe
    threads = [threading.Thread(target=sender, args=(clients[i], i)) for i in range(2)]
    threads += [threading.Thread(target=receiver, args=(clients[2], standard))]
    threads += [threading.Thread(target=receiver, args=(clients[3 + i], fifo)) for i in range(2)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 20
    while len(sent) < 800 and time.monotonic() < deadline:
        time.sleep(0.05)
    server.kill()
    stop.set()
    for thread in threads:
        thread.join()
    assert len(sent) >= 800 and deleted, "the clients did not get going"
    assert not violations, violations[:3]

    server.start()
    try:
        sqs = server.client("sqs")
        remaining: set[str] = set()
        deadline = time.monotonic() + VISIBILITY + 30
        while not sent <= deleted | remaining | deleting and time.monotonic() < deadline:
            for url in (standard, fifo):
                for message in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get(
                    "Messages", []
                ):
                    remaining.add(message["Body"])
                    sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        lost = sent - deleted - remaining - deleting
        assert len(deleting) <= 6, "only the deletes in flight at the kill are unaccounted for"
        assert not lost, f"{len(lost)} of {len(sent)} acknowledged messages lost, e.g. {sorted(lost)[:5]}"
    finally:
        server.stop()
