"""``RuleMachine``: incremental changes, sharing and pruning, and the event shapes it must handle."""

from __future__ import annotations

from eventyard.bus.patterns import matches, parse_pattern
from eventyard.bus.patterns.machine import RuleMachine


def _machine(**rules: str) -> RuleMachine:
    machine = RuleMachine()
    for rule_id, text in rules.items():
        machine.add(rule_id, parse_pattern(text))
    return machine


EC2 = {"source": "aws.ec2", "detail-type": "x", "detail": {"state": "running", "n": 5}}


def test_match_returns_every_rule_the_event_matches() -> None:
    machine = _machine(
        by_source='{"source": ["aws.ec2"]}',
        by_state='{"detail": {"state": [{"prefix": "run"}]}}',
        other='{"source": ["aws.s3"]}',
        numeric='{"detail": {"n": [{"numeric": [">", 1, "<=", 5]}]}}',
    )
    assert machine.match(EC2) == {"by_source", "by_state", "numeric"}


def test_adding_under_an_existing_id_replaces_the_rule() -> None:
    machine = _machine(rule='{"source": ["aws.s3"]}')
    machine.add("rule", parse_pattern('{"source": ["aws.ec2"]}'))
    assert machine.match(EC2) == {"rule"}
    assert len(machine) == 1


def test_removing_a_rule_leaves_rules_sharing_its_steps_intact() -> None:
    machine = _machine(
        one='{"source": ["aws.ec2"], "detail": {"state": ["running"]}}',
        two='{"source": ["aws.ec2"], "detail": {"state": ["running"]}}',
        three='{"source": ["aws.ec2"]}',
    )
    machine.remove("one")
    assert machine.match(EC2) == {"two", "three"}
    machine.remove("missing")  # unknown ids are ignored
    machine.remove("two")
    machine.remove("three")
    assert machine.match(EC2) == set()
    assert not machine._root.children and not machine._root.fields


def test_fields_no_rule_uses_are_never_flattened() -> None:
    machine = _machine(rule='{"source": ["aws.ec2"]}')
    event = {**EC2, "detail": {"huge": [[{"x": i} for i in range(1000)]]}}
    assert machine.match(event) == {"rule"}


def test_dotted_keys_read_the_same_as_nesting_in_events_and_patterns() -> None:
    machine = _machine(rule='{"detail": {"state.status": ["up"]}}')
    assert machine.match({"detail": {"state": {"status": "up"}}}) == {"rule"}
    assert machine.match({"detail": {"state.status": "up"}}) == {"rule"}
    crowded = {"detail": {"a": 1, "b": 2, "c": 3, "state.status": "up"}, "x": 1, "y": 2}
    assert machine.match(crowded) == {"rule"}
    assert machine.match({**crowded, "detail": {"a": 1, "state.status": "down"}}) == set()


def test_fields_of_one_match_come_from_the_same_array_element() -> None:
    text = '{"employees": {"firstName": ["Anna"], "lastName": ["Jones"]}}'
    machine = _machine(rule=text)
    mixed = {"employees": [{"firstName": "Anna", "lastName": "Smith"}, {"firstName": "Peter", "lastName": "Jones"}]}
    same = {"employees": [{"firstName": "John"}, {"firstName": "Anna", "lastName": "Jones"}]}
    assert machine.match(mixed) == set() and not matches(parse_pattern(text), mixed)
    assert machine.match(same) == {"rule"} and matches(parse_pattern(text), same)


def test_exists_false_and_or_branches_reach_rules() -> None:
    machine = _machine(
        absent='{"detail": {"gone": [{"exists": false}]}}',
        either='{"$or": [{"source": ["nope"]}, {"detail": {"n": [5]}}]}',
    )
    assert machine.match(EC2) == {"absent", "either"}
    assert machine.match({**EC2, "detail": {"gone": 1}}) == set()


def test_many_rules_on_one_field_are_found_by_lookup() -> None:
    machine = RuleMachine()
    for number in range(2000):
        machine.add(f"exact-{number}", parse_pattern(f'{{"detail": {{"id": ["{number}"]}}}}'))
        machine.add(
            f"range-{number}",
            parse_pattern(f'{{"detail": {{"n": [{{"numeric": [">=", {number}, "<", {number + 2}]}}]}}}}'),
        )
        machine.add(f"prefix-{number}", parse_pattern(f'{{"detail": {{"p": [{{"prefix": "k{number}-"}}]}}}}'))
    event = {"detail": {"id": "1234", "n": 77.5, "p": "k42-x"}}
    assert machine.match(event) == {"exact-1234", "range-76", "range-77", "prefix-42"}
