"""Eventyard: an event bus, workflows, queues, streams, topics and functions speaking AWS's protocols."""

from __future__ import annotations

import sys

__version__ = "0.1.0"

from eventyard.yard import Yard, open

# The JSONata library (workflows) raises the interpreter's recursion limit to 10,000 the first time
# it evaluates, wherever that happens; raising it once here, when Eventyard is imported, keeps that
# from changing under a running program (or a test framework that watches it).
sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))

__all__ = ["Yard", "__version__", "open"]
