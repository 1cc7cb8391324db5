"""An execution's history: AWS's event types with the ``*EventDetails`` shapes of GetExecutionHistory.

Each event is a plain dict shaped like botocore's ``HistoryEvent``: ``timestamp`` (epoch seconds),
``type``, ``id`` (1, 2, ...), ``previousEventId`` and at most one ``<kind>EventDetails`` member.
Payloads (``input``, ``output``, ``parameters``) are JSON strings as AWS returns them, each with
its ``*Details: {"truncated": false}`` sibling. ``previousEventId`` follows the thread of the event:
inside a Parallel branch or Map iteration it points at that branch's previous event, as AWS does.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson

# The details member each event type carries (botocore HistoryEvent), for types that carry one.
DETAILS_MEMBER: dict[str, str] = {
    "ExecutionStarted": "executionStartedEventDetails",
    "ExecutionSucceeded": "executionSucceededEventDetails",
    "ExecutionFailed": "executionFailedEventDetails",
    "ExecutionAborted": "executionAbortedEventDetails",
    "ExecutionTimedOut": "executionTimedOutEventDetails",
    "ExecutionRedriven": "executionRedrivenEventDetails",
    "TaskScheduled": "taskScheduledEventDetails",
    "TaskStarted": "taskStartedEventDetails",
    "TaskStartFailed": "taskStartFailedEventDetails",
    "TaskSubmitted": "taskSubmittedEventDetails",
    "TaskSubmitFailed": "taskSubmitFailedEventDetails",
    "TaskSucceeded": "taskSucceededEventDetails",
    "TaskFailed": "taskFailedEventDetails",
    "TaskTimedOut": "taskTimedOutEventDetails",
    "LambdaFunctionScheduled": "lambdaFunctionScheduledEventDetails",
    "LambdaFunctionScheduleFailed": "lambdaFunctionScheduleFailedEventDetails",
    "LambdaFunctionStartFailed": "lambdaFunctionStartFailedEventDetails",
    "LambdaFunctionSucceeded": "lambdaFunctionSucceededEventDetails",
    "LambdaFunctionFailed": "lambdaFunctionFailedEventDetails",
    "LambdaFunctionTimedOut": "lambdaFunctionTimedOutEventDetails",
    "ActivityScheduled": "activityScheduledEventDetails",
    "ActivityScheduleFailed": "activityScheduleFailedEventDetails",
    "ActivityStarted": "activityStartedEventDetails",
    "ActivitySucceeded": "activitySucceededEventDetails",
    "ActivityFailed": "activityFailedEventDetails",
    "ActivityTimedOut": "activityTimedOutEventDetails",
    "MapStateStarted": "mapStateStartedEventDetails",
    "MapIterationStarted": "mapIterationStartedEventDetails",
    "MapIterationSucceeded": "mapIterationSucceededEventDetails",
    "MapIterationFailed": "mapIterationFailedEventDetails",
    "MapIterationAborted": "mapIterationAbortedEventDetails",
    "MapRunStarted": "mapRunStartedEventDetails",
    "MapRunFailed": "mapRunFailedEventDetails",
    "EvaluationFailed": "evaluationFailedEventDetails",
}


def payload(value: Any) -> str:
    """A JSON value the way history events carry it: compact JSON text."""
    return orjson.dumps(value).decode()


class History:
    """The events of one execution, appended in order; ``listener`` sees each one as it is added."""

    def __init__(
        self, now: Callable[[], float], listener: Callable[[dict[str, Any]], None] | None = None, *, start: int = 0
    ) -> None:
        self.events: list[dict[str, Any]] = []
        self._now = now
        self._listener = listener
        self.start = start  # events before these were written earlier (a resumed execution's)

    @property
    def last_id(self) -> int:
        return self.start + len(self.events)

    def add(self, event_type: str, previous: int, details: dict[str, Any] | None = None) -> int:
        """Append one event caused by event ``previous`` (0 for none); returns the new event's id."""
        event: dict[str, Any] = {
            "timestamp": self._now(),
            "type": event_type,
            "id": self.start + len(self.events) + 1,
            "previousEventId": previous,
        }
        if details is not None:
            member = DETAILS_MEMBER.get(event_type)
            if member is None:
                member = _state_details_member(event_type)
            event[member] = details
        self.events.append(event)
        if self._listener is not None:
            self._listener(event)
        return event["id"]

    def types(self) -> list[str]:
        """The event types in order: what a test of a state type's history asserts."""
        return [event["type"] for event in self.events]


def _state_details_member(event_type: str) -> str:
    if event_type.endswith("Entered"):
        return "stateEnteredEventDetails"
    if event_type.endswith("Exited"):
        return "stateExitedEventDetails"
    raise ValueError(f"no details member for history event {event_type}")


def entered_details(name: str, state_input: Any) -> dict[str, Any]:
    return {"name": name, "input": payload(state_input), "inputDetails": {"truncated": False}}


def exited_details(name: str, output: Any, assigned: dict[str, Any] | None = None) -> dict[str, Any]:
    details: dict[str, Any] = {"name": name, "output": payload(output), "outputDetails": {"truncated": False}}
    if assigned:
        details["assignedVariables"] = {key: payload(value) for key, value in assigned.items()}
        details["assignedVariablesDetails"] = {"truncated": False}
    return details


def error_details(error: str | None, cause: str | None) -> dict[str, Any]:
    """``{error, cause}`` with absent members left out, as AWS leaves them out."""
    details: dict[str, Any] = {}
    if error is not None:
        details["error"] = error
    if cause is not None:
        details["cause"] = cause
    return details
