"""The shared pattern cases (conformance and real-world corpus) as pytest parameters."""

from __future__ import annotations

import json
import pathlib

import pytest

CONFORMANCE = pathlib.Path(__file__).parents[1] / "conformance"
ACCOUNT = "000000000000"
REGION = "us-east-1"


def _load(path: pathlib.Path) -> list[dict]:
    data = json.loads(path.read_text())
    cases = data if isinstance(data, list) else [data]
    return [case for case in cases if case.get("kind") == "pattern"]


def shared_cases() -> list:
    """Every ``pattern`` case of tests/conformance/cases/events/*.json, named file::case."""
    params = []
    for path in sorted((CONFORMANCE / "cases" / "events").glob("*.json")):
        for index, case in enumerate(_load(path)):
            params.append(pytest.param(case, id=f"{path.stem}::{case.get('name', index)}"))
    return params


def real_world_cases() -> list:
    """Every case of the real-world corpus (all must be accepted; some carry a sample event)."""
    cases = _load(CONFORMANCE / "real-world" / "patterns.json")
    return [pytest.param(case, id=f"{index}:{case['name'][-60:]}") for index, case in enumerate(cases)]


def delivered_event(case: dict) -> dict:
    """The event as EventBridge delivers it: the case's fields over run.py's envelope defaults."""
    event = {
        "id": "6f87d04b-9f74-4f04-a780-7acf4b0a9b38",
        "account": ACCOUNT,
        "source": "conformance.test",
        "time": "2026-01-01T00:00:00Z",
        "region": REGION,
        "resources": [],
        "detail-type": "Conformance",
        "detail": {},
    }
    event.update(case.get("event", {}))
    return event


def pattern_text(case: dict) -> str:
    """The EventPattern string a client sends (json.dumps, as the conformance runner does)."""
    return json.dumps(case["pattern"])
