"""A mapping's configuration: AWS's defaults per source type, the checks Create and Update make,
and the filters (FilterCriteria) compiled on the bus's pattern matcher.

Defaults and messages are AWS's (recorded in LocalStack's ``event_source_mapping`` snapshots):
SQS mappings answer BatchSize 10, MaximumBatchingWindowInSeconds 0 and StateTransitionReason
``USER_INITIATED``; Kinesis mappings BatchSize 100, ParallelizationFactor 1, MaximumRetryAttempts
-1, MaximumRecordAgeInSeconds -1, BisectBatchOnFunctionError false, TumblingWindowInSeconds 0,
``DestinationConfig: {OnFailure: {}}`` and ``User action``.
"""

from __future__ import annotations

import functools
from typing import Any

import orjson

from eventyard.bus.patterns import Pattern, parse_pattern
from eventyard.bus.patterns.machine import RuleMachine
from eventyard.errors import InvalidEventPatternException
from eventyard.functions.mappings.errors import (
    BATCH_WINDOW_NEEDED,
    INVALID_FILTER,
    UNSUPPORTED_DESTINATION,
    InvalidParameterValue,
    validation,
)

SQS_DEFAULTS: dict[str, Any] = {"BatchSize": 10, "MaximumBatchingWindowInSeconds": 0, "FunctionResponseTypes": []}
KINESIS_DEFAULTS: dict[str, Any] = {
    "BatchSize": 100,
    "MaximumBatchingWindowInSeconds": 0,
    "ParallelizationFactor": 1,
    "MaximumRetryAttempts": -1,
    "MaximumRecordAgeInSeconds": -1,
    "BisectBatchOnFunctionError": False,
    "TumblingWindowInSeconds": 0,
    "FunctionResponseTypes": [],
    "DestinationConfig": {"OnFailure": {}},
}
REASON = {"sqs": "USER_INITIATED", "kinesis": "User action"}

#: Members Create and Update both take, per source type; anything else given is not for this source.
SQS_MEMBERS = (
    "BatchSize",
    "MaximumBatchingWindowInSeconds",
    "FunctionResponseTypes",
    "FilterCriteria",
    "ScalingConfig",
)
KINESIS_MEMBERS = (*(m for m in KINESIS_DEFAULTS if m != "DestinationConfig"), "FilterCriteria", "DestinationConfig")
STARTING_POSITIONS = ("LATEST", "AT_TIMESTAMP", "TRIM_HORIZON")
MAX_BATCH = {"sqs": 10_000, "sqs.fifo": 10, "kinesis": 10_000}


def initial(kind: str, request: dict[str, Any], now: float) -> dict[str, Any]:
    """The configuration CreateEventSourceMapping stores, from its request (checked)."""
    if kind == "kinesis":
        position = request.get("StartingPosition")
        if position is None:
            raise validation(None, "startingPosition", "Member must not be null.")
        if position not in STARTING_POSITIONS:
            raise validation(
                position, "startingPosition", f"Member must satisfy enum value set: [{', '.join(STARTING_POSITIONS)}]"
            )
        config: dict[str, Any] = {"StartingPosition": position, **KINESIS_DEFAULTS}
        if position == "AT_TIMESTAMP":
            config["StartingPositionTimestamp"] = request.get("StartingPositionTimestamp") or now
    else:
        config = dict(SQS_DEFAULTS)
    return merged(kind, config, request)


def merged(kind: str, config: dict[str, Any], request: dict[str, Any]) -> dict[str, Any]:
    """``config`` with the members ``request`` sets (Create's or Update's), checked together."""
    allowed = KINESIS_MEMBERS if kind == "kinesis" else SQS_MEMBERS
    if kind != "kinesis" and request.get("DestinationConfig"):
        raise InvalidParameterValue(UNSUPPORTED_DESTINATION)
    result = dict(config)
    for member in allowed:
        if member in request and request[member] is not None:
            result[member] = request[member]
    if "FilterCriteria" in result:
        compile_filters(result["FilterCriteria"])
        if not (result["FilterCriteria"] or {}).get("Filters"):
            del result["FilterCriteria"]
    size, window = int(result["BatchSize"]), int(result.get("MaximumBatchingWindowInSeconds") or 0)
    if kind == "sqs" and size > 10 and window == 0:
        raise InvalidParameterValue(BATCH_WINDOW_NEEDED)
    return result


def check_batch_size(kind: str, fifo: bool, size: int) -> None:
    limit = MAX_BATCH["sqs.fifo" if fifo else kind]
    if size > limit:
        raise validation(size, "batchSize", f"Member must have value less than or equal to {limit}")


class Filters:
    """A mapping's FilterCriteria as one compiled machine: ``keeps(record)`` when any filter matches."""

    def __init__(self, patterns: list[Pattern]) -> None:
        self.empty = not patterns
        self._machine = RuleMachine()
        for index, pattern in enumerate(patterns):
            self._machine.add(str(index), pattern)

    def keeps(self, document: dict[str, Any]) -> bool:
        return self.empty or bool(self._machine.match(document))


def compile_filters(criteria: Any) -> Filters:
    """The compiled filters of a FilterCriteria (compiled once per distinct criteria: pollers ask often)."""
    return _compiled(orjson.dumps(criteria or {}, option=orjson.OPT_SORT_KEYS).decode())


@functools.lru_cache(maxsize=1024)
def _compiled(criteria_json: str) -> Filters:
    patterns = []
    for item in orjson.loads(criteria_json).get("Filters") or []:
        try:
            patterns.append(parse_pattern(str(item.get("Pattern") or "")))
        except InvalidEventPatternException:
            raise InvalidParameterValue(INVALID_FILTER)
    return Filters(patterns)
