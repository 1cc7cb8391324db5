"""Every definition AWS users deployed (tests/conformance/real-world/workflows.json) parses."""

from __future__ import annotations

import json
import pathlib
from typing import Any

import pytest

from eventyard.workflows.model import iter_states, parse_definition

CORPUS = pathlib.Path(__file__).parents[1] / "conformance" / "real-world" / "workflows.json"


def _cases() -> list[Any]:
    return [pytest.param(case, id=case["name"]) for case in json.loads(CORPUS.read_text())]


@pytest.mark.parametrize("case", _cases())
def test_real_world_definition_parses(case: dict[str, Any]) -> None:
    machine = parse_definition(case["definition"])
    assert machine.start_at in machine.states
    assert all(state.type for state in iter_states(machine))
