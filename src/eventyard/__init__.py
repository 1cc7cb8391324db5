"""Eventyard: an event bus with rules, workflows, queues and streams, speaking AWS's wire protocols."""

from __future__ import annotations

__version__ = "0.1.0"

from eventyard.yard import Yard, open

__all__ = ["Yard", "__version__", "open"]
