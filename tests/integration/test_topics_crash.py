"""Durable means durable: every message Publish acknowledged before a SIGKILL reaches every subscribed queue."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import pytest

from tests.harness.server import ServerProcess


@pytest.mark.server
@pytest.mark.slow
def test_messages_published_before_sigkill_reach_every_subscribed_queue_after_restart(tmp_path: Path) -> None:
    server = ServerProcess(str(tmp_path / "yard.db")).start()
    sqs, sns = server.client("sqs"), server.client("sns")
    topic = sns.create_topic(Name="orders")["TopicArn"]
    urls = []
    for name in ("billing", "shipping", "audit"):
        url = sqs.create_queue(QueueName=name)["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        raw = {"RawMessageDelivery": "true"} if name == "audit" else {}
        sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn, Attributes=raw)
        urls.append(url)

    accepted: set[str] = set()
    lock = threading.Lock()
    stop = threading.Event()

    def producer(lane: int, client: object) -> None:
        n = 0
        while not stop.is_set():
            message = f"lane-{lane}-{n}"
            n += 1
            try:
                if n % 3:
                    result = client.publish(TopicArn=topic, Message=message)  # type: ignore[attr-defined]
                    acknowledged = [message] if result.get("MessageId") else []
                else:
                    entries = [{"Id": str(i), "Message": f"{message}-{i}"} for i in range(5)]
                    batch = client.publish_batch(TopicArn=topic, PublishBatchRequestEntries=entries)  # type: ignore[attr-defined]
                    done = {s["Id"] for s in batch.get("Successful", []) if s.get("MessageId")}
                    acknowledged = [f"{message}-{i}" for i in range(5) if str(i) in done]
            except Exception:
                return  # the server died mid-call: that publish was never acknowledged
            with lock:
                accepted.update(acknowledged)

    clients = [server.client("sns") for _ in range(4)]  # made here: boto3 clients are not thread-safe to create
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
        for url in urls:
            delivered: set[str] = set()
            deadline = time.monotonic() + 20
            while not accepted <= delivered and time.monotonic() < deadline:
                for message in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
                    body = message["Body"]
                    delivered.add(body if url.endswith("audit") else json.loads(body)["Message"])
                    sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
            lost = accepted - delivered
            assert not lost, f"{url}: {len(lost)} of {len(accepted)} acknowledged messages never delivered"
    finally:
        server.stop()
