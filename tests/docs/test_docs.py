"""The docs list every operation each service implements, and only those (a newcomer can trust them)."""

from __future__ import annotations

import re
from pathlib import Path

from eventyard.models import model_for
from eventyard.service import operation_method
from eventyard.yard import SERVICES, _load

DOCS = Path(__file__).resolve().parents[2] / "docs"


def implemented() -> set[str]:
    found = set()
    for name, spec in SERVICES.items():
        service = _load(spec)
        if service is not None:
            found |= {op for op in model_for(name).operations if callable(getattr(service, operation_method(op), None))}
    return found


def test_operations_doc_lists_exactly_the_implemented_operations() -> None:
    listed = set(re.findall(r"^- `([A-Za-z]+)` \(`[a-z_]+`\)$", (DOCS / "operations.md").read_text(), re.MULTILINE))
    assert listed == implemented()


def test_every_sqs_operation_in_botocore_is_served() -> None:
    assert set(model_for("sqs").operations) <= implemented()


def test_readme_shows_the_two_commands() -> None:
    readme = (DOCS.parent / "README.md").read_text()
    assert "make run" in readme and "make test" in readme
