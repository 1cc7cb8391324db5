"""The shared conformance cases, through boto3 against a real server: one test per case.

Cases live as data in ``tests/conformance/cases/<folder>/`` (a copy of ``../shared/conformance``).
A folder is collected once its service is served by this build; the in-process interpreter runs
the workflow cases in ``tests/workflows`` too. A case that calls an operation its service does not
implement yet (a service built in parts) is skipped, naming the operation, until that part exists.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from eventyard.service import operation_method
from eventyard.yard import SERVICES, _load
from tests.conformance import run as runner
from tests.harness.conformance import FOLDER_SERVICE, served
from tests.harness.server import ServerProcess

CASES = Path(__file__).parent / "cases"
SERVED = served()


def _operations(case: dict, folder_service: str) -> set[tuple[str, str]]:
    """The (service, operation) pairs a case calls."""
    kind = case.get("kind", "steps")
    if kind == "pattern":
        return {("events", "TestEventPattern")}
    if kind == "workflow":
        needed = {("stepfunctions", "CreateStateMachine"), ("stepfunctions", "DeleteStateMachine")}
        if "expect" in case:
            needed |= {("stepfunctions", "StartExecution"), ("stepfunctions", "DescribeExecution")}
        return needed
    default = case.get("service", folder_service)
    return {(step.get("service", default), step["call"]) for step in case.get("steps", []) if "call" in step}


def _missing(case: dict, folder_service: str) -> list[str]:
    missing = []
    for service, operation in sorted(_operations(case, folder_service)):
        implementation = _load(SERVICES[service]) if service in SERVICES else None
        if implementation is not None and not callable(getattr(implementation, operation_method(operation), None)):
            missing.append(f"{service} {operation}")
    return missing


def _cases() -> list:
    found = []
    for folder, service in sorted(FOLDER_SERVICE.items()):
        if service not in SERVED:
            continue
        for path, case in runner.load_cases([CASES / folder]):
            missing = _missing(case, service)
            marks = [pytest.mark.skip(reason=f"needs {', '.join(missing)}, not implemented yet")] if missing else []
            found.append(pytest.param(case, id=f"{folder}/{path.stem}::{case['name']}", marks=marks))
    return found


@pytest.mark.server
@pytest.mark.parametrize("case", _cases())
def test_shared_case(server: ServerProcess, case: dict) -> None:
    try:
        runner.Runner(server.endpoint).run_case(case)
    except runner.Failure as failure:
        pytest.fail(str(failure), pytrace=False)
