"""Standard executions run durably: each suspension committed, resumed on the clock, history appended once."""

from __future__ import annotations

import json
from typing import Any

import eventyard
from eventyard.clock import VirtualClock
from tests.workflows.durable.conftest import Catalogue


async def run(yard: eventyard.Yard, arn: str, value: Any = None, name: str | None = None) -> str:
    request: dict[str, Any] = {"stateMachineArn": arn, "input": json.dumps(value if value is not None else {})}
    if name:
        request["name"] = name
    started = await yard.client("stepfunctions").start_execution(**request)
    await yard.run_until_idle()
    return str(started["executionArn"])


async def describe(yard: eventyard.Yard, execution: str) -> dict[str, Any]:
    return dict(await yard.client("stepfunctions").describe_execution(executionArn=execution))


async def history(yard: eventyard.Yard, execution: str) -> list[dict[str, Any]]:
    return list((await yard.client("stepfunctions").get_execution_history(executionArn=execution))["events"])


async def test_a_chain_of_passes_succeeds_with_aws_history(yard: eventyard.Yard, catalogue: Catalogue) -> None:
    arn = await catalogue.add(
        "chain",
        {
            "StartAt": "A",
            "States": {"A": {"Type": "Pass", "Result": 1, "Next": "B"}, "B": {"Type": "Pass", "End": True}},
        },
    )
    execution = await run(yard, arn, {"x": 1})
    described = await describe(yard, execution)
    assert (described["status"], json.loads(described["output"])) == ("SUCCEEDED", 1)
    events = await history(yard, execution)
    assert [e["type"] for e in events] == [
        "ExecutionStarted", "PassStateEntered", "PassStateExited", "PassStateEntered", "PassStateExited",
        "ExecutionSucceeded",
    ]  # fmt: skip
    assert [e["id"] for e in events] == [1, 2, 3, 4, 5, 6]
    assert [e["previousEventId"] for e in events] == [0, 0, 2, 3, 4, 5]  # AWS: the first state follows event 0


async def test_a_day_long_wait_suspends_and_finishes_when_the_clock_gets_there(
    yard: eventyard.Yard, catalogue: Catalogue, clock: VirtualClock
) -> None:
    arn = await catalogue.add(
        "patient", {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 86400, "End": True}}}
    )
    execution = await run(yard, arn, {"k": "v"})
    assert (await describe(yard, execution))["status"] == "RUNNING"
    row = await yard.db.read(lambda c: c.execute("SELECT snapshot FROM sfn_executions").fetchone())
    assert json.loads(row[0])["root"]["state"] == "W", "the suspension is committed"
    await yard.advance(86399)
    assert (await describe(yard, execution))["status"] == "RUNNING"
    await yard.advance(1)
    described = await describe(yard, execution)
    assert (described["status"], json.loads(described["output"])) == ("SUCCEEDED", {"k": "v"})
    types = [e["type"] for e in await history(yard, execution)]
    assert types == ["ExecutionStarted", "WaitStateEntered", "WaitStateExited", "ExecutionSucceeded"]


async def _queue(yard: eventyard.Yard, name: str) -> str:
    return str((await yard.client("sqs").create_queue(QueueName=name))["QueueUrl"])


async def _messages(yard: eventyard.Yard, url: str) -> list[dict[str, Any]]:
    got = await yard.client("sqs").receive_message(QueueUrl=url, MaxNumberOfMessages=10)
    return list(got.get("Messages", []))


async def test_a_callback_waits_without_a_coroutine_and_its_token_finishes_it(
    yard: eventyard.Yard, catalogue: Catalogue
) -> None:
    url = await _queue(yard, "asks")
    arn = await catalogue.add(
        "ask",
        {
            "StartAt": "Ask",
            "States": {
                "Ask": {
                    "Type": "Task",
                    "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
                    "Parameters": {"QueueUrl": url, "MessageBody": {"token.$": "$$.Task.Token"}},
                    "End": True,
                }
            },
        },
    )
    execution = await run(yard, arn)
    [message] = await _messages(yard, url)
    token = json.loads(message["Body"])["token"]
    assert (await describe(yard, execution))["status"] == "RUNNING"
    assert not yard.kernel._firings, "nothing runs while the execution waits"
    await yard.client("stepfunctions").send_task_success(taskToken=token, output='{"ok": true}')
    await yard.run_until_idle()
    described = await describe(yard, execution)
    assert (described["status"], json.loads(described["output"])) == ("SUCCEEDED", {"ok": True})
    types = [e["type"] for e in await history(yard, execution)]
    assert types == [
        "ExecutionStarted", "TaskStateEntered", "TaskScheduled", "TaskStarted", "TaskSubmitted", "TaskSucceeded",
        "TaskStateExited", "ExecutionSucceeded",
    ]  # fmt: skip


async def test_a_retry_back_off_is_a_timer_and_the_retried_attempt_is_scheduled_again(
    yard: eventyard.Yard, catalogue: Catalogue
) -> None:
    arn = await catalogue.add(
        "retrying",
        {
            "StartAt": "Find",
            "States": {
                "Find": {
                    "Type": "Task",
                    "Resource": "arn:aws:states:::aws-sdk:sqs:getQueueUrl",
                    "Parameters": {"QueueName": "later"},
                    "Retry": [{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 60, "MaxAttempts": 2}],
                    "End": True,
                }
            },
        },
    )
    execution = await run(yard, arn)
    assert (await describe(yard, execution))["status"] == "RUNNING"
    await _queue(yard, "later")  # the queue appears during the back-off
    await yard.advance(60)
    described = await describe(yard, execution)
    assert described["status"] == "SUCCEEDED", described
    types = [e["type"] for e in await history(yard, execution)]
    assert types.count("TaskScheduled") == 2 and types.count("TaskStateEntered") == 1
    failed = next(e for e in await history(yard, execution) if e["type"] == "TaskFailed")
    assert failed["taskFailedEventDetails"]["error"] == "Sqs.QueueDoesNotExistException"


async def test_a_heartbeat_that_stops_coming_times_the_task_out(yard: eventyard.Yard, catalogue: Catalogue) -> None:
    url = await _queue(yard, "beats")
    arn = await catalogue.add(
        "beating",
        {
            "StartAt": "Ask",
            "States": {
                "Ask": {
                    "Type": "Task",
                    "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
                    "HeartbeatSeconds": 10,
                    "TimeoutSeconds": 600,
                    "Parameters": {"QueueUrl": url, "MessageBody.$": "$$.Task.Token"},
                    "End": True,
                }
            },
        },
    )
    execution = await run(yard, arn)
    [message] = await _messages(yard, url)
    sfn = yard.client("stepfunctions")
    for _ in range(3):  # heartbeats keep it alive
        await yard.advance(8)
        await sfn.send_task_heartbeat(taskToken=message["Body"])
    assert (await describe(yard, execution))["status"] == "RUNNING"
    await yard.advance(11)
    described = await describe(yard, execution)
    assert (described["status"], described["error"]) == ("FAILED", "States.Timeout")  # AWS reports it so


async def test_parallel_branches_wait_together_and_the_run_suspends_once_both_wait(
    yard: eventyard.Yard, catalogue: Catalogue
) -> None:
    arn = await catalogue.add(
        "both",
        {
            "StartAt": "P",
            "States": {
                "P": {
                    "Type": "Parallel",
                    "Branches": [
                        {"StartAt": "A", "States": {"A": {"Type": "Wait", "Seconds": 10, "End": True}}},
                        {
                            "StartAt": "B",
                            "States": {
                                "B": {"Type": "Wait", "Seconds": 30, "Next": "C"},
                                "C": {"Type": "Pass", "Result": "c", "End": True},
                            },
                        },
                    ],
                    "End": True,
                }
            },
        },
    )
    execution = await run(yard, arn, {"v": 1})
    await yard.advance(10)
    assert (await describe(yard, execution))["status"] == "RUNNING"
    await yard.advance(20)
    described = await describe(yard, execution)
    assert (described["status"], json.loads(described["output"])) == ("SUCCEEDED", [{"v": 1}, "c"])
    events = await history(yard, execution)
    types = [e["type"] for e in events]
    assert types.count("WaitStateEntered") == 2 and types.count("ParallelStateEntered") == 1
    assert types[-3:] == ["ParallelStateSucceeded", "ParallelStateExited", "ExecutionSucceeded"]
    assert [e["id"] for e in events] == list(range(1, len(events) + 1))


async def test_a_map_of_waits_finishes_every_iteration_once(yard: eventyard.Yard, catalogue: Catalogue) -> None:
    arn = await catalogue.add(
        "fan",
        {
            "StartAt": "M",
            "States": {
                "M": {
                    "Type": "Map",
                    "MaxConcurrency": 2,
                    "ItemProcessor": {
                        "StartAt": "W",
                        "States": {"W": {"Type": "Wait", "SecondsPath": "$", "End": True}},
                    },
                    "End": True,
                }
            },
        },
    )
    execution = await run(yard, arn, [5, 1, 3, 2])
    await yard.advance(100)
    described = await describe(yard, execution)
    assert (described["status"], json.loads(described["output"])) == ("SUCCEEDED", [5, 1, 3, 2])
    types = [e["type"] for e in await history(yard, execution)]
    assert types.count("MapIterationStarted") == 4 and types.count("MapIterationSucceeded") == 4
    assert types.count("WaitStateEntered") == 4


async def test_stop_execution_aborts_a_waiting_execution_for_good(yard: eventyard.Yard, catalogue: Catalogue) -> None:
    arn = await catalogue.add("held", {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 100, "End": True}}})
    execution = await run(yard, arn)
    await yard.client("stepfunctions").stop_execution(executionArn=execution, error="Ops.Cancelled", cause="why")
    await yard.advance(200)
    described = await describe(yard, execution)
    assert (described["status"], described["error"], described["cause"]) == ("ABORTED", "Ops.Cancelled", "why")
    assert [e["type"] for e in await history(yard, execution)][-1] == "ExecutionAborted"


async def test_a_sync_child_finishes_its_parent(yard: eventyard.Yard, catalogue: Catalogue) -> None:
    child = await catalogue.add("child", {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 5, "End": True}}})
    parent = await catalogue.add(
        "parent",
        {
            "StartAt": "Run",
            "States": {
                "Run": {
                    "Type": "Task",
                    "Resource": "arn:aws:states:::states:startExecution.sync:2",
                    "Parameters": {"StateMachineArn": child, "Name": "kid", "Input": {"who": "ann"}},
                    "End": True,
                }
            },
        },
    )
    execution = await run(yard, parent)
    kid = "arn:aws:states:us-east-1:000000000000:execution:child:kid"
    assert (await describe(yard, kid))["status"] == "RUNNING"
    await yard.advance(5)
    described = await describe(yard, execution)
    assert described["status"] == "SUCCEEDED", described
    output = json.loads(described["output"])
    assert (output["Status"], output["Output"], output["Name"]) == ("SUCCEEDED", {"who": "ann"}, "kid")


async def test_redrive_continues_from_the_failed_state(yard: eventyard.Yard, catalogue: Catalogue) -> None:
    arn = await catalogue.add(
        "redrivable",
        {
            "StartAt": "Prep",
            "States": {
                "Prep": {"Type": "Pass", "Result": "prepared", "ResultPath": "$.prep", "Next": "Find"},
                "Find": {
                    "Type": "Task",
                    "Resource": "arn:aws:states:::aws-sdk:sqs:getQueueUrl",
                    "Parameters": {"QueueName": "appears"},
                    "ResultPath": "$.found",
                    "End": True,
                },
            },
        },
    )
    execution = await run(yard, arn)
    described = await describe(yard, execution)
    assert (described["status"], described["redriveStatus"]) == ("FAILED", "REDRIVABLE")
    await _queue(yard, "appears")
    await yard.client("stepfunctions").redrive_execution(executionArn=execution)
    await yard.run_until_idle()
    described = await describe(yard, execution)
    assert (described["status"], described["redriveCount"]) == ("SUCCEEDED", 1)
    assert json.loads(described["output"])["prep"] == "prepared"
    types = [e["type"] for e in await history(yard, execution)]
    assert types.count("PassStateEntered") == 1 and types.count("TaskScheduled") == 2
    assert "ExecutionRedriven" in types


async def test_the_same_start_twice_is_one_execution_and_a_different_input_is_refused(
    yard: eventyard.Yard, catalogue: Catalogue
) -> None:
    from eventyard.errors import EventyardError

    arn = await catalogue.add("held", {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 100, "End": True}}})
    sfn = yard.client("stepfunctions")
    first = await sfn.start_execution(stateMachineArn=arn, name="once", input='{"a": 1}')
    again = await sfn.start_execution(stateMachineArn=arn, name="once", input='{"a": 1}')
    assert first == again
    try:
        await sfn.start_execution(stateMachineArn=arn, name="once", input='{"a": 2}')
        raise AssertionError("a different input must be refused")
    except EventyardError as error:
        assert error.code == "ExecutionAlreadyExists"


async def test_put_events_from_a_task_is_delivered_once(yard: eventyard.Yard, catalogue: Catalogue) -> None:
    url = await _queue(yard, "events-out")
    queue_arn = (await yard.client("sqs").get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"]))[
        "Attributes"
    ]["QueueArn"]
    events = yard.client("events")
    await events.put_rule(Name="r", EventPattern='{"source": ["shop"]}')
    await events.put_targets(Rule="r", Targets=[{"Id": "q", "Arn": queue_arn}])
    arn = await catalogue.add(
        "emit",
        {
            "StartAt": "E",
            "States": {
                "E": {
                    "Type": "Task",
                    "Resource": "arn:aws:states:::events:putEvents",
                    "Parameters": {"Entries": [{"Source": "shop", "DetailType": "t", "Detail": {"n": 1}}]},
                    "End": True,
                }
            },
        },
    )
    execution = await run(yard, arn)
    described = await describe(yard, execution)
    assert json.loads(described["output"])["FailedEntryCount"] == 0
    [message] = await _messages(yard, url)
    body = json.loads(message["Body"])
    assert body["detail"] == {"n": 1} and execution in body["resources"]


async def test_status_changes_are_events_on_the_default_bus(yard: eventyard.Yard, catalogue: Catalogue) -> None:
    url = await _queue(yard, "status")
    queue_arn = (await yard.client("sqs").get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"]))[
        "Attributes"
    ]["QueueArn"]
    events = yard.client("events")
    await events.put_rule(Name="s", EventPattern='{"source": ["aws.states"]}')
    await events.put_targets(Rule="s", Targets=[{"Id": "q", "Arn": queue_arn}])
    arn = await catalogue.add("noted", {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}})
    execution = await run(yard, arn)
    bodies = [json.loads(m["Body"]) for m in await _messages(yard, url)]
    assert sorted(b["detail"]["status"] for b in bodies) == ["RUNNING", "SUCCEEDED"]
    assert {b["detail-type"] for b in bodies} == {"Step Functions Execution Status Change"}
    assert all(b["detail"]["executionArn"] == execution for b in bodies)


async def test_an_execution_waiting_across_a_restart_finishes_on_the_next_run(tmp_path: Any) -> None:
    """Given an execution waiting for a callback and a Wait, when the yard stops and another opens the
    same database, then the token handed out before still works and the execution finishes there."""
    clock = VirtualClock(start=1_800_000_000.0)
    path = str(tmp_path / "yard.db")
    definition = {
        "StartAt": "Ask",
        "States": {
            "Ask": {
                "Type": "Task",
                "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
                "Parameters": {"QueueUrl": "http://127.0.0.1:4566/000000000000/asks", "MessageBody.$": "$$.Task.Token"},
                "Next": "Later",
            },
            "Later": {"Type": "Wait", "Seconds": 3600, "End": True},
        },
    }
    async with eventyard.open(path, clock=clock) as yard:
        catalogue = Catalogue(yard)
        url = await _queue(yard, "asks")
        arn = await catalogue.add("restarted", definition)
        execution = await run(yard, arn)
        [message] = await _messages(yard, url)
    async with eventyard.open(path, clock=clock) as yard:
        await yard.client("stepfunctions").send_task_success(taskToken=message["Body"], output="{}")
        await yard.run_until_idle()
        assert (await describe(yard, execution))["status"] == "RUNNING"
    async with eventyard.open(path, clock=clock) as yard:
        await yard.advance(3600)
        assert (await describe(yard, execution))["status"] == "SUCCEEDED"
        types = [e["type"] for e in await history(yard, execution)]
        assert types.count("TaskStateEntered") == 1 and types.count("WaitStateEntered") == 1
        assert [e["id"] for e in await history(yard, execution)] == list(range(1, len(types) + 1))


async def test_an_activity_worker_takes_the_task_and_its_success_finishes_the_execution(
    yard: eventyard.Yard, catalogue: Catalogue
) -> None:
    import asyncio

    activity = (await yard.client("stepfunctions").create_activity(name="work"))["activityArn"]
    arn = await catalogue.add(
        "worked", {"StartAt": "Work", "States": {"Work": {"Type": "Task", "Resource": activity, "End": True}}}
    )
    sfn = yard.client("stepfunctions")
    polling = asyncio.ensure_future(sfn.get_activity_task(activityArn=activity, workerName="w1"))
    execution = await run(yard, arn, {"job": 7})
    task = await asyncio.wait_for(polling, timeout=5)
    assert json.loads(task["input"]) == {"job": 7}
    await yard.run_until_idle()
    await sfn.send_task_success(taskToken=task["taskToken"], output='{"done": 7}')
    await yard.run_until_idle()
    described = await describe(yard, execution)
    assert (described["status"], json.loads(described["output"])) == ("SUCCEEDED", {"done": 7})
    events = await history(yard, execution)
    assert [e["type"] for e in events] == [
        "ExecutionStarted", "TaskStateEntered", "ActivityScheduled", "ActivityStarted", "ActivitySucceeded",
        "TaskStateExited", "ExecutionSucceeded",
    ]  # fmt: skip
    assert events[3]["activityStartedEventDetails"] == {"workerName": "w1"}


async def test_an_express_machine_runs_in_memory_and_answers_synchronously(
    yard: eventyard.Yard, catalogue: Catalogue
) -> None:
    arn = await catalogue.add(
        "quick",
        {"StartAt": "E", "States": {"E": {"Type": "Pass", "Parameters": {"echo.$": "$.v"}, "End": True}}},
        "EXPRESS",
    )
    answer = await yard.client("stepfunctions").start_sync_execution(stateMachineArn=arn, input='{"v": "x"}')
    assert (answer["status"], json.loads(answer["output"])) == ("SUCCEEDED", {"echo": "x"})
    assert ":express:quick:" in answer["executionArn"]


async def test_a_rule_starts_an_execution_in_the_transaction_that_accepts_the_event(
    yard: eventyard.Yard, catalogue: Catalogue
) -> None:
    arn = await catalogue.add(
        "on-order", {"StartAt": "P", "States": {"P": {"Type": "Pass", "InputPath": "$.detail", "End": True}}}
    )
    events = yard.client("events")
    await events.put_rule(Name="orders", EventPattern='{"source": ["shop"]}')
    await events.put_targets(
        Rule="orders", Targets=[{"Id": "sfn", "Arn": arn, "RoleArn": "arn:aws:iam::000000000000:role/r"}]
    )
    await events.put_events(Entries=[{"Source": "shop", "DetailType": "OrderCreated", "Detail": '{"order": 9}'}])
    await yard.run_until_idle()
    listed = await yard.client("stepfunctions").list_executions(stateMachineArn=arn)
    [execution] = listed["executions"]
    described = await describe(yard, execution["executionArn"])
    assert (described["status"], json.loads(described["output"])) == ("SUCCEEDED", {"order": 9})


async def test_a_test_case_of_the_mock_config_answers_the_mocked_states(
    yard: eventyard.Yard, catalogue: Catalogue
) -> None:
    from eventyard.workflows.mocks import MockConfig

    yard.services["stepfunctions"].mocks = MockConfig(  # type: ignore[attr-defined]
        {
            "StateMachines": {"mocked": {"TestCases": {"Happy": {"Charge": "Charged"}}}},
            "MockedResponses": {"Charged": {"0": {"Return": {"Payload": {"ok": True}}}}},
        }
    )
    arn = await catalogue.add(
        "mocked",
        {
            "StartAt": "Charge",
            "States": {
                "Charge": {
                    "Type": "Task",
                    "Resource": "arn:aws:states:::lambda:invoke",
                    "Parameters": {"FunctionName": "charge"},
                    "OutputPath": "$.Payload",
                    "End": True,
                }
            },
        },
    )
    execution = await run(yard, arn + "#Happy")
    described = await describe(yard, execution)
    assert (described["status"], json.loads(described["output"])) == ("SUCCEEDED", {"ok": True})


class _SlowFunctions:
    """A stand-in for the functions service: Invoke answers when ``release`` is set."""

    name = "lambda"
    migrations: tuple[Any, ...] = ()

    def __init__(self) -> None:
        import asyncio

        self.release = asyncio.Event()
        self.calls = 0

    def operation(self, operation: str) -> Any:
        return self.invoke if operation == "Invoke" else None

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def invoke(self, context: Any, request: dict[str, Any]) -> dict[str, Any]:
        self.calls += 1
        await self.release.wait()
        return {"StatusCode": 200, "Payload": b'{"ok": true}', "ExecutedVersion": "$LATEST"}


async def test_a_function_task_lost_in_a_crash_fails_as_interrupted_and_its_retry_runs_it_again(
    tmp_path: Any,
) -> None:
    """Given a task calling a function outside the yard, when the node dies while the call runs, then
    the next run cannot know the answer: the attempt fails with States.TaskFailed (the history says
    so) and the state's Retry calls the function again."""
    clock = VirtualClock(start=1_800_000_000.0)
    path = str(tmp_path / "yard.db")
    definition = {
        "StartAt": "Charge",
        "States": {
            "Charge": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": {"FunctionName": "charge", "Payload": {"n": 1}},
                "Retry": [{"ErrorEquals": ["States.TaskFailed"], "IntervalSeconds": 1, "MaxAttempts": 2}],
                "OutputPath": "$.Payload",
                "End": True,
            }
        },
    }
    first = eventyard.open(path, clock=clock)
    first.services["lambda"] = slow = _SlowFunctions()
    await first.start()
    arn = await Catalogue(first).add("charging", definition)
    started = await first.client("stepfunctions").start_execution(stateMachineArn=arn, input="{}")
    for _ in range(200):  # the call is made (real time: the database thread commits the write-ahead)
        if slow.calls:
            break
        import asyncio

        await asyncio.sleep(0.01)
    assert slow.calls == 1
    for task in [*first.kernel._tasks, *first.kernel._firings]:  # the node dies mid-call
        task.cancel()
    first.kernel._running = False
    await first.close()

    async with eventyard.open(path, clock=clock) as yard:
        yard.services["lambda"] = again = _SlowFunctions()
        again.release.set()
        await yard.advance(5)
        described = await describe(yard, started["executionArn"])
        assert (described["status"], json.loads(described["output"])) == ("SUCCEEDED", {"ok": True})
        assert again.calls == 1
        events = await history(yard, started["executionArn"])
        failed = [e for e in events if e["type"] == "TaskFailed"]
        assert len(failed) == 1 and "interrupted" in failed[0]["taskFailedEventDetails"]["cause"]
        assert [e["type"] for e in events].count("TaskStateEntered") == 1
