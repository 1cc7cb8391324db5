"""State machines: definitions, executions with filters, one execution as the page draws it, and the
actions (start, stop, redrive, send task success or failure for a waiting token)."""

from __future__ import annotations

from typing import Any

import orjson

from eventyard.console.endpoints import Call, endpoint, pages
from eventyard.console.execution_view import fold
from eventyard.workflows import execution_store


@endpoint("GET", "machines")
async def machines(call: Call) -> dict[str, Any]:
    listed = await pages(call, "stepfunctions", "ListStateMachines", {}, "stateMachines", token="nextToken")
    return {"machines": listed}


@endpoint("GET", "machine")
async def machine(call: Call) -> dict[str, Any]:
    arn = call.require("arn")
    described = await call.op("stepfunctions", "DescribeStateMachine", {"stateMachineArn": arn})
    request: dict[str, Any] = {"stateMachineArn": arn, "maxResults": int(call.get("limit", 100))}
    if call.get("status"):
        request["statusFilter"] = call.get("status")
    executions = []
    if described.get("type", "STANDARD") == "STANDARD":
        executions = (await call.op("stepfunctions", "ListExecutions", request))["executions"]
    if call.get("name"):
        executions = [e for e in executions if str(call.get("name")) in e["name"]]
    return {"machine": described, "definition": orjson.loads(described["definition"]), "executions": executions}


@endpoint("GET", "execution")
async def execution(call: Call) -> dict[str, Any]:
    arn = call.require("arn")
    described = await call.op("stepfunctions", "DescribeExecution", {"executionArn": arn})
    history = await pages(
        call, "stepfunctions", "GetExecutionHistory", {"executionArn": arn, "maxResults": 1000}, "events",
        token="nextToken",
    )  # fmt: skip
    machine_arn = described["stateMachineArn"]
    definition = await call.op("stepfunctions", "DescribeStateMachineForExecution", {"executionArn": arn})
    tokens = await call.yard.db.read(lambda c: execution_store.waiting_callbacks(c, arn))
    return {
        "execution": described,
        "machineArn": machine_arn,
        "definition": orjson.loads(definition["definition"]),
        "history": history,
        "waitingTokens": tokens,
        **fold(history),
    }


@endpoint("POST", "execution/start")
async def start(call: Call) -> dict[str, Any]:
    request = {"stateMachineArn": call.require("arn"), "input": call.get("input") or "{}"}
    if call.get("name"):
        request["name"] = call.get("name")
    answer: dict[str, Any] = await call.op("stepfunctions", "StartExecution", request)
    return answer


@endpoint("POST", "execution/stop")
async def stop(call: Call) -> dict[str, Any]:
    request = {"executionArn": call.require("arn"), "error": call.get("error") or "Console.Stopped"}
    if call.get("cause"):
        request["cause"] = call.get("cause")
    answer: dict[str, Any] = await call.op("stepfunctions", "StopExecution", request)
    return answer


@endpoint("POST", "execution/redrive")
async def redrive(call: Call) -> dict[str, Any]:
    answer: dict[str, Any] = await call.op("stepfunctions", "RedriveExecution", {"executionArn": call.require("arn")})
    return answer


@endpoint("POST", "task/success")
async def task_success(call: Call) -> dict[str, Any]:
    request = {"taskToken": call.require("token"), "output": call.get("output") or "{}"}
    answer: dict[str, Any] = await call.op("stepfunctions", "SendTaskSuccess", request)
    return answer


@endpoint("POST", "task/failure")
async def task_failure(call: Call) -> dict[str, Any]:
    request = {"taskToken": call.require("token"), "error": call.get("error") or "Console.Failed"}
    if call.get("cause"):
        request["cause"] = call.get("cause")
    answer: dict[str, Any] = await call.op("stepfunctions", "SendTaskFailure", request)
    return answer
