"""Durable means durable: every event PutEvents accepted before a SIGKILL is delivered after restart."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import pytest

from tests.harness.server import ServerProcess


@pytest.mark.server
@pytest.mark.slow
def test_events_accepted_before_sigkill_are_all_delivered_after_restart(tmp_path: Path) -> None:
    server = ServerProcess(str(tmp_path / "yard.db")).start()
    sqs, events = server.client("sqs"), server.client("events")
    url = sqs.create_queue(QueueName="orders")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events.put_rule(Name="orders", EventPattern=json.dumps({"source": ["shop"]}))
    events.put_targets(Rule="orders", Targets=[{"Id": "q", "Arn": arn}])

    accepted: set[str] = set()
    lock = threading.Lock()
    stop = threading.Event()

    def producer(lane: int, client: object) -> None:
        n = 0
        while not stop.is_set():
            entries = [
                {"Source": "shop", "DetailType": "t", "Detail": json.dumps({"lane": lane, "n": n + i})}
                for i in range(5)
            ]
            n += 5
            try:
                result = client.put_events(Entries=entries)  # type: ignore[attr-defined]
            except Exception:
                return  # the server died mid-call: that batch was never acknowledged
            # A server killed between sending the headers and the body leaves an answer without
            # Entries (botocore reads the cut body as {}): nothing in it was acknowledged.
            with lock:
                accepted.update(e["EventId"] for e in result.get("Entries", []) if "EventId" in e)

    # boto3 clients are made here: creating them from several threads at once is not safe.
    clients = [server.client("events") for _ in range(4)]
    threads = [threading.Thread(target=producer, args=(lane, clients[lane])) for lane in range(4)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 20
    while len(accepted) < 600 and time.monotonic() < deadline:
        time.sleep(0.05)
    server.kill()
    stop.set()
    for thread in threads:
        thread.join()
    assert len(accepted) >= 600, "the producers did not get going"

    server.start()
    try:
        sqs = server.client("sqs")
        delivered: set[str] = set()
        deadline = time.monotonic() + 20  # well inside a lease: a restarted node delivers its own rows at once
        while not accepted <= delivered and time.monotonic() < deadline:
            for message in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
                delivered.add(json.loads(message["Body"])["id"])
                sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        lost = accepted - delivered
        assert not lost, f"{len(lost)} of {len(accepted)} accepted events never delivered"
    finally:
        server.stop()
