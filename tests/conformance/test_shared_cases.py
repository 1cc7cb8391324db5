"""The shared conformance cases, through boto3 against a real server: one test per case.

Cases live as data in ``tests/conformance/cases/<folder>/`` (a copy of ``../shared/conformance``).
A folder is collected once its service is served by this build; the in-process interpreter runs
the workflow cases in ``tests/workflows`` too.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conformance import run as runner
from tests.harness.conformance import FOLDER_SERVICE, implemented, served
from tests.harness.server import ServerProcess

CASES = Path(__file__).parent / "cases"
SERVED = served()


def _cases() -> list:
    found = []
    for folder, service in sorted(FOLDER_SERVICE.items()):
        if service not in SERVED:
            continue
        for path, case in runner.load_cases([CASES / folder]):
            if not implemented(case):  # another branch's operations (event source mappings)
                continue
            found.append(pytest.param(case, id=f"{folder}/{path.stem}::{case['name']}"))
    return found


@pytest.mark.server
@pytest.mark.parametrize("case", _cases())
def test_shared_case(server: ServerProcess, case: dict) -> None:
    try:
        runner.Runner(server.endpoint).run_case(case)
    except runner.Failure as failure:
        pytest.fail(str(failure), pytrace=False)
