"""TestState (placeholder while the catalogue is built)."""

from __future__ import annotations

from eventyard.workflows.service_base import WorkflowBase


class TestStateOperations(WorkflowBase):
    pass
