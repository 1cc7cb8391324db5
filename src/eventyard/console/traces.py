"""The trace of one event (see :mod:`eventyard.trace`): the rules it matched, the targets that got it,
and what they made: queue messages, executions (with their status now), topic messages, whose own
traces are followed in turn."""

from __future__ import annotations

from typing import Any

from eventyard.console.endpoints import Call, endpoint
from eventyard.errors import EventyardError

MAX_DEPTH = 3


@endpoint("GET", "traces")
async def traces(call: Call) -> dict[str, Any]:
    recent = await call.yard.trace.recent(int(call.get("limit", 50)))
    listed = [{"id": trace_id, "at": at, **_headline(body)} for trace_id, at, body in recent]
    return {"traces": listed, "enabled": call.yard.trace.enabled}


def _headline(body: dict[str, Any]) -> dict[str, Any]:
    if body.get("kind") == "sns":
        return {"kind": "sns", "topic": body.get("topic"), "subject": body.get("subject")}
    return {k: body.get(k) for k in ("kind", "bus", "source", "detail-type")} | {
        "rules": [rule["name"] for rule in body.get("rules", [])]
    }


async def _execution(call: Call, arn: str) -> dict[str, Any]:
    try:
        described = await call.op("stepfunctions", "DescribeExecution", {"executionArn": arn})
    except EventyardError as error:
        return {"status": "UNKNOWN", "message": error.message}
    return {"status": described["status"], "name": described["name"]}


async def _follow(call: Call, trace_id: str, depth: int) -> dict[str, Any] | None:
    steps = await call.yard.trace.steps(trace_id)
    if not steps:
        return None
    event: dict[str, Any] = {}
    deliveries: list[dict[str, Any]] = []
    for at, step, body in steps:
        if step == "event" and not event:
            event = body | {"at": at}
            for rule in event.get("rules", []):
                rule["bus"] = body.get("bus")
        elif step == "event":  # the same event on another bus (a bus target) or replayed: its rules too
            event.setdefault("rules", []).extend(
                rule | {"bus": body.get("bus"), "at": at} for rule in body.get("rules", [])
            )
        else:
            deliveries.append(body | {"at": at, "step": step})
    targets = [t for rule in event.get("rules", []) for t in rule.get("targets", [])]
    targets += event.get("subscriptions", [])
    for target in targets:
        if "executionArn" in target and call.served("stepfunctions"):
            target["execution"] = await _execution(call, target["executionArn"])
        arn = str(target.get("arn", ""))
        is_topic = arn.startswith("arn:aws:sns:") and arn.count(":") == 5
        if "MessageId" in target and is_topic and depth < MAX_DEPTH:
            target["trace"] = await _follow(call, target["MessageId"], depth + 1)
    for later in deliveries:  # what the kernel delivered later, on the target it belongs to
        for target in targets:
            if later.get("rule") and target.get("arn") == later.get("arn") and target.get("id") == later.get("id"):
                target.setdefault("attempts", []).append(later)
                target["status"] = later["status"]
    return {"id": trace_id, **event}


@endpoint("GET", "trace")
async def trace(call: Call) -> dict[str, Any]:
    trace_id = call.require("id")
    found = await _follow(call, trace_id, 0)
    return {"trace": found, "retention": call.yard.trace.retention}
