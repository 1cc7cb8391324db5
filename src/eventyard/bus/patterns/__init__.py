"""EventBridge's event pattern language: check, compile, match.

- ``parse_pattern(text)`` checks a pattern with AWS's error messages and returns a ``Pattern``;
- ``matches(pattern, event)`` is the one-shot reference matcher, simple enough to trust by reading;
- ``RuleMachine`` compiles many rules into one matcher whose cost per event does not grow with them.
"""

from eventyard.bus.patterns.check import parse_pattern
from eventyard.bus.patterns.model import Pattern
from eventyard.bus.patterns.reference import matches

__all__ = ["Pattern", "matches", "parse_pattern"]
