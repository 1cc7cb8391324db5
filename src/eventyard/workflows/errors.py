"""Errors raised while a state machine runs, named as ASL names them (``States.Runtime``...).

These are not wire errors: they travel inside an execution, are matched by Retry and Catch, and end
an execution as its ``error`` and ``cause``.
"""

from __future__ import annotations


class StatesError(Exception):
    """An ASL error: ``error`` is the name Retry/Catch match (``States.TaskFailed``, a custom name),
    ``cause`` the human-readable text AWS reports beside it. ``location`` names the state field a
    failed evaluation came from (``Items``, ``Output/result``), as AWS's ``EvaluationFailed`` event
    reports it; None when the cause names it already or no field is to blame."""

    def __init__(self, error: str, cause: str = "", *, location: str | None = None) -> None:
        super().__init__(f"{error}: {cause}" if cause else error)
        self.error = error
        self.cause = cause
        self.location = location
        self.evaluation_recorded = False  # its EvaluationFailed event is in the history
