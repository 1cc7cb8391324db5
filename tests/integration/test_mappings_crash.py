"""An SQS event source mapping under SIGKILL: a batch whose function was running when the server died
comes back after its visibility timeout, and every message reaches the function.

(The worker process running the batch may outlive the server and finish its handler; the batch is
delivered again all the same, since only the dead server could have deleted it: at least once.)"""

from __future__ import annotations

import io
import time
import zipfile
from pathlib import Path
from typing import Any

import pytest

from tests.harness.server import ServerProcess

VISIBILITY = 4
MESSAGES = 30

HANDLER = """
import os, time
import boto3

sqs = boto3.client("sqs")


def handler(event, context):
    open(os.path.join(os.environ["MARKS"], f"batch-{time.time_ns()}"), "w").close()
    time.sleep(1.0)  # long enough to be killed in the middle of it
    for record in event["Records"]:
        receives = {"DataType": "Number", "StringValue": record["attributes"]["ApproximateReceiveCount"]}
        sqs.send_message(
            QueueUrl=os.environ["OUT_QUEUE"], MessageBody=record["body"], MessageAttributes={"receives": receives}
        )
"""


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.py", HANDLER)
    return buffer.getvalue()


def _drain(sqs: Any, url: str, into: set[str], receives: list[int]) -> None:
    answer = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1, MessageAttributeNames=["All"])
    for message in answer.get("Messages", []):
        into.add(message["Body"])
        receives.append(int(message["MessageAttributes"]["receives"]["StringValue"]))
        sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])


def _wait(condition: Any, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


@pytest.mark.server
@pytest.mark.slow
def test_a_batch_in_flight_when_the_server_dies_comes_back(tmp_path: Path) -> None:
    marks = tmp_path / "marks"
    marks.mkdir()
    server = ServerProcess(str(tmp_path / "yard.db")).start()
    try:
        sqs, lam = server.client("sqs"), server.client("lambda")
        source = sqs.create_queue(QueueName="src", Attributes={"VisibilityTimeout": str(VISIBILITY)})["QueueUrl"]
        out = sqs.create_queue(QueueName="out")["QueueUrl"]
        source_arn = sqs.get_queue_attributes(QueueUrl=source, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        lam.create_function(
            FunctionName="forward",
            Runtime="python3.12",
            Handler="app.handler",
            Role="arn:aws:iam::000000000000:role/lambda",
            Code={"ZipFile": _zip()},
            Timeout=30,
            Environment={"Variables": {"OUT_QUEUE": out, "MARKS": str(marks)}},
        )
        assert _wait(lambda: lam.get_function(FunctionName="forward")["Configuration"]["State"] == "Active", 30)
        bodies = {f"m{n}" for n in range(MESSAGES)}
        for start in range(0, MESSAGES, 10):
            entries = [{"Id": str(i), "MessageBody": f"m{start + i}"} for i in range(10)]
            sqs.send_message_batch(QueueUrl=source, Entries=entries)
        lam.create_event_source_mapping(EventSourceArn=source_arn, FunctionName="forward", BatchSize=10)
        assert _wait(lambda: any(marks.iterdir()), 30), "the function was never invoked"
        server.kill()  # the function is in the middle of its first batch

        server.start()
        sqs = server.client("sqs")

        def source_empty() -> bool:
            counts = sqs.get_queue_attributes(
                QueueUrl=source, AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
            )["Attributes"]
            return counts == {"ApproximateNumberOfMessages": "0", "ApproximateNumberOfMessagesNotVisible": "0"}

        assert _wait(source_empty, 60)  # each message deleted once some delivery of it succeeded
        arrived: set[str] = set()
        receives: list[int] = []
        assert _wait(lambda: (_drain(sqs, out, arrived, receives), arrived >= bodies)[1], 30), sorted(bodies - arrived)
        _drain(sqs, out, arrived, receives)
        # the batch in flight at the kill was never deleted: it came back after its visibility timeout
        assert max(receives) >= 2
    finally:
        server.stop()
