"""Invoke through the service: payloads, errors, timeouts, the context, logs, warm workers, in-process."""

from __future__ import annotations

import base64

import orjson
import pytest

from eventyard.functions import function
from eventyard.functions.errors import InvalidRequestContent, ResourceNotFound
from eventyard.functions.inprocess import DECORATED
from tests.functions.helpers import ECHO, FAILING, create

PID = "import os\ndef handler(event, context):\n    return os.getpid()\n"


async def test_request_response_answers_the_handlers_json(yard) -> None:
    lam = yard.client("lambda")
    await create(lam, "echo", ECHO)
    answer = await lam.invoke(FunctionName="echo", Payload=b'{"n": 1}')
    assert answer["StatusCode"] == 200 and answer["ExecutedVersion"] == "$LATEST"
    assert orjson.loads(answer["Payload"]) == {"event": {"n": 1}, "version": "$LATEST"}
    assert "FunctionError" not in answer and "LogResult" not in answer


async def test_an_unhandled_exception_is_a_function_error_with_aws_document(yard) -> None:
    lam = yard.client("lambda")
    await create(lam, "fails", FAILING)
    answer = await lam.invoke(FunctionName="fails", Payload=b'{"n": 7}', LogType="Tail")
    assert answer["StatusCode"] == 200 and answer["FunctionError"] == "Unhandled"
    document = orjson.loads(answer["Payload"])
    assert document["errorType"] == "ValueError" and document["errorMessage"] == "bad order 7"
    assert len(document["requestId"]) == 36
    assert 'app.py", line 2, in handler' in document["stackTrace"][0]
    log = base64.b64decode(answer["LogResult"]).decode()
    assert log.startswith("START RequestId: ") and "[ERROR] ValueError: bad order 7" in log
    assert "\nEND RequestId: " in log and "\nREPORT RequestId: " in log and "Billed Duration: " in log


async def test_a_warm_worker_serves_many_invocations_and_a_timeout_replaces_it(yard) -> None:
    lam = yard.client("lambda")
    source = (
        "import os, time\ndef handler(event, context):\n    time.sleep(event.get('wait', 0))\n    return os.getpid()\n"
    )
    await create(lam, "slow", source, Timeout=1)
    first = (await lam.invoke(FunctionName="slow"))["Payload"]
    assert (await lam.invoke(FunctionName="slow"))["Payload"] == first  # the same process, warm
    timed_out = await lam.invoke(FunctionName="slow", Payload=b'{"wait": 3}')
    document = orjson.loads(timed_out["Payload"])
    assert timed_out["FunctionError"] == "Unhandled" and document["errorType"] == "Sandbox.Timedout"
    assert document["errorMessage"].endswith("Error: Task timed out after 1.00 seconds")
    after = (await lam.invoke(FunctionName="slow"))["Payload"]
    assert after != first  # a fresh worker


async def test_environment_and_context_are_as_aws_gives_them(yard) -> None:
    lam = yard.client("lambda")
    source = (
        "import os\n"
        "def handler(event, context):\n"
        "    keys = ['STAGE', 'AWS_LAMBDA_FUNCTION_NAME', 'AWS_LAMBDA_FUNCTION_MEMORY_SIZE', 'AWS_REGION',\n"
        "            'AWS_ENDPOINT_URL', 'AWS_ACCESS_KEY_ID', '_HANDLER']\n"
        "    return {'env': [os.environ.get(k) for k in keys], 'name': context.function_name,\n"
        "            'memory': context.memory_limit_in_mb, 'group': context.log_group_name,\n"
        "            'left': context.get_remaining_time_in_millis(), 'arn': context.invoked_function_arn}\n"
    )
    await create(lam, "env", source, MemorySize=256, Timeout=5, Environment={"Variables": {"STAGE": "dev"}})
    found = orjson.loads((await lam.invoke(FunctionName="env"))["Payload"])
    assert found["env"] == ["dev", "env", "256", "us-east-1", yard.endpoint, "test", "app.handler"]
    assert (found["name"], found["memory"], found["group"]) == ("env", "256", "/aws/lambda/env")
    assert 0 < found["left"] <= 5000
    assert found["arn"] == "arn:aws:lambda:us-east-1:000000000000:function:env"


async def test_import_errors_and_missing_handlers_answer_runtime_errors(yard) -> None:
    lam = yard.client("lambda")
    await create(lam, "broken", "import not_a_module\n")
    document = orjson.loads((await lam.invoke(FunctionName="broken"))["Payload"])
    assert document["errorType"] == "Runtime.ImportModuleError"
    assert document["errorMessage"].startswith("Unable to import module 'app'")
    await create(lam, "nohandler", "x = 1\n")
    document = orjson.loads((await lam.invoke(FunctionName="nohandler"))["Payload"])
    assert document["errorType"] == "Runtime.HandlerNotFound"


async def test_dry_run_and_bad_payloads(yard) -> None:
    lam = yard.client("lambda")
    await create(lam, "echo", ECHO)
    assert (await lam.invoke(FunctionName="echo", InvocationType="DryRun"))["StatusCode"] == 204
    with pytest.raises(InvalidRequestContent, match="Could not parse request body into json"):
        await lam.invoke(FunctionName="echo", Payload=b"{not json")
    with pytest.raises(ResourceNotFound):
        await lam.invoke(FunctionName="missing", InvocationType="DryRun")


async def test_in_process_functions_are_listed_and_invoked_without_a_worker(yard) -> None:
    calls = []

    def greet(event, context):
        calls.append(context.aws_request_id)
        return {"hello": event["name"], "arn": context.invoked_function_arn}

    async def fails(event, context):
        raise KeyError("missing")

    yard.functions.register("greet", greet, timeout=5)
    yard.functions.register("fails", fails)
    lam = yard.client("lambda")
    answer = await lam.invoke(FunctionName="greet", Payload=b'{"name": "ada"}')
    assert orjson.loads(answer["Payload"]) == {
        "hello": "ada",
        "arn": "arn:aws:lambda:us-east-1:000000000000:function:greet",
    }
    assert len(calls) == 1
    failed = await lam.invoke(FunctionName="fails")
    assert failed["FunctionError"] == "Unhandled" and orjson.loads(failed["Payload"])["errorType"] == "KeyError"
    names = [f["FunctionName"] for f in (await lam.list_functions())["Functions"]]
    assert names == ["fails", "greet"]
    config = await lam.get_function_configuration(FunctionName="greet")
    assert config["Timeout"] == 5 and config["Handler"].endswith("greet") and config["State"] == "Active"
    assert yard.functions.runner.pools.workers() == 0


async def test_decorated_functions_are_served_by_every_yard(yard) -> None:
    @function("decorated-hello")
    def hello(event, context):
        return "hi " + event["who"]

    try:
        answer = await yard.client("lambda").invoke(FunctionName="decorated-hello", Payload=b'{"who": "bo"}')
        assert answer["Payload"] == b'"hi bo"'
    finally:
        DECORATED.clear()


async def test_internal_invoke_function_answers_payload_and_error(yard) -> None:
    lam = yard.client("lambda")
    await create(lam, "fails", FAILING)
    yard.functions.register("ok", lambda event, context: event)
    from eventyard.service import RequestContext

    context = RequestContext()
    assert await yard.functions.invoke_function(context, "ok", b'{"a": 1}') == (b'{"a":1}', None)
    payload, error = await yard.functions.invoke_function(context, "fails", b"{}")
    assert error == "Unhandled" and orjson.loads(payload)["errorType"] == "ValueError"


async def test_idle_workers_are_reaped_and_the_next_invoke_starts_a_fresh_one(yard) -> None:
    lam = yard.client("lambda")
    await create(lam, "pid", PID)
    first = (await lam.invoke(FunctionName="pid"))["Payload"]
    pools = yard.functions.runner.pools
    assert pools.workers() == 1
    assert await pools.reap(idle_seconds=3600) == 0  # used just now: kept
    assert await pools.reap(idle_seconds=0) == 1
    assert pools.workers() == 0
    assert (await lam.invoke(FunctionName="pid"))["Payload"] != first


async def test_the_report_line_counts_the_workers_memory(yard) -> None:
    lam = yard.client("lambda")
    await create(lam, "pid", PID)
    log = base64.b64decode((await lam.invoke(FunctionName="pid", LogType="Tail"))["LogResult"]).decode()
    report = log.strip().splitlines()[-1]
    used = int(report.split("Max Memory Used: ")[1].split(" MB")[0])
    assert 5 < used <= 128 and "Init Duration: " in report
