"""``make conformance``: a fresh server, then the shared conformance runner over the given cases.

    python -m tests.harness.conformance ../shared/conformance/cases [more paths...]

Only the case folders of services this build serves are run (``queues`` needs SQS, ``events``
EventBridge, ``workflows`` Step Functions, ``streams`` Kinesis); the others are named and left out.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from eventyard.service import operation_method
from eventyard.yard import SERVICES, _load
from tests.conformance import run as runner
from tests.harness.server import ServerProcess

FOLDER_SERVICE = {
    "queues": "sqs",
    "events": "events",
    "workflows": "stepfunctions",
    "streams": "kinesis",
    "topics": "sns",
    "functions": "lambda",
}


def served() -> set[str]:
    return {name for name, spec in SERVICES.items() if _load(spec) is not None}


def implemented(case: dict) -> bool:
    """Whether every operation the case calls is implemented by this build's services (the functions
    folder holds event source mapping cases, served by their own branch: they are left out, and
    named, until their operations exist)."""
    for step in case.get("steps", []):
        if "call" not in step:
            continue
        service = step.get("service", case.get("service"))
        spec = SERVICES.get(service or "")
        cls = _load(spec) if spec else None
        if cls is None or not callable(getattr(cls, operation_method(step["call"]), None)):
            return False
    return True


def selected(paths: list[str]) -> list[str]:
    services = served()
    chosen: list[str] = []
    for raw in paths:
        path = Path(raw)
        folders = [p for p in sorted(path.iterdir()) if p.is_dir()] if path.is_dir() else []
        if folders and all(folder.name in FOLDER_SERVICE for folder in folders):
            for folder in folders:
                if FOLDER_SERVICE[folder.name] in services:
                    chosen += _files_implemented(folder)
                else:
                    print(f"(left out {folder}: {FOLDER_SERVICE[folder.name]} is not served yet)")
        else:
            chosen.append(raw)
    return chosen


def _files_implemented(folder: Path) -> list[str]:
    files = sorted(folder.rglob("*.json"))
    kept = [f for f in files if all(implemented(case) for _, case in runner.load_cases([f]))]
    for left in sorted(set(files) - set(kept)):
        print(f"(left out {left}: it calls operations this build does not implement yet)")
    return [str(folder)] if len(kept) == len(files) else [str(f) for f in kept]


def main(argv: list[str]) -> int:
    paths = selected(argv or ["tests/conformance/cases"])
    if not paths:
        print("no case folder for a served service")
        return 1
    with tempfile.TemporaryDirectory() as data, ServerProcess(f"{data}/yard.db") as server:
        return runner.main(["--endpoint", server.endpoint, "-q", *paths])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
