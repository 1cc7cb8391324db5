"""Lambda through boto3 against a real server: zip functions in workers, in-process ones from --app."""

from __future__ import annotations

import base64
import json
import time
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from tests.functions.helpers import ROLE, zipped
from tests.harness.server import ServerProcess

SENDER = (
    "import json, os\nimport boto3\n\nsqs = boto3.client('sqs')\n\n"
    "def handler(event, context):\n"
    "    sqs.send_message(QueueUrl=os.environ['OUT_QUEUE'], MessageBody=json.dumps(event))\n"
    "    return 'sent'\n"
)


@pytest.fixture(scope="module")
def app_server(tmp_path_factory: pytest.TempPathFactory):
    data = tmp_path_factory.mktemp("fn") / "yard.db"
    server = ServerProcess(str(data), args=["--app", "tests.functions.app_example"]).start()
    yield server
    server.stop()


@pytest.mark.server
def test_in_process_functions_of_the_app_module_are_listed_and_invoked(app_server: ServerProcess) -> None:
    lam = app_server.client("lambda")
    names = {f["FunctionName"] for f in lam.list_functions()["Functions"]}
    assert {"app-greet", "app-upper"} <= names
    answer = lam.invoke(FunctionName="app-greet", Payload=b'{"name": "ada"}', LogType="Tail")
    body = json.loads(answer["Payload"].read())
    assert body["hello"] == "ada" and len(body["request_id"]) == 36
    assert base64.b64decode(answer["LogResult"]).startswith(b"START RequestId: ")
    upper = lam.invoke(
        FunctionName="arn:aws:lambda:us-east-1:000000000000:function:app-upper", Payload=b'{"text": "x"}'
    )
    assert upper["Payload"].read() == b'"X"'


@pytest.mark.server
def test_boto3_inside_a_handler_reaches_the_yard_unconfigured(app_server: ServerProcess) -> None:
    sqs, lam = app_server.client("sqs"), app_server.client("lambda")
    url = sqs.create_queue(QueueName="wire-out")["QueueUrl"]
    lam.create_function(
        FunctionName="wire-sender",
        Runtime="python3.12",
        Handler="app.handler",
        Role=ROLE,
        Code={"ZipFile": zipped(app=SENDER)},
        Environment={"Variables": {"OUT_QUEUE": url}},
    )
    answer = lam.invoke(FunctionName="wire-sender", Payload=b'{"n": 1}')
    assert answer["StatusCode"] == 200 and answer["Payload"].read() == b'"sent"'
    messages = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1)["Messages"]
    assert json.loads(messages[0]["Body"]) == {"n": 1}


@pytest.mark.server
def test_wire_errors_are_aws_shaped(app_server: ServerProcess) -> None:
    lam = app_server.client("lambda")
    with pytest.raises(ClientError) as missing:
        lam.get_function(FunctionName="nope")
    assert missing.value.response["Error"]["Code"] == "ResourceNotFoundException"
    assert missing.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    lam.create_function(
        FunctionName="wire-held",
        Runtime="python3.12",
        Handler="app.handler",
        Role=ROLE,
        Code={"ZipFile": zipped(app="def handler(e, c):\n    return 1\n")},
    )
    lam.put_function_concurrency(FunctionName="wire-held", ReservedConcurrentExecutions=0)
    with pytest.raises(ClientError) as throttled:
        lam.invoke(FunctionName="wire-held")
    assert throttled.value.response["Error"]["Code"] == "TooManyRequestsException"
    assert throttled.value.response["ResponseMetadata"]["HTTPStatusCode"] == 429
    assert throttled.value.response["Reason"] == "ReservedFunctionConcurrentInvocationLimitExceeded"
    with pytest.raises(ClientError) as bad:
        lam.invoke(FunctionName="app-greet", Payload=b"{oops")
    assert bad.value.response["Error"]["Code"] == "InvalidRequestContentException"


@pytest.mark.server
@pytest.mark.slow
def test_acknowledged_event_invokes_survive_sigkill(tmp_path: Path) -> None:
    server = ServerProcess(str(tmp_path / "yard.db")).start()
    try:
        sqs, lam = server.client("sqs"), server.client("lambda")
        url = sqs.create_queue(QueueName="crash-out")["QueueUrl"]
        slow_sender = SENDER.replace(
            "def handler(event, context):\n", "def handler(event, context):\n    import time; time.sleep(0.2)\n"
        )
        lam.create_function(
            FunctionName="crash-sender",
            Runtime="python3.12",
            Handler="app.handler",
            Role=ROLE,
            Code={"ZipFile": zipped(app=slow_sender)},
            Environment={"Variables": {"OUT_QUEUE": url}},
        )
        lam.put_function_concurrency(FunctionName="crash-sender", ReservedConcurrentExecutions=2)
        acknowledged = []
        for n in range(30):
            answer = lam.invoke(
                FunctionName="crash-sender", InvocationType="Event", Payload=json.dumps({"n": n}).encode()
            )
            assert answer["StatusCode"] == 202
            acknowledged.append(n)
        attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])
        assert int(attributes["Attributes"]["ApproximateNumberOfMessages"]) < len(acknowledged) // 2
        server.kill()  # most invokes are still waiting for their turn, one or two are running
        server.start()
        sqs = server.client("sqs")
        received: set[int] = set()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and received != set(acknowledged):
            for message in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get(
                "Messages", []
            ):
                received.add(json.loads(message["Body"])["n"])
                sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        assert received == set(acknowledged)
    finally:
        server.stop()


@pytest.mark.server
def test_get_function_code_location_serves_the_zip(app_server: ServerProcess) -> None:
    import hashlib
    import urllib.request

    lam = app_server.client("lambda")
    archive = zipped(app="def handler(e, c):\n    return 3\n")
    created = lam.create_function(
        FunctionName="wire-code", Runtime="python3.12", Handler="app.handler", Role=ROLE, Code={"ZipFile": archive}
    )
    location = lam.get_function(FunctionName="wire-code")["Code"]["Location"]
    with urllib.request.urlopen(location, timeout=5) as response:
        downloaded = response.read()
    assert downloaded == archive
    assert base64.b64encode(hashlib.sha256(downloaded).digest()).decode() == created["CodeSha256"]
