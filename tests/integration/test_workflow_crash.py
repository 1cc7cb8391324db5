"""Standard executions under SIGKILL: every execution started before the kill finishes after the restart,
no state is entered twice (beyond what Retry allows), no task's message is sent twice, and the task
tokens handed out before the kill still answer their tasks after it."""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from tests.harness.server import ServerProcess

ROLE = "arn:aws:iam::000000000000:role/crash"
PER_KIND = 50


def _send(queue: str, task: str) -> dict[str, Any]:
    """An sqs:sendMessage task whose body names its execution and itself."""
    return {
        "Type": "Task",
        "Resource": "arn:aws:states:::sqs:sendMessage",
        "Parameters": {"QueueUrl": queue, "MessageBody": {"execution.$": "$$.Execution.Name", "task": task}},
        "ResultPath": None,
    }


def definitions(effects: str, tokens: str, missing: str) -> dict[str, tuple[dict[str, Any], dict[str, int], int]]:
    """name -> (definition, *StateEntered count per state name, TaskScheduled count) for each kind."""
    waits = {
        "StartAt": "Prepare",
        "States": {
            "Prepare": {"Type": "Pass", "Result": {"ready": True}, "Next": "Pause"},
            "Pause": {"Type": "Wait", "Seconds": 2, "Next": "Send"},
            "Send": {**_send(effects, "send"), "Next": "Settle"},
            "Settle": {"Type": "Wait", "Seconds": 1, "Next": "Done"},
            "Done": {"Type": "Succeed"},
        },
    }
    callback = {
        "StartAt": "Ask",
        "States": {
            "Ask": {
                "Type": "Task",
                "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
                "Parameters": {
                    "QueueUrl": tokens,
                    "MessageBody": {"token.$": "$$.Task.Token", "execution.$": "$$.Execution.Name"},
                },
                "TimeoutSeconds": 300,
                "Next": "Announce",
            },
            "Announce": {
                "Type": "Task",
                "Resource": "arn:aws:states:::events:putEvents",
                "Parameters": {
                    "Entries": [
                        {
                            "Source": "crash.test",
                            "DetailType": "answered",
                            "Detail": {"execution.$": "$$.Execution.Name", "answer.$": "$.answer"},
                        }
                    ]
                },
                "End": True,
            },
        },
    }
    retry = {
        "StartAt": "Flaky",
        "States": {
            "Flaky": {
                "Type": "Task",
                "Resource": "arn:aws:states:::sqs:sendMessage",
                "Parameters": {"QueueUrl": missing, "MessageBody": "never sent"},
                "Retry": [{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 1, "MaxAttempts": 2, "BackoffRate": 1.0}],
                "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Recover"}],
                "Next": "Unreachable",
            },
            "Recover": {**_send(effects, "recover"), "End": True},
            "Unreachable": {"Type": "Fail", "Error": "Unreachable"},
        },
    }
    fan = {
        "StartAt": "Fan",
        "States": {
            "Fan": {
                "Type": "Parallel",
                "Branches": [
                    {
                        "StartAt": "Left",
                        "States": {
                            "Left": {"Type": "Wait", "Seconds": 1, "Next": "LeftSend"},
                            "LeftSend": {**_send(effects, "left"), "End": True},
                        },
                    },
                    {
                        "StartAt": "RightSend",
                        "States": {
                            "RightSend": {**_send(effects, "right"), "Next": "Right"},
                            "Right": {"Type": "Wait", "Seconds": 2, "End": True},
                        },
                    },
                ],
                "ResultPath": None,
                "Next": "Each",
            },
            "Each": {
                "Type": "Map",
                "ItemsPath": "$.items",
                "MaxConcurrency": 2,
                "ItemSelector": {"n.$": "$$.Map.Item.Value", "execution.$": "$$.Execution.Name"},
                "ItemProcessor": {
                    "StartAt": "Breathe",
                    "States": {
                        "Breathe": {"Type": "Wait", "Seconds": 1, "Next": "ItemSend"},
                        "ItemSend": {
                            "Type": "Task",
                            "Resource": "arn:aws:states:::sqs:sendMessage",
                            "Parameters": {
                                "QueueUrl": effects,
                                "MessageBody": {
                                    "execution.$": "$.execution",
                                    "task.$": "States.Format('item-{}', $.n)",
                                },
                            },
                            "End": True,
                        },
                    },
                },
                "End": True,
            },
        },
    }
    return {
        "waits": (waits, {"Prepare": 1, "Pause": 1, "Send": 1, "Settle": 1, "Done": 1}, 1),
        "callback": (callback, {"Ask": 1, "Announce": 1}, 2),
        "retry": (retry, {"Flaky": 1, "Recover": 1}, 4),  # Retry schedules the task again, it does not re-enter
        "fan": (
            fan,
            {"Fan": 1, "Left": 1, "LeftSend": 1, "RightSend": 1, "Right": 1, "Each": 1, "Breathe": 3, "ItemSend": 3},
            5,
        ),
    }


#: The messages each kind of execution sends to the effects queue, one of each.
EFFECTS = {"waits": ["send"], "callback": [], "retry": ["recover"], "fan": ["left", "right", "item-1", "item-2",
                                                                             "item-3"]}  # fmt: skip


def _drain(sqs: Any, url: str) -> list[dict[str, Any]]:
    """Every message in the queue, each once (received and deleted)."""
    found: list[dict[str, Any]] = []
    empty = 0
    while empty < 2:
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0).get("Messages", [])
        if not got:
            empty += 1
            continue
        empty = 0
        found += [json.loads(m["Body"]) for m in got]
        sqs.delete_message_batch(
            QueueUrl=url, Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(got)]
        )
    return found


def _history(sfn: Any, arn: str) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {"executionArn": arn, "maxResults": 1000}
    while True:
        page = sfn.get_execution_history(**kwargs)
        events += page["events"]
        if not page.get("nextToken"):
            return events
        kwargs["nextToken"] = page["nextToken"]


@pytest.mark.server
@pytest.mark.slow
def test_standard_executions_survive_sigkill_each_step_and_effect_once(tmp_path: Path) -> None:
    server = ServerProcess(str(tmp_path / "yard.db")).start()
    sqs, sfn, events = server.client("sqs"), server.client("stepfunctions"), server.client("events")
    effects = sqs.create_queue(QueueName="effects")["QueueUrl"]
    tokens = sqs.create_queue(QueueName="tokens")["QueueUrl"]
    announced = sqs.create_queue(QueueName="announced")["QueueUrl"]
    announced_arn = sqs.get_queue_attributes(QueueUrl=announced, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events.put_rule(Name="answers", EventPattern=json.dumps({"source": ["crash.test"]}))
    events.put_targets(Rule="answers", Targets=[{"Id": "q", "Arn": announced_arn}])
    kinds = definitions(effects, tokens, effects.rsplit("/", 1)[0] + "/missing")
    machines = {
        kind: sfn.create_state_machine(name=kind, definition=json.dumps(definition), roleArn=ROLE)["stateMachineArn"]
        for kind, (definition, _, _) in kinds.items()
    }

    # Given 200 executions started (the four kinds interleaved) by four clients at once
    started: dict[str, str] = {}  # execution name -> kind
    arns: dict[str, str] = {}
    lock = threading.Lock()
    plan = [(f"{kind}-{n}", kind) for n in range(PER_KIND) for kind in kinds]

    def starter(client: Any, lane: int) -> None:
        for name, kind in plan[lane::4]:
            answer = client.start_execution(stateMachineArn=machines[kind], name=name, input='{"items": [1, 2, 3]}')
            with lock:
                started[name] = kind
                arns[name] = answer["executionArn"]

    clients = [server.client("stepfunctions") for _ in range(4)]  # made here: creation is not thread-safe
    threads = [threading.Thread(target=starter, args=(clients[i], i)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(started) == len(plan)

    # and half of the tokens handed out so far answered, the other half kept for after the kill
    handed_out: dict[str, str] = {}  # execution -> token
    deadline = time.monotonic() + 10
    while len(handed_out) < PER_KIND // 2 and time.monotonic() < deadline:
        for body in _drain(sqs, tokens):
            assert body["execution"] not in handed_out, "a waitForTaskToken message was sent twice"
            handed_out[body["execution"]] = body["token"]
    answered: set[str] = set()
    for execution, token in sorted(handed_out.items())[: len(handed_out) // 2]:
        sfn.send_task_success(taskToken=token, output=json.dumps({"answer": f"early-{execution}"}))
        answered.add(execution)
    assert answered, "no token was handed out before the kill"

    # When the server is killed in the middle of a burst of steps: the one-second Waits ending, the fan's
    # Left branches sending, the retries trying again (the effects queue past its first 50 messages)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        depth = sqs.get_queue_attributes(QueueUrl=effects, AttributeNames=["ApproximateNumberOfMessages"])
        if int(depth["Attributes"]["ApproximateNumberOfMessages"]) > PER_KIND + 5:
            break
        time.sleep(0.01)
    server.kill()

    # and started again on the same database
    server.start()
    try:
        sqs, sfn = server.client("sqs"), server.client("stepfunctions")
        # Then the tokens handed out before the kill still answer their tasks, and the rest arrive
        for execution, token in sorted(handed_out.items()):
            if execution not in answered:
                sfn.send_task_success(taskToken=token, output=json.dumps({"answer": f"late-{execution}"}))
                answered.add(execution)
        # (killed once more while the restart catches up on the steps that fell due meanwhile)
        time.sleep(0.2)
        server.kill()
        server.start()
        sqs, sfn = server.client("sqs"), server.client("stepfunctions")
        deadline = time.monotonic() + 30
        while len(answered) < PER_KIND and time.monotonic() < deadline:
            for body in _drain(sqs, tokens):
                assert body["execution"] not in handed_out, "a waitForTaskToken message was sent twice"
                handed_out[body["execution"]] = body["token"]
                sfn.send_task_success(taskToken=body["token"], output=json.dumps({"answer": "after"}))
                answered.add(body["execution"])
            time.sleep(0.1)
        assert len(answered) == PER_KIND

        # and every execution finishes, SUCCEEDED
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if not any(
                sfn.list_executions(stateMachineArn=arn, statusFilter="RUNNING", maxResults=1)["executions"]
                for arn in machines.values()
            ):
                break
            time.sleep(0.2)
        statuses = Counter(
            (kind, sfn.describe_execution(executionArn=arns[name])["status"]) for name, kind in started.items()
        )
        assert statuses == Counter({(kind, "SUCCEEDED"): PER_KIND for kind in kinds}), statuses

        # and no state was entered twice, no task scheduled more often than its Retry allows
        for name, kind in started.items():
            history = _history(sfn, arns[name])
            entered = Counter(
                e["stateEnteredEventDetails"]["name"] for e in history if e["type"].endswith("StateEntered")
            )
            _, expected, scheduled = kinds[kind]
            assert entered == Counter(expected), (name, entered)
            assert sum(e["type"] == "TaskScheduled" for e in history) == scheduled, name
            assert [e["id"] for e in history] == list(range(1, len(history) + 1)), name

        # and every task's message was sent exactly once
        sent = Counter((body["execution"], body["task"]) for body in _drain(sqs, effects))
        expected_sent = Counter({(name, task): 1 for name, kind in started.items() for task in EFFECTS[kind]})
        assert sent == expected_sent, (sent - expected_sent, expected_sent - sent)
        delivered = [body["detail"] for body in _drain(sqs, announced)]
        assert Counter(d["execution"] for d in delivered) == Counter(n for n, k in started.items() if k == "callback")
        early = {d["execution"] for d in delivered if d["answer"].startswith("early-")}
        late = {d["execution"] for d in delivered if d["answer"].startswith("late-")}
        assert early and late and len(early) + len(late) == len(handed_out), "each task got the answer its token sent"
        assert not _drain(sqs, tokens), "a waitForTaskToken message was sent twice"
    finally:
        server.stop()
