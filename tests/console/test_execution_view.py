"""Folding an execution's history into what the graph and the timeline show."""

from __future__ import annotations

from typing import Any

from eventyard.console.execution_view import fold


def _event(kind: str, at: float, **details: Any) -> dict[str, Any]:
    key = {
        "StateEntered": "stateEnteredEventDetails",
        "StateExited": "stateExitedEventDetails",
    }
    for suffix, name in key.items():
        if kind.endswith(suffix):
            return {"type": kind, "timestamp": at, name: details}
    detail_name = kind[0].lower() + kind[1:] + "EventDetails"
    return {"type": kind, "timestamp": at, detail_name: details}


def test_a_retried_task_counts_its_retries_and_a_caught_failure_is_caught() -> None:
    history = [
        _event("ExecutionStarted", 0),
        _event("TaskStateEntered", 1, name="Charge", input="{}"),
        _event("TaskScheduled", 1),
        _event("TaskFailed", 2, error="Card.Declined", cause="no"),
        _event("TaskScheduled", 4),
        _event("TaskFailed", 5, error="Card.Declined", cause="no"),
        _event("TaskStateExited", 5, name="Charge", output='{"declined": true}'),
        _event("PassStateEntered", 5, name="Apologise", input="{}"),
        _event("PassStateExited", 5, name="Apologise", output="{}"),
        _event("ExecutionSucceeded", 6),
    ]
    view = fold(history)
    assert view["states"]["Charge"]["status"] == "caught"
    assert view["states"]["Charge"]["retries"] == 1 and view["states"]["Charge"]["error"] == "Card.Declined"
    assert [(run["name"], run["status"], run["start"], run["end"]) for run in view["timeline"]] == [
        ("Charge", "caught", 1, 5),
        ("Apologise", "succeeded", 5, 5),
    ]


def test_map_iterations_are_runs_of_one_state_and_a_failed_one_shows() -> None:
    history = [
        _event("MapStateEntered", 0, name="Notify", input="[1, 2]"),
        _event("PassStateEntered", 1, name="Label", input="1"),
        _event("PassStateExited", 1, name="Label", output="1"),
        _event("TaskStateEntered", 1, name="Send", input="2"),
        _event("TaskScheduled", 1),
        _event("ExecutionFailed", 3, error="States.Timeout", cause="late"),
    ]
    view = fold(history)
    assert view["states"]["Notify"]["status"] == "failed"
    assert view["states"]["Send"]["status"] == "failed" and view["states"]["Send"]["error"] == "States.Timeout"
    assert view["states"]["Label"]["status"] == "succeeded"


def test_a_redrive_supersedes_the_failed_run() -> None:
    history = [
        _event("TaskStateEntered", 0, name="Send", input="{}"),
        _event("TaskScheduled", 0),
        _event("TaskFailed", 1, error="SQS.QueueDoesNotExistException"),
        _event("ExecutionFailed", 1, error="SQS.QueueDoesNotExistException"),
        _event("ExecutionRedriven", 10),
        _event("TaskStateEntered", 10, name="Send", input="{}"),
        _event("TaskScheduled", 10),
        _event("TaskStateExited", 11, name="Send", output="{}"),
    ]
    view = fold(history)
    assert view["states"]["Send"]["status"] == "succeeded" and view["states"]["Send"]["runs"] == 1
    assert [run["status"] for run in view["timeline"]] == ["failed", "succeeded"]
