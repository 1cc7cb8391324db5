"""Every definition AWS users deployed, and every valid shared workflow case, is accepted by
CreateStateMachine through the service; every shared case marked invalid is refused with
InvalidDefinition. (The shared cases that also run an execution are the execution side's; here only
the create is asserted.)"""

from __future__ import annotations

import json
import pathlib
from typing import Any

import eventyard
from eventyard.errors import EventyardError
from tests.workflows.service.helpers import ROLE

CONFORMANCE = pathlib.Path(__file__).parents[2] / "conformance"


def _real_world() -> list[dict[str, Any]]:
    cases: list[dict[str, Any]] = json.loads((CONFORMANCE / "real-world" / "workflows.json").read_text())
    return cases


def _shared_workflow_cases() -> list[dict[str, Any]]:
    found = []
    for path in sorted((CONFORMANCE / "cases" / "workflows").glob("*.json")):
        loaded = json.loads(path.read_text())
        for case in loaded if isinstance(loaded, list) else [loaded]:
            if case.get("kind") == "workflow":
                found.append(case)
    return found


async def _refusal(sfn: Any, name: str, case: dict[str, Any]) -> str | None:
    """None when CreateStateMachine accepts the case's definition, else the error's code and text."""
    request = {"name": name, "definition": json.dumps(case["definition"]), "roleArn": ROLE}
    if case.get("type"):
        request["type"] = case["type"]
    try:
        await sfn.create_state_machine(**request)
    except EventyardError as error:
        return f"{error.code}: {error.message}"
    return None


async def test_all_real_world_definitions_are_accepted(yard: eventyard.Yard) -> None:
    sfn = yard.client("stepfunctions")
    cases = _real_world()
    assert len(cases) == 251
    refused = {case["name"]: why for i, case in enumerate(cases) if (why := await _refusal(sfn, f"rw-{i}", case))}
    assert refused == {}
    assert len((await sfn.list_state_machines(maxResults=1000))["stateMachines"]) == 251


async def test_shared_workflow_cases_are_accepted_or_refused_as_marked(yard: eventyard.Yard) -> None:
    sfn = yard.client("stepfunctions")
    cases = _shared_workflow_cases()
    assert len(cases) > 100
    wrong: dict[str, str] = {}
    for i, case in enumerate(cases):
        why = await _refusal(sfn, f"case-{i}", case)
        if case.get("invalid") and (why is None or not why.startswith("InvalidDefinition")):
            wrong[case["name"]] = f"accepted or refused otherwise: {why}"
        elif not case.get("invalid") and why is not None:
            wrong[case["name"]] = why
    assert wrong == {}
