"""Every shared conformance case of kind ``workflow`` in the language's files, run through the in-process interpreter.

Cases marked ``invalid`` must be rejected by create-time validation; cases without ``expect``
must validate; the others run and are compared the way ``conformance/run.py`` compares them
(bools are not numbers, ints equal floats). State machines are named ``conf-<hex>`` and
executions get a UUID name, as the shared runner does against a real endpoint.
"""

from __future__ import annotations

import json
import pathlib
import uuid
from typing import Any

import pytest

from eventyard.clock import VirtualClock
from eventyard.errors import InvalidDefinition
from eventyard.workflows.interpreter import Interpreter, new_execution_info
from eventyard.workflows.tasks import CallableTasks

CASES_DIR = pathlib.Path(__file__).parents[1] / "conformance" / "cases" / "workflows"


def _load() -> list[Any]:
    """The language's cases; ``service_*.json`` are the service's (types, integrations, the API) and
    run through a server in ``tests/conformance``."""
    cases = []
    for path in sorted(CASES_DIR.glob("*.json")):
        if path.name.startswith("service_"):
            continue
        data = json.loads(path.read_text())
        for index, case in enumerate(data if isinstance(data, list) else [data]):
            if case.get("kind", "steps") != "workflow":
                continue
            case.setdefault("name", f"{path.stem}[{index}]")
            cases.append(pytest.param(case, id=f"{path.stem}::{case['name']}"))
    return cases


def equal(a: Any, b: Any) -> bool:
    """run.py's ``_equal``: JSON equality where True is not 1."""
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(equal(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(equal(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and a == b


#: Shared cases whose expectation real AWS contradicts. Each entry holds the (error, cause fragment)
#: real executions on AWS report instead, and the evidence; the test asserts the AWS behaviour.
def fake_tasks() -> CallableTasks:
    """Task implementations for cases that call AWS resources (none of the shared cases do yet)."""
    return CallableTasks()


@pytest.mark.parametrize("case", _load())
async def test_conformance_case(case: dict[str, Any]) -> None:
    from eventyard.workflows.validate import validate_definition

    if case.get("invalid"):
        with pytest.raises(InvalidDefinition):
            validate_definition(case["definition"])
        return
    validate_definition(case["definition"])
    if "expect" not in case:
        return
    clock = VirtualClock(start=1_780_000_000.0, auto_advance=True)
    input_value = case.get("input", {})
    info = new_execution_info(f"conf-{uuid.uuid4().hex[:12]}", input=input_value, start_time=clock.now())
    result = await Interpreter(case["definition"], tasks=fake_tasks(), clock=clock).run(input_value, info=info)
    expect = case["expect"]
    summary = (
        f"status={result.status} error={result.error!r} cause={result.cause!r} output={json.dumps(result.output)[:300]}"
    )
    assert result.status == expect["status"], summary
    if "output" in expect:
        assert equal(result.output, expect["output"]), summary
    for key in ("error", "cause"):
        if key in expect:
            assert getattr(result, key) == expect[key], summary
