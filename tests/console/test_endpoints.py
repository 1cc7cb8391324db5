"""The console's JSON endpoints, in-process: what each page reads and what its actions do."""

from __future__ import annotations

import json

import orjson

from eventyard.gateway.app import Gateway
from eventyard.gateway.sigv4 import Authenticator, Key
from tests.console.conftest import ConsoleClient, order_pipeline


async def test_overview_maps_bus_rule_and_targets_with_counts(console: ConsoleClient) -> None:
    pipeline = await order_pipeline(console.yard)
    await console.yard.client("sqs").send_message(QueueUrl=pipeline["queue_url"], MessageBody="waiting")
    status, answer = await console.get("overview")
    assert status == 200
    nodes = {node["id"]: node for node in answer["nodes"]}
    edges = {(edge["from"], edge["to"]) for edge in answer["edges"]}
    bus_arn = "arn:aws:events:us-east-1:000000000000:event-bus/default"
    assert nodes[bus_arn]["counts"]["rules"] == 1
    assert (bus_arn, pipeline["rule_arn"]) in edges
    assert (pipeline["rule_arn"], pipeline["queue_arn"]) in edges
    assert (pipeline["rule_arn"], pipeline["machine_arn"]) in edges
    assert nodes[pipeline["queue_arn"]]["counts"]["visible"] == 1
    assert nodes[pipeline["machine_arn"]]["counts"]["running"] == 0


async def test_queue_peek_shows_messages_without_receiving_them(console: ConsoleClient) -> None:
    sqs = console.yard.client("sqs")
    url = (await sqs.create_queue(QueueName="jobs"))["QueueUrl"]
    status, sent = await console.post("queue/send", name="jobs", body="hello")
    assert status == 200 and sent["MessageId"]
    await sqs.send_message(QueueUrl=url, MessageBody="later", DelaySeconds=60)
    _, answer = await console.get("queue", name="jobs")
    assert [(m["Body"], m["State"]) for m in answer["messages"]] == [("hello", "visible"), ("later", "delayed")]
    assert answer["queue"]["visible"] == 1 and answer["queue"]["delayed"] == 1
    await sqs.receive_message(QueueUrl=url)
    _, again = await console.get("queue", name="jobs")
    assert again["messages"][0]["State"] == "in flight" and again["messages"][0]["ReceiveCount"] == 1


async def test_purge_empties_the_queue(console: ConsoleClient) -> None:
    sqs = console.yard.client("sqs")
    url = (await sqs.create_queue(QueueName="jobs"))["QueueUrl"]
    await sqs.send_message(QueueUrl=url, MessageBody="x")
    status, _ = await console.post("queue/purge", name="jobs")
    assert status == 200
    _, answer = await console.get("queue", name="jobs")
    assert answer["messages"] == [] and answer["queue"]["visible"] == 0


async def test_redrive_moves_dead_letters_back_to_their_source(console: ConsoleClient) -> None:
    sqs = console.yard.client("sqs")
    dlq = (await sqs.create_queue(QueueName="jobs-dlq"))["QueueUrl"]
    dlq_arn = (await sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"]))["Attributes"]["QueueArn"]
    policy = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 1})
    source = (await sqs.create_queue(QueueName="jobs", Attributes={"RedrivePolicy": policy}))["QueueUrl"]
    await sqs.send_message(QueueUrl=source, MessageBody="poison")
    for _ in range(2):  # received once too often: dead-lettered
        await sqs.receive_message(QueueUrl=source, VisibilityTimeout=0)
    assert (await console.get("queue", name="jobs-dlq"))[1]["queue"]["visible"] == 1
    _, listed = await console.get("queues")
    assert {q["name"]: q["is_dlq"] for q in listed["queues"]} == {"jobs": False, "jobs-dlq": True}
    status, started = await console.post("queue/redrive", name="jobs-dlq")
    assert status == 200 and started["TaskHandle"]
    await console.yard.run_until_idle()
    await console.yard.advance(5)
    messages = (await sqs.receive_message(QueueUrl=source)).get("Messages", [])
    assert [m["Body"] for m in messages] == ["poison"]
    _, answer = await console.get("queue", name="jobs-dlq")
    assert answer["moves"][0]["Status"] == "COMPLETED"


async def test_pattern_tester_fills_in_the_envelope(console: ConsoleClient) -> None:
    pattern = {"source": ["com.example.orders"], "detail": {"total": [{"numeric": [">", 10]}]}}
    event = {"source": "com.example.orders", "detail": {"total": 42}}
    _, yes = await console.post("bus/test-pattern", pattern=pattern, event=event)
    _, no = await console.post("bus/test-pattern", pattern=pattern, event=event | {"detail": {"total": 5}})
    assert yes == {"Result": True} and no == {"Result": False}
    status, bad = await console.post("bus/test-pattern", pattern={"source": "not-a-list"}, event=event)
    assert status == 400 and bad["error"] == "InvalidEventPatternException"


async def test_saving_a_pattern_keeps_the_rules_targets(console: ConsoleClient) -> None:
    pipeline = await order_pipeline(console.yard)
    status, _ = await console.post("bus/put-rule", name="order-created", pattern={"source": ["com.example.shop"]})
    assert status == 200
    _, answer = await console.get("buses")
    (rule,) = answer["buses"][0]["Rules"]
    assert json.loads(rule["EventPattern"]) == {"source": ["com.example.shop"]}
    assert {t["Arn"] for t in rule["Targets"]} == {pipeline["queue_arn"], pipeline["machine_arn"]}


async def test_stream_records_by_sequence_number_and_from_the_oldest(console: ConsoleClient) -> None:
    kinesis = console.yard.client("kinesis")
    await kinesis.create_stream(StreamName="clicks", ShardCount=1)
    await console.yard.advance(1)
    sequences = [
        (await kinesis.put_record(StreamName="clicks", Data=f"click {i}".encode(), PartitionKey="p"))["SequenceNumber"]
        for i in range(3)
    ]
    _, described = await console.get("stream", name="clicks")
    (shard,) = described["shards"]
    _, oldest = await console.get("stream/records", name="clicks", shard=shard["ShardId"])
    assert [r["Data"] for r in oldest["records"]] == ["click 0", "click 1", "click 2"]
    _, at = await console.get("stream/records", name="clicks", shard=shard["ShardId"], sequence=sequences[1])
    assert [r["SequenceNumber"] for r in at["records"]] == sequences[1:]


async def test_execution_view_folds_history_into_state_statuses(console: ConsoleClient) -> None:
    definition = {
        "StartAt": "Check",
        "States": {
            "Check": {"Type": "Pass", "Next": "Wait"},
            "Wait": {"Type": "Wait", "Seconds": 30, "Next": "Done"},
            "Done": {"Type": "Succeed"},
        },
    }
    pipeline = await order_pipeline(console.yard, definition)
    _, started = await console.post("execution/start", arn=pipeline["machine_arn"], input='{"n": 1}')
    arn = started["executionArn"]
    await console.yard.run_until_idle()
    _, running = await console.get("execution", arn=arn)
    assert {name: s["status"] for name, s in running["states"].items()} == {"Check": "succeeded", "Wait": "running"}
    assert running["states"]["Check"]["output"] == '{"n": 1}' or json.loads(running["states"]["Check"]["output"]) == {
        "n": 1
    }
    await console.yard.advance(31)
    _, done = await console.get("execution", arn=arn)
    assert done["execution"]["status"] == "SUCCEEDED"
    assert [run["name"] for run in done["timeline"]] == ["Check", "Wait", "Done"]
    assert all(run["status"] == "succeeded" for run in done["timeline"])


async def test_waiting_token_is_listed_and_task_success_resolves_it(console: ConsoleClient) -> None:
    sqs = console.yard.client("sqs")
    url = (await sqs.create_queue(QueueName="approvals"))["QueueUrl"]
    definition = {
        "StartAt": "Approve",
        "States": {
            "Approve": {
                "Type": "Task",
                "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
                "Parameters": {"QueueUrl": url, "MessageBody": {"token.$": "$$.Task.Token"}},
                "End": True,
            }
        },
    }
    pipeline = await order_pipeline(console.yard, definition)
    _, started = await console.post("execution/start", arn=pipeline["machine_arn"])
    await console.yard.run_until_idle()
    _, waiting = await console.get("execution", arn=started["executionArn"])
    (token,) = waiting["waitingTokens"]
    body = json.loads((await sqs.receive_message(QueueUrl=url))["Messages"][0]["Body"])
    assert body["token"] == token
    status, _ = await console.post("task/success", token=token, output='{"ok": true}')
    assert status == 200
    await console.yard.run_until_idle()
    _, done = await console.get("execution", arn=started["executionArn"])
    assert done["execution"]["status"] == "SUCCEEDED" and done["waitingTokens"] == []


async def test_stop_aborts_a_running_execution(console: ConsoleClient) -> None:
    pipeline = await order_pipeline(console.yard)
    _, started = await console.post("execution/start", arn=pipeline["machine_arn"])
    await console.yard.run_until_idle()
    status, _ = await console.post("execution/stop", arn=started["executionArn"])
    assert status == 200
    _, machine = await console.get("machine", arn=pipeline["machine_arn"], status="ABORTED")
    assert [e["executionArn"] for e in machine["executions"]] == [started["executionArn"]]
    _, view = await console.get("execution", arn=started["executionArn"])
    assert view["states"]["Pack"]["status"] == "aborted"


async def test_functions_invoke_and_recent_invocations_with_their_logs(console: ConsoleClient) -> None:
    _, answer = await console.get("functions")
    assert answer == {"served": True, "functions": [], "mappings": [], "recent": []}
    console.yard.functions.register("greet", lambda event, context: {"hello": event["name"]})
    status, invoked = await console.post("function/invoke", name="greet", payload='{"name": "ada"}')
    assert status == 200, invoked
    assert (invoked["StatusCode"], invoked["FunctionError"]) == (200, None)
    assert json.loads(invoked["Payload"]) == {"hello": "ada"}
    assert "START RequestId:" in invoked["Log"]
    _, answer = await console.get("functions")
    assert [f["FunctionName"] for f in answer["functions"]] == ["greet"]
    [run] = answer["recent"]
    assert run["FunctionArn"].endswith(":function:greet") and run["FunctionError"] is None
    assert run["DurationMs"] >= 0 and "REPORT RequestId: " + run["RequestId"] in run["Log"]


async def test_unknown_endpoint_and_missing_parameter_are_refused(console: ConsoleClient) -> None:
    status, answer = await console.get("nothing-here")
    assert status == 404
    status, answer = await console.get("queue")
    assert status == 400 and "name" in answer["message"]


async def test_page_and_its_files_are_served_from_the_package(console: ConsoleClient) -> None:
    status, body, content_type = await console.request("GET", "/_console")
    assert status == 200 and content_type.startswith("text/html") and b"/_console/static/js/app.js" in body
    status, body, content_type = await console.request("GET", "/_console/static/js/graph.js")
    assert status == 200 and content_type.startswith("text/javascript") and b"renderGraph" in body
    status, _, _ = await console.request("GET", "/_console/static/../app.py")
    assert status == 404


async def test_with_auth_the_endpoints_need_a_key_and_its_secret(console: ConsoleClient) -> None:
    auth = Authenticator(keys={"AKIDCONSOLE": Key(secret="s3cret", account="123456789012")}, verify=True)
    guarded = ConsoleClient(Gateway(console.yard, auth=auth))
    status, body, _ = await guarded.request("GET", "/_console/config")
    assert status == 200 and orjson.loads(body)["auth"] is True
    status, answer = await guarded.get("queues")
    assert status == 401 and answer["error"] == "UnrecognizedClientException"
    guarded.headers = {"x-eventyard-access-key": "AKIDCONSOLE", "x-eventyard-secret-key": "wrong"}
    assert (await guarded.get("queues"))[0] == 401
    guarded.headers["x-eventyard-secret-key"] = "s3cret"
    await console.yard.client("sqs", account="123456789012").create_queue(QueueName="theirs")
    status, answer = await guarded.get("queues")
    assert status == 200 and [q["name"] for q in answer["queues"]] == ["theirs"]


async def test_overview_draws_an_event_source_mapping_from_its_queue_to_its_function(console: ConsoleClient) -> None:
    console.yard.functions.register("reserve", lambda event, context: None)
    sqs = console.yard.client("sqs")
    url = (await sqs.create_queue(QueueName="stock"))["QueueUrl"]
    queue_arn = (await sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"]))["Attributes"]["QueueArn"]
    await console.yard.client("lambda").create_event_source_mapping(FunctionName="reserve", EventSourceArn=queue_arn)
    _, answer = await console.get("overview")
    function_arn = next(n["id"] for n in answer["nodes"] if n["kind"] == "function")
    assert {"from": queue_arn, "to": function_arn, "label": "event source mapping"} in answer["edges"]
