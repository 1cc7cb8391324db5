"""REST-JSON, proven with the Lambda model before Lambda exists: botocore's serializer builds each
request, the gateway routes it by method and path to a fake Lambda registered in the yard, and
botocore's rest-json parser reads the answer (status, headers, payload, errors) as boto3 would."""

from __future__ import annotations

import base64
import datetime as _dt
import json
import urllib.parse
from collections.abc import AsyncIterator
from typing import Any

import pytest
from botocore.model import OperationModel

import eventyard
from eventyard.errors import ClientError
from eventyard.gateway.app import Gateway
from eventyard.gateway.protocols import eventstream
from eventyard.models import model_for
from eventyard.service import RequestContext, Service
from tests.gateway.asgi import AUTH, botocore_call, call

ROLE = "arn:aws:iam::000000000000:role/lambda-role"
ARN = "arn:aws:lambda:us-east-1:000000000000:function:{name}"
STARTED = 1_767_225_600.5  # 2026-01-01T00:00:00.500Z


class FunctionNotFound(ClientError):
    code = "ResourceNotFoundException"
    status = 400  # the model says 404: the gateway must take the model's status


class FakeLambda(Service):
    """Just enough Lambda to answer in every shape the protocol has: body, headers, status, payload."""

    name = "lambda"

    def __init__(self, yard: eventyard.Yard) -> None:
        super().__init__(yard)
        self.functions: dict[str, dict[str, Any]] = {}
        self.requests: list[tuple[str, dict[str, Any]]] = []

    def _configuration(self, name: str) -> dict[str, Any]:
        function = self.functions.get(name.rsplit(":", 1)[-1])
        if function is None:
            raise FunctionNotFound(f"Function not found: {ARN.format(name=name)}")
        return function

    async def create_function(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        self.requests.append(("CreateFunction", request))
        name = request["FunctionName"]
        self.functions[name] = {
            "FunctionName": name,
            "FunctionArn": ARN.format(name=name),
            "Runtime": request.get("Runtime"),
            "Role": request["Role"],
            "Handler": request.get("Handler"),
            "CodeSize": len(request["Code"]["ZipFile"]),
            "Timeout": request.get("Timeout", 3),
            "LastModified": "2026-01-01T00:00:00.000+0000",
            "State": "Active",
            "Environment": {"Variables": request.get("Environment", {}).get("Variables", {})},
        }
        return self.functions[name]

    async def get_function(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        self.requests.append(("GetFunction", request))
        configuration = self._configuration(request["FunctionName"])
        return {"Configuration": configuration, "Code": {"RepositoryType": "S3", "Location": "https://code"}}

    async def list_functions(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        self.requests.append(("ListFunctions", request))
        names = sorted(self.functions)
        start = names.index(request["Marker"]) if request.get("Marker") in names else 0
        page = names[start : start + request.get("MaxItems", 50)]
        following = names[start + len(page) : start + len(page) + 1]
        return {"Functions": [self.functions[n] for n in page], **({"NextMarker": following[0]} if following else {})}

    async def delete_function(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        self._configuration(request["FunctionName"])
        del self.functions[request["FunctionName"]]
        return {"StatusCode": 204}

    async def invoke(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        self.requests.append(("Invoke", request))
        self._configuration(request["FunctionName"])
        kind = request.get("InvocationType", "RequestResponse")
        if kind == "Event":
            return {"StatusCode": 202}
        if kind == "DryRun":
            return {"StatusCode": 204}
        event = json.loads(request.get("Payload") or b"{}")
        answer: dict[str, Any] = {"StatusCode": 200, "ExecutedVersion": "$LATEST"}
        if event.get("fail"):
            answer["FunctionError"] = "Unhandled"
            answer["Payload"] = b'{"errorMessage": "boom", "errorType": "Exception"}'
        else:
            answer["Payload"] = json.dumps({"echo": event}).encode()
        if request.get("LogType") == "Tail":
            answer["LogResult"] = base64.b64encode(b"START RequestId: 1\nEND\n").decode()
        return answer

    async def list_durable_executions_by_function(
        self, context: RequestContext, request: dict[str, Any]
    ) -> dict[str, Any]:
        self.requests.append(("ListDurableExecutionsByFunction", request))
        execution = {"DurableExecutionArn": "arn:x", "DurableExecutionName": "run-1",
                     "FunctionArn": ARN.format(name="f"), "Status": "RUNNING", "StartTimestamp": STARTED}  # fmt: skip
        return {"DurableExecutions": [execution]}

    async def invoke_with_response_stream(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        self._configuration(request["FunctionName"])

        async def chunks() -> AsyncIterator[dict[str, Any]]:
            yield {"PayloadChunk": {"Payload": b"hello, "}}
            yield {"PayloadChunk": {"Payload": b"world"}}
            yield {"InvokeComplete": {"LogResult": "bG9ncw=="}}

        return {"StatusCode": 200, "ExecutedVersion": "$LATEST", "EventStream": chunks()}


@pytest.fixture
async def lambda_yard() -> AsyncIterator[tuple[Gateway, FakeLambda]]:
    async with eventyard.open("memory://") as yard:
        fake = FakeLambda(yard)
        yard.services["lambda"] = fake
        yield Gateway(yard), fake


def operation(name: str) -> OperationModel:
    return model_for("lambda").operations[name]


async def lambda_call(gateway: Gateway, name: str, **params: Any) -> tuple[Any, dict[str, Any]]:
    return await botocore_call(gateway, "rest-json", operation(name), params, "lambda")


async def create(gateway: Gateway, name: str = "orders") -> tuple[Any, dict[str, Any]]:
    return await lambda_call(
        gateway, "CreateFunction", FunctionName=name, Runtime="python3.12", Role=ROLE, Handler="app.handler",
        Code={"ZipFile": b"PK\x03\x04 zip bytes"}, Timeout=30, Environment={"Variables": {"STAGE": "test"}},
    )  # fmt: skip


async def test_create_function_answers_201_with_the_configuration(lambda_yard) -> None:
    gateway, fake = lambda_yard
    response, parsed = await create(gateway)
    assert response.status == 201
    assert response.headers["content-type"] == "application/json"
    assert parsed["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert parsed["FunctionName"] == "orders"
    assert parsed["Timeout"] == 30
    assert parsed["Environment"] == {"Variables": {"STAGE": "test"}}
    assert fake.requests[0][1]["Code"]["ZipFile"] == b"PK\x03\x04 zip bytes"  # base64 in the body, bytes here


async def test_invoke_sends_the_payload_raw_and_answers_in_status_headers_and_body(lambda_yard) -> None:
    gateway, fake = lambda_yard
    await create(gateway)
    response, parsed = await lambda_call(
        gateway, "Invoke", FunctionName="orders", Payload=b'{"order": 7}', LogType="Tail", Qualifier="$LATEST"
    )
    assert fake.requests[-1][1] == {
        "FunctionName": "orders",
        "Payload": b'{"order": 7}',
        "LogType": "Tail",
        "Qualifier": "$LATEST",
    }
    assert response.status == 200
    assert parsed["StatusCode"] == 200
    assert parsed["ExecutedVersion"] == "$LATEST"
    assert base64.b64decode(parsed["LogResult"]).startswith(b"START RequestId")
    assert json.loads(parsed["Payload"].read()) == {"echo": {"order": 7}}
    assert "FunctionError" not in parsed


async def test_invoke_reports_a_function_error_in_its_header(lambda_yard) -> None:
    gateway, _ = lambda_yard
    await create(gateway)
    response, parsed = await lambda_call(gateway, "Invoke", FunctionName="orders", Payload=b'{"fail": true}')
    assert response.status == 200
    assert parsed["FunctionError"] == "Unhandled"
    assert json.loads(parsed["Payload"].read())["errorMessage"] == "boom"


@pytest.mark.parametrize(("kind", "status"), [("Event", 202), ("DryRun", 204)])
async def test_invoke_status_follows_the_status_code_member(lambda_yard, kind: str, status: int) -> None:
    gateway, _ = lambda_yard
    await create(gateway)
    response, parsed = await lambda_call(gateway, "Invoke", FunctionName="orders", InvocationType=kind)
    assert response.status == status
    assert parsed["StatusCode"] == status
    assert response.body == b""


async def test_get_function_reads_the_name_from_the_path_even_as_an_encoded_arn(lambda_yard) -> None:
    gateway, fake = lambda_yard
    await create(gateway)
    response, parsed = await lambda_call(gateway, "GetFunction", FunctionName=ARN.format(name="orders"))
    assert response.status == 200
    assert fake.requests[-1][1]["FunctionName"] == ARN.format(name="orders")
    assert parsed["Configuration"]["FunctionArn"] == ARN.format(name="orders")
    assert parsed["Code"]["RepositoryType"] == "S3"


async def test_list_functions_takes_typed_query_parameters(lambda_yard) -> None:
    gateway, fake = lambda_yard
    for name in ("a", "b", "c"):
        await create(gateway, name)
    _, parsed = await lambda_call(gateway, "ListFunctions", MaxItems=2)
    assert fake.requests[-1][1] == {"MaxItems": 2}  # an integer, read from "?MaxItems=2"
    assert [f["FunctionName"] for f in parsed["Functions"]] == ["a", "b"]
    _, parsed = await lambda_call(gateway, "ListFunctions", MaxItems=2, Marker=parsed["NextMarker"])
    assert [f["FunctionName"] for f in parsed["Functions"]] == ["c"]
    assert "NextMarker" not in parsed


async def test_query_lists_booleans_and_timestamps_are_read_as_their_types(lambda_yard) -> None:
    gateway, fake = lambda_yard
    after = _dt.datetime(2025, 12, 31, 23, 0, tzinfo=_dt.UTC)
    _, parsed = await lambda_call(
        gateway, "ListDurableExecutionsByFunction", FunctionName="f", Statuses=["RUNNING", "PAUSED"],
        StartedAfter=after, ReverseOrder=True, MaxItems=5,
    )  # fmt: skip
    assert fake.requests[-1][1] == {
        "FunctionName": "f", "Statuses": ["RUNNING", "PAUSED"], "StartedAfter": after.timestamp(),
        "ReverseOrder": True, "MaxItems": 5,
    }  # fmt: skip
    assert parsed["DurableExecutions"][0]["StartTimestamp"] == _dt.datetime.fromtimestamp(STARTED, _dt.UTC)


async def test_delete_function_answers_204_without_a_body(lambda_yard) -> None:
    gateway, fake = lambda_yard
    await create(gateway)
    response, parsed = await lambda_call(gateway, "DeleteFunction", FunctionName="orders")
    assert (response.status, response.body) == (204, b"")
    assert parsed["StatusCode"] == 204
    assert fake.functions == {}


async def test_missing_function_is_a_404_that_botocore_names_and_types(lambda_yard) -> None:
    gateway, _ = lambda_yard
    response, parsed = await lambda_call(gateway, "GetFunction", FunctionName="nope")
    assert response.status == 404  # the model's error.httpStatusCode, over the exception's own 400
    assert response.headers["x-amzn-errortype"] == "ResourceNotFoundException"
    # the members of the model's ResourceNotFoundException: Type, and Message (capital, as Lambda writes it)
    assert json.loads(response.body) == {"Type": "User", "Message": f"Function not found: {ARN.format(name='nope')}"}
    assert parsed["Error"]["Code"] == "ResourceNotFoundException"
    assert parsed["Error"]["Message"] == f"Function not found: {ARN.format(name='nope')}"
    assert parsed["ResponseMetadata"]["HTTPStatusCode"] == 404


async def test_a_request_breaking_the_model_gets_a_validation_error(lambda_yard) -> None:
    gateway, _ = lambda_yard
    response, parsed = await lambda_call(gateway, "ListFunctions", MaxItems=100_000)
    assert response.status == 400
    assert parsed["Error"]["Code"] == "ValidationException"
    assert "Member must have value less than or equal to 10000" in parsed["Error"]["Message"]


async def test_a_path_no_operation_has_is_unknown_operation_404(lambda_yard) -> None:
    gateway, _ = lambda_yard
    headers = {"authorization": AUTH.format(service="lambda")}
    response = await call(gateway, "GET", "/2015-03-31/nothing-here", headers=headers)
    assert response.status == 404
    assert response.headers["x-amzn-errortype"] == "UnknownOperationException"


async def test_an_unsigned_request_is_routed_by_the_templates(lambda_yard) -> None:
    gateway, _ = lambda_yard
    await create(gateway)
    response = await call(gateway, "GET", "/2015-03-31/functions/orders")
    assert response.status == 200
    assert json.loads(response.body)["Configuration"]["FunctionName"] == "orders"


async def test_a_bad_integer_in_the_query_is_a_client_error(lambda_yard) -> None:
    gateway, _ = lambda_yard
    response = await call(
        gateway, "GET", "/2015-03-31/functions/", query_string=b"MaxItems=many",
        headers={"authorization": AUTH.format(service="lambda")},
    )  # fmt: skip
    assert response.status == 400
    assert response.headers["x-amzn-errortype"] == "SerializationException"


async def test_invoke_with_response_stream_is_an_event_stream_botocore_reads(lambda_yard) -> None:
    gateway, _ = lambda_yard
    await create(gateway)
    response, parsed = await lambda_call(gateway, "InvokeWithResponseStream", FunctionName="orders", Payload=b"{}")
    assert response.status == 200
    assert response.headers["content-type"] == eventstream.CONTENT_TYPE
    assert response.headers["x-amz-executed-version"] == "$LATEST"
    assert len(response.chunks) == 3  # one message per event, each sent as it came
    events = list(parsed["EventStream"])
    assert events[0] == {"PayloadChunk": {"Payload": b"hello, "}}
    assert events[1] == {"PayloadChunk": {"Payload": b"world"}}
    assert events[2] == {"InvokeComplete": {"LogResult": "bG9ncw=="}}
    assert parsed["StatusCode"] == 200


async def test_a_signed_request_with_an_encoded_arn_in_its_path_verifies() -> None:
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    from eventyard.gateway.sigv4 import Authenticator, Key

    async with eventyard.open("memory://") as yard:
        fake = FakeLambda(yard)
        yard.services["lambda"] = fake
        gateway = Gateway(yard, auth=Authenticator(keys={"AKIDTEAM": Key("topsecret")}, verify=True))
        fake.functions["orders"] = {"FunctionName": "orders"}
        raw_path = "/2015-03-31/functions/" + ARN.format(name="orders").replace(":", "%3A")
        request = AWSRequest(method="GET", url=f"http://127.0.0.1:4566{raw_path}?Qualifier=%24LATEST")
        SigV4Auth(Credentials("AKIDTEAM", "topsecret"), "lambda", "us-east-1").add_auth(request)
        headers = {k.lower(): v for k, v in request.headers.items()} | {"host": "127.0.0.1:4566"}
        response = await call(
            gateway, "GET", urllib.parse.unquote(raw_path), raw_path=raw_path.encode(), headers=headers,
            query_string=b"Qualifier=%24LATEST",
        )  # fmt: skip
        assert response.status == 200, response.body
        assert fake.requests[-1] == ("GetFunction", {"FunctionName": ARN.format(name="orders"), "Qualifier": "$LATEST"})
        headers["authorization"] = headers["authorization"][:-4] + "0000"
        response = await call(
            gateway, "GET", urllib.parse.unquote(raw_path), raw_path=raw_path.encode(), headers=headers
        )
        assert response.status == 403
        assert response.headers["x-amzn-errortype"] == "InvalidSignatureException"
