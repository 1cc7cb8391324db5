"""A second client: the AWS SDK for JavaScript v3 against a real server, with its own serializers,
parsers and checks (SQS's MD5s of bodies and attributes, timestamps, blobs), one scenario per service
(``tests/js/wire.mjs``). ``make test`` installs the SDK with npm; without node or npm the tests skip,
and CI (``EVENTYARD_REQUIRE_JS=1``) fails instead of skipping."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.harness.server import ServerProcess

JS = Path(__file__).resolve().parent.parent / "js"
READY = shutil.which("node") is not None and (JS / "node_modules" / "@aws-sdk" / "client-sqs").is_dir()

if not READY and os.environ.get("EVENTYARD_REQUIRE_JS"):
    raise RuntimeError("EVENTYARD_REQUIRE_JS is set, but node or tests/js/node_modules is missing (make test)")
pytestmark = pytest.mark.skipif(not READY, reason="node and the AWS SDK for JavaScript (npm ci --prefix tests/js)")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    with ServerProcess(str(tmp_path_factory.mktemp("js") / "yard.db")) as running:
        yield running


def scenario(server: ServerProcess, name: str) -> Any:
    result = subprocess.run(
        ["node", "--no-warnings", "wire.mjs", server.endpoint, name],
        cwd=JS,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout)


def test_sqs_bodies_attributes_and_fifo_order_pass_the_sdks_checksums(server: ServerProcess) -> None:
    seen = scenario(server, "sqs")
    assert seen["sentMd5"] == "aa0c8a307a4488bfe0cb56530da19bc3"  # MD5 of the UTF-8 body, checked by the SDK too
    assert (seen["batchSuccessful"], seen["batchFailed"]) == (3, 0)
    assert seen["bodies"] == ["batch 0", "batch 1", "batch 2", "héllo wörld ✓"]
    assert seen["binary"] == [0, 1, 2, 250]
    assert seen["sentTimestampIsNumber"] is True
    assert seen["fifoOrder"] == ["f1", "f2", "f3"]
    assert seen["fifoGroups"] == ["g", "g", "g"]


def test_sns_query_answers_and_the_envelope_a_queue_receives(server: ServerProcess) -> None:
    seen = scenario(server, "sns")
    assert seen["subscriptionArn"].startswith(seen["topicArn"] + ":")
    assert seen["listed"] == [seen["subscriptionArn"]]
    assert seen["confirmed"] == "1"
    assert seen["envelope"] == {
        "Type": "Notification",
        "MessageId": seen["messageId"],
        "Message": "ship it",
        "Subject": "order",
        "kind": "order",
    }


def test_eventbridge_rule_to_queue(server: ServerProcess) -> None:
    seen = scenario(server, "events")
    assert seen["ruleArn"].endswith(":rule/" + seen["rules"][0])
    assert (seen["failedTargets"], seen["failedEvents"], seen["eventIds"]) == (0, 0, [True, True])
    assert seen["delivered"] == 1
    assert seen["event"] == {"id": True, "source": "js.orders", "order": "o-1"}


def test_step_functions_execution_with_dates_and_history(server: ServerProcess) -> None:
    seen = scenario(server, "stepfunctions")
    assert seen["status"] == "SUCCEEDED"
    assert seen["output"] == {"order": "o-1", "n": 42}
    assert seen["creationDateIsDate"] and seen["startDateIsDate"] and seen["eventTimestampsAreDates"]
    assert seen["stopAfterStart"] is True
    assert seen["events"] == [
        "ExecutionStarted",
        "PassStateEntered",
        "PassStateExited",
        "WaitStateEntered",
        "WaitStateExited",
        "SucceedStateEntered",
        "SucceedStateExited",
        "ExecutionSucceeded",
    ]
    assert seen["listed"] == ["first"]


@pytest.mark.parametrize("client", ["kinesis", "kinesis-http1"])
def test_kinesis_records_as_bytes_across_shards_and_subscribe_to_shard(server: ServerProcess, client: str) -> None:
    """The SDK's Kinesis client speaks HTTP/2 with prior knowledge by default; over HTTP/1.1 too."""
    seen = scenario(server, client)
    assert seen["subscribedWanted"] > 0
    assert seen["subscribed"] == seen["subscribedWanted"]
    assert (seen["status"], seen["openShards"], seen["shards"], seen["failed"]) == ("ACTIVE", 2, 2, 0)
    assert seen["sequenceNumbers"] is True
    assert seen["singleShard"].startswith("shardId-")
    assert seen["texts"] == sorted(f"record {n}" for n in range(20))
    assert seen["binary"] == [[0, 255, 7]]
    assert seen["arrivalIsDate"] is True
