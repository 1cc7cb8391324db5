"""The matcher's modules compiled by mypyc (setup.py) must be built from the sources beside them.

An extension module shadows the ``.py`` of the same name, so after an edit a stale build would be
what runs, and every test would check old code. ``make`` rebuilds on any change to those sources;
this test catches a run that skipped it (``pytest`` straight after an edit).
"""

from __future__ import annotations

from pathlib import Path

import eventyard.bus.patterns.machine as machine

PACKAGE = Path(machine.__file__).parent


def test_every_compiled_module_is_newer_than_its_source() -> None:
    stale = [
        built.name
        for built in PACKAGE.glob("*.so")
        if built.stat().st_mtime < (PACKAGE / (built.name.split(".")[0] + ".py")).stat().st_mtime
    ]
    assert not stale, f"built before their sources changed: {stale}; run `make test` (or `pip install -e .`)"


def test_the_compiled_machine_is_the_one_imported_when_built() -> None:
    # a build that is present but not imported (a path or packaging mistake) would be silently slow
    if list(PACKAGE.glob("machine.*.so")):
        assert Path(machine.__file__).suffix == ".so"
