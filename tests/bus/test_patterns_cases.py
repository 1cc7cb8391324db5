"""Every shared pattern case, checked by ``parse_pattern`` and matched by both matchers."""

from __future__ import annotations

import pytest

from eventyard.bus.patterns import matches, parse_pattern
from eventyard.bus.patterns.machine import RuleMachine
from eventyard.errors import EventyardError
from tests.bus.pattern_cases import delivered_event, pattern_text, real_world_cases, shared_cases


def _machine_matches(pattern, event: dict) -> bool:
    machine = RuleMachine()
    machine.add("rule", pattern)
    return machine.match(event) == {"rule"}


@pytest.mark.parametrize("case", shared_cases())
def test_shared_pattern_case(case: dict) -> None:
    if case.get("invalid"):
        with pytest.raises(EventyardError) as raised:
            parse_pattern(pattern_text(case))
        assert raised.value.code == case.get("error", "InvalidEventPatternException")
        assert raised.value.status == 400
        assert raised.value.message.startswith("Event pattern is not valid. Reason: ")
        if case.get("message_contains"):
            assert case["message_contains"] in raised.value.message
        return
    pattern = parse_pattern(pattern_text(case))
    event = delivered_event(case)
    reference, compiled = matches(pattern, event), _machine_matches(pattern, event)
    assert reference is compiled
    if "match" in case:
        assert reference is case["match"]


@pytest.mark.parametrize("case", real_world_cases())
def test_real_world_pattern_is_accepted(case: dict) -> None:
    pattern = parse_pattern(pattern_text(case))
    event = delivered_event(case)
    reference, compiled = matches(pattern, event), _machine_matches(pattern, event)
    assert reference is compiled
    if "match" in case:
        assert reference is case["match"]
