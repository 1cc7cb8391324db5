"""Buses and rules: the pattern editor and its tester, test events, archives and replays.

The live tail of events matching a pattern is in :mod:`.live`.
"""

from __future__ import annotations

from typing import Any

import orjson

from eventyard.console.endpoints import BadRequest, Call, endpoint, pages


def _text(value: Any) -> str:
    return value if isinstance(value, str) else orjson.dumps(value).decode()


@endpoint("GET", "buses")
async def buses(call: Call) -> dict[str, Any]:
    found = []
    for bus in await pages(call, "events", "ListEventBuses", {}, "EventBuses"):
        rules = await pages(call, "events", "ListRules", {"EventBusName": bus["Name"]}, "Rules")
        for rule in rules:
            request = {"Rule": rule["Name"], "EventBusName": bus["Name"]}
            rule["Targets"] = await pages(call, "events", "ListTargetsByRule", request, "Targets")
        found.append({**bus, "Rules": rules})
    archives = await pages(call, "events", "ListArchives", {}, "Archives")
    replays = await pages(call, "events", "ListReplays", {}, "Replays")
    return {"buses": found, "archives": archives, "replays": replays}


@endpoint("POST", "bus/test-pattern")
async def test_pattern(call: Call) -> dict[str, Any]:
    """TestEventPattern; ``event`` may leave out the envelope fields a test event always has."""
    event = call.require("event")
    if isinstance(event, str):
        try:
            event = orjson.loads(event)
        except orjson.JSONDecodeError:
            raise BadRequest("the event is not JSON")
    if not isinstance(event, dict):
        raise BadRequest("the event is not a JSON object")
    envelope = {
        "version": "0", "id": "00000000-0000-0000-0000-000000000000", "detail-type": "Test", "source": "console",
        "account": call.context.account, "time": "2026-01-01T00:00:00Z", "region": call.context.region,
        "resources": [], "detail": {},
    }  # fmt: skip
    request = {"EventPattern": _text(call.require("pattern")), "Event": _text(envelope | event)}
    answer: dict[str, Any] = await call.op("events", "TestEventPattern", request)
    return answer


@endpoint("POST", "bus/put-events")
async def put_events(call: Call) -> dict[str, Any]:
    entry = {
        "EventBusName": call.get("bus") or "default",
        "Source": call.require("source"),
        "DetailType": call.require("detailType"),
        "Detail": _text(call.get("detail") or {}),
    }
    if call.get("resources"):
        entry["Resources"] = list(call.get("resources"))
    answer: dict[str, Any] = await call.op("events", "PutEvents", {"Entries": [entry]})
    return answer


@endpoint("POST", "bus/put-rule")
async def put_rule(call: Call) -> dict[str, Any]:
    """Save a rule's pattern (PutRule keeps its targets)."""
    request = {
        "Name": call.require("name"),
        "EventBusName": call.get("bus") or "default",
        "EventPattern": _text(call.require("pattern")),
        "State": call.get("state") or "ENABLED",
    }
    answer: dict[str, Any] = await call.op("events", "PutRule", request)
    return answer


@endpoint("POST", "bus/start-replay")
async def start_replay(call: Call) -> dict[str, Any]:
    archive = await call.op("events", "DescribeArchive", {"ArchiveName": call.require("archive")})
    request = {
        "ReplayName": call.require("name"),
        "EventSourceArn": archive["ArchiveArn"],
        "EventStartTime": float(call.require("start")),
        "EventEndTime": float(call.require("end")),
        "Destination": {"Arn": call.get("destination") or archive["EventSourceArn"]},
    }
    answer: dict[str, Any] = await call.op("events", "StartReplay", request)
    return answer
