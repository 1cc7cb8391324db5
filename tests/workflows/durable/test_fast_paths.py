"""What the durable engine skips or keeps to go fast, and that nothing observable changes with it."""

from __future__ import annotations

import json
from typing import Any

import eventyard
from eventyard.bus.rulebook import Book, _sources_of
from eventyard.workflows import execution_store
from tests.workflows.durable.conftest import Catalogue
from tests.workflows.durable.test_engine import _messages, _queue, describe, history, run

PASS = {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}


async def _rule_to_queue(yard: eventyard.Yard, rule: str, pattern: dict[str, Any], url: str) -> None:
    sqs, events = yard.client("sqs"), yard.client("events")
    arn = (await sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"]))["Attributes"]["QueueArn"]
    await events.put_rule(Name=rule, EventPattern=json.dumps(pattern))
    await events.put_targets(Rule=rule, Targets=[{"Id": "q", "Arn": arn}])


def test_a_book_knows_the_sources_its_rules_can_match() -> None:
    def rule(name: str, pattern: Any, state: str = "ENABLED") -> dict[str, Any]:
        return {"Name": name, "State": state, "EventPattern": json.dumps(pattern) if pattern else None}

    assert _sources_of([rule("a", {"source": ["shop"]}), rule("b", {"source": ["billing", "shop"]})]) == {
        "shop",
        "billing",
    }
    assert _sources_of([rule("a", {"source": ["shop"]}), rule("off", {"detail": {}}, "DISABLED")]) == {"shop"}
    assert _sources_of([rule("scheduled", None)]) == set()
    assert _sources_of([rule("any", {"detail-type": ["x"]})]) is None  # no source: any source
    assert _sources_of([rule("prefix", {"source": [{"prefix": "aws."}]})]) is None
    book = Book(rules={"a": rule("a", {"source": ["shop"]})})
    assert not book.may_match_source("aws.states") and book.may_match_source("shop")
    book.rules["b"] = rule("b", {"source": [{"prefix": "aws."}]})
    book.rules_changed()
    assert book.may_match_source("aws.states")


async def test_status_changes_reach_a_rule_put_after_executions_ran_without_one(
    yard: eventyard.Yard, catalogue: Catalogue
) -> None:
    """Given executions that ran while the default bus had only a rule for another source (no status
    event was built for them), when a rule for aws.states is put, then the next execution's status
    changes reach its target, and the other source's rule still gets its events."""
    status, shop = await _queue(yard, "status"), await _queue(yard, "shop")
    await _rule_to_queue(yard, "shop", {"source": ["shop"]}, shop)
    arn = await catalogue.add("quiet", PASS)
    await run(yard, arn)
    await run(yard, arn)
    assert not await _messages(yard, shop)
    await _rule_to_queue(yard, "status", {"source": ["aws.states"]}, status)
    execution = await run(yard, arn)
    bodies = [json.loads(m["Body"]) for m in await _messages(yard, status)]
    assert sorted((b["detail"]["executionArn"], b["detail"]["status"]) for b in bodies) == [
        (execution, "RUNNING"),
        (execution, "SUCCEEDED"),
    ]
    await yard.client("events").put_events(Entries=[{"Source": "shop", "DetailType": "x", "Detail": "{}"}])
    assert len(await _messages(yard, shop)) == 1


async def test_an_archive_on_the_default_bus_keeps_status_changes(yard: eventyard.Yard, catalogue: Catalogue) -> None:
    events = yard.client("events")
    bus = (await events.describe_event_bus())["Arn"]
    await events.create_archive(ArchiveName="all", EventSourceArn=bus)
    arn = await catalogue.add("archived", PASS)
    await run(yard, arn)
    described = await events.describe_archive(ArchiveName="all")
    assert described["EventCount"] == 2  # RUNNING and SUCCEEDED


async def test_an_update_is_what_the_next_start_runs(yard: eventyard.Yard, catalogue: Catalogue) -> None:
    """Resolved machines are kept per node; an update (or a delete) through the API is seen at once."""
    sfn = yard.client("stepfunctions")
    arn = await catalogue.add("changing", {"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": 1, "End": True}}})
    first = await run(yard, arn)
    await sfn.update_state_machine(
        stateMachineArn=arn,
        definition=json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": 2, "End": True}}}),
    )
    second = await run(yard, arn)
    assert [(await describe(yard, e))["output"] for e in (first, second)] == ["1", "2"]
    await sfn.delete_state_machine(stateMachineArn=arn)
    try:
        await sfn.start_execution(stateMachineArn=arn)
    except Exception as error:
        assert "StateMachineDoesNotExist" in repr(error) or "State Machine Does Not Exist" in str(error)
    else:
        raise AssertionError("a deleted machine started an execution")


async def test_history_pages_forward_and_back_across_rows_of_several_events(
    yard: eventyard.Yard, catalogue: Catalogue
) -> None:
    """Given an execution whose history was appended in commits of several events each (a Wait
    suspends it twice), then every page size reads the same events, forward and in reverse."""
    definition = {
        "StartAt": "A",
        "States": {
            "A": {"Type": "Pass", "Next": "W1"},
            "W1": {"Type": "Wait", "Seconds": 5, "Next": "B"},
            "B": {"Type": "Pass", "Next": "W2"},
            "W2": {"Type": "Wait", "Seconds": 5, "Next": "C"},
            "C": {"Type": "Pass", "End": True},
        },
    }
    arn = await catalogue.add("paged", definition)
    execution = await run(yard, arn)
    await yard.advance(10)
    assert (await describe(yard, execution))["status"] == "SUCCEEDED"
    everything = await history(yard, execution)
    ids = [e["id"] for e in everything]
    assert ids == list(range(1, len(everything) + 1)) and len(ids) == 12
    sfn = yard.client("stepfunctions")
    for size in (1, 2, 3, 5, 11, 12, 100):
        for reverse in (False, True):
            seen: list[int] = []
            kwargs: dict[str, Any] = {"executionArn": execution, "maxResults": size, "reverseOrder": reverse}
            while True:
                page = await sfn.get_execution_history(**kwargs)
                assert len(page["events"]) <= size
                seen += [e["id"] for e in page["events"]]
                if not page.get("nextToken"):
                    break
                kwargs["nextToken"] = page["nextToken"]
            assert seen == (ids[::-1] if reverse else ids), (size, reverse)


async def test_history_rows_of_one_event_each_read_alike(yard: eventyard.Yard) -> None:
    """Rows written one event each (as before histories were appended a commit a row) and rows of
    several events read as one history."""
    arn = "arn:aws:states:us-east-1:000000000000:execution:m:e"
    made = [{"id": n, "type": "PassStateEntered", "previousEventId": n - 1} for n in range(1, 8)]

    def write(c: Any) -> None:
        for event in made[:3]:
            execution_store.add_events(c, arn, [event])
        execution_store.add_events(c, arn, made[3:6])
        execution_store.add_events(c, arn, made[6:])

    await yard.db.write(write)

    def read(after: int, limit: int, reverse: bool) -> Any:
        return yard.db.read(lambda c: execution_store.events(c, arn, after, limit, reverse))

    assert [e["id"] for e in await read(0, 100, False)] == [1, 2, 3, 4, 5, 6, 7]
    assert [e["id"] for e in await read(4, 2, False)] == [5, 6]
    assert [e["id"] for e in await read(8, 100, True)] == [7, 6, 5, 4, 3, 2, 1]
    assert [e["id"] for e in await read(6, 3, True)] == [5, 4, 3]
    assert [e["id"] for e in await read(4, 100, True)] == [3, 2, 1]


async def test_deleting_a_machine_waits_for_its_last_execution_among_many_ended_ones(
    yard: eventyard.Yard, catalogue: Catalogue
) -> None:
    """The question "does this machine still run executions" (asked when each one ends, answered by
    an index of the running ones) keeps a DELETING machine until its last execution ends."""
    sfn = yard.client("stepfunctions")
    arn = await catalogue.add(
        "going", {"StartAt": "W", "States": {"W": {"Type": "Wait", "SecondsPath": "$.s", "End": True}}}
    )
    for _ in range(5):
        await run(yard, arn, {"s": 0})
    short, long = await run(yard, arn, {"s": 5}), await run(yard, arn, {"s": 50})
    await sfn.delete_state_machine(stateMachineArn=arn)
    assert (await sfn.describe_state_machine(stateMachineArn=arn))["status"] == "DELETING"
    await yard.advance(10)
    assert (await describe(yard, short))["status"] == "SUCCEEDED"
    assert (await sfn.describe_state_machine(stateMachineArn=arn))["status"] == "DELETING"
    await yard.advance(50)
    assert (await describe(yard, long))["status"] == "SUCCEEDED"
    assert not (await sfn.list_state_machines())["stateMachines"]


async def test_a_computing_machine_ends_in_its_start_with_the_history_of_a_run(
    yard: eventyard.Yard, catalogue: Catalogue
) -> None:
    """Given a machine of Pass, Choice and Fail states only, when it starts, then the execution has
    ended by the time StartExecution answers (one transaction), with the history, the status change
    events and the redrive point of any other run."""
    status = await _queue(yard, "ends")
    await _rule_to_queue(yard, "ends", {"source": ["aws.states"]}, status)
    definition = {
        "StartAt": "Check",
        "States": {
            "Check": {"Type": "Choice", "Choices": [{"Variable": "$.ok", "BooleanEquals": True, "Next": "Fine"}],
                      "Default": "Broken"},
            "Fine": {"Type": "Pass", "Result": {"done": 1}, "End": True},
            "Broken": {"Type": "Fail", "Error": "Bad", "Cause": "not ok"},
        },
    }  # fmt: skip
    arn = await catalogue.add("computing", definition)
    sfn = yard.client("stepfunctions")
    fine = (await sfn.start_execution(stateMachineArn=arn, input='{"ok": true}'))["executionArn"]
    broken = (await sfn.start_execution(stateMachineArn=arn, input='{"ok": false}'))["executionArn"]
    assert (await describe(yard, fine))["status"] == "SUCCEEDED"  # nothing ran in between
    failed = await describe(yard, broken)
    assert (failed["status"], failed["error"], failed["cause"], failed["redriveStatus"]) == (
        "FAILED", "Bad", "not ok", "REDRIVABLE",
    )  # fmt: skip
    assert [e["type"] for e in await history(yard, fine)] == [
        "ExecutionStarted", "ChoiceStateEntered", "ChoiceStateExited", "PassStateEntered", "PassStateExited",
        "ExecutionSucceeded",
    ]  # fmt: skip
    events = await history(yard, broken)
    assert [e["id"] for e in events] == [1, 2, 3, 4, 5] and events[-1]["type"] == "ExecutionFailed"
    assert [e["previousEventId"] for e in events] == [0, 0, 2, 3, 4]  # the first state follows event 0
    bodies = [json.loads(m["Body"])["detail"] for m in await _messages(yard, status)]
    assert sorted((b["executionArn"] == fine, b["status"]) for b in bodies) == [
        (False, "FAILED"), (False, "RUNNING"), (True, "RUNNING"), (True, "SUCCEEDED"),
    ]  # fmt: skip
    running = await sfn.list_executions(stateMachineArn=arn, statusFilter="RUNNING")
    assert not running["executions"]


async def test_a_computing_loop_too_long_to_end_in_its_start_runs_as_usual(
    yard: eventyard.Yard, catalogue: Catalogue
) -> None:
    definition = {
        "StartAt": "Init",
        "States": {
            "Init": {"Type": "Pass", "Result": 0, "ResultPath": "$.i", "Next": "Step"},
            "Step": {"Type": "Pass", "Parameters": {"i.$": "States.MathAdd($.i, 1)"}, "Next": "Loop"},
            "Loop": {"Type": "Choice", "Choices": [{"Variable": "$.i", "NumericLessThan": 300, "Next": "Step"}],
                     "Default": "Done"},
            "Done": {"Type": "Succeed"},
        },
    }  # fmt: skip
    arn = await catalogue.add("looping", definition)
    execution = await run(yard, arn)
    described = await describe(yard, execution)
    assert (described["status"], json.loads(described["output"])) == ("SUCCEEDED", {"i": 300})
    sfn = yard.client("stepfunctions")
    page = await sfn.get_execution_history(executionArn=execution, maxResults=1000, reverseOrder=True)
    events = page["events"]
    assert events[0]["id"] == 1 + 2 + 4 * 300 + 2 + 1 and events[0]["type"] == "ExecutionSucceeded"
    assert [e["id"] for e in events] == list(range(events[0]["id"], events[0]["id"] - 1000, -1))


async def test_a_computing_execution_that_failed_in_its_start_redrives_from_the_failed_state(
    yard: eventyard.Yard, catalogue: Catalogue
) -> None:
    definition = {
        "StartAt": "Prepare",
        "States": {
            "Prepare": {"Type": "Pass", "Next": "Broken"},
            "Broken": {"Type": "Fail", "Error": "Bad", "Cause": "always"},
        },
    }
    arn = await catalogue.add("redriven", definition)
    execution = await run(yard, arn)
    await yard.client("stepfunctions").redrive_execution(executionArn=execution)
    await yard.run_until_idle()
    described = await describe(yard, execution)
    assert (described["status"], described["redriveCount"], described["error"]) == ("FAILED", 1, "Bad")
    types = [e["type"] for e in await history(yard, execution)]
    assert types == [
        "ExecutionStarted", "PassStateEntered", "PassStateExited", "FailStateEntered", "ExecutionFailed",
        "ExecutionRedriven", "FailStateEntered", "ExecutionFailed",
    ]  # fmt: skip
