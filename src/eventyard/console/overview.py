"""The overview: the yard's architecture as a map, with live counts, and the calls per second this
node serves by operation.

Nodes are the resources (buses, rules, topics, queues, streams, state machines, functions), each
with its counts; edges say where events flow: bus -> rule, rule -> each target, topic -> each
subscription's endpoint. The page lays the map out in columns by where events flow.
"""

from __future__ import annotations

from typing import Any

from eventyard import arn as arns
from eventyard.console.endpoints import Call, endpoint, pages
from eventyard.console.queues import queue_summaries


def _kind_of(target_arn: str) -> str:
    parts = arns.parse(target_arn)
    if parts is None:
        return "target"
    if parts.service == "sqs":
        return "queue"
    if parts.service == "sns":
        return "topic"
    if parts.service == "kinesis":
        return "stream"
    if parts.service == "states":
        return "machine"
    if parts.service == "lambda":
        return "function"
    if parts.service == "events" and parts.resource.startswith("event-bus/"):
        return "bus"
    return "target"


class _Map:
    def __init__(self) -> None:
        self.nodes: dict[str, dict[str, Any]] = {}
        self.edges: list[dict[str, str]] = []

    def node(self, node_id: str, kind: str, name: str, **counts: Any) -> dict[str, Any]:
        found = self.nodes.get(node_id)
        if found is None:
            found = self.nodes[node_id] = {"id": node_id, "kind": kind, "name": name}
        found.setdefault("counts", {}).update(counts)
        return found

    def edge(self, source: str, target: str, label: str = "") -> None:
        self.edges.append({"from": source, "to": target, "label": label})

    def endpoint(self, target_arn: str) -> str:
        if target_arn not in self.nodes:
            parts = arns.parse(target_arn)
            name = (parts.resource if parts is not None else target_arn).split(":")[-1]
            self.node(target_arn, _kind_of(target_arn), name.split("/")[-1])
        return target_arn


async def _buses(call: Call, where: _Map) -> None:
    for bus in await pages(call, "events", "ListEventBuses", {}, "EventBuses"):
        rules = await pages(call, "events", "ListRules", {"EventBusName": bus["Name"]}, "Rules")
        where.node(bus["Arn"], "bus", bus["Name"], rules=len(rules))
        for rule in rules:
            request = {"Rule": rule["Name"], "EventBusName": bus["Name"]}
            targets = await pages(call, "events", "ListTargetsByRule", request, "Targets")
            where.node(rule["Arn"], "rule", rule["Name"], targets=len(targets), state=rule.get("State", "ENABLED"))
            where.edge(bus["Arn"], rule["Arn"])
            for target in targets:
                where.edge(rule["Arn"], where.endpoint(target["Arn"]), target["Id"])


async def _topics(call: Call, where: _Map) -> None:
    for topic in await pages(call, "sns", "ListTopics", {}, "Topics"):
        topic_arn = topic["TopicArn"]
        subscriptions = await pages(call, "sns", "ListSubscriptionsByTopic", {"TopicArn": topic_arn}, "Subscriptions")
        where.node(topic_arn, "topic", topic_arn.rsplit(":", 1)[-1], subscriptions=len(subscriptions))
        for sub in subscriptions:
            if sub.get("Protocol") in ("sqs", "lambda", "firehose") and str(sub.get("Endpoint", "")).startswith("arn:"):
                where.edge(topic_arn, where.endpoint(sub["Endpoint"]), sub["Protocol"])


async def _streams(call: Call, where: _Map) -> None:
    names = await pages(call, "kinesis", "ListStreams", {}, "StreamNames")
    for name in names:
        summary = (await call.op("kinesis", "DescribeStreamSummary", {"StreamName": name}))["StreamDescriptionSummary"]
        where.node(
            summary["StreamARN"], "stream", name, shards=summary.get("OpenShardCount", 0),
            consumers=summary.get("ConsumerCount", 0), status=summary.get("StreamStatus"),
        )  # fmt: skip


async def _machines(call: Call, where: _Map) -> None:
    for machine in await pages(call, "stepfunctions", "ListStateMachines", {}, "stateMachines", token="nextToken"):
        counts: dict[str, Any] = {"type": machine.get("type", "STANDARD")}
        if machine.get("type", "STANDARD") == "STANDARD":
            for status in ("RUNNING", "FAILED"):
                request = {"stateMachineArn": machine["stateMachineArn"], "statusFilter": status, "maxResults": 1000}
                counts[status.lower()] = len((await call.op("stepfunctions", "ListExecutions", request))["executions"])
        where.node(machine["stateMachineArn"], "machine", machine["name"], **counts)


async def _functions(call: Call, where: _Map) -> None:
    for function in await pages(call, "lambda", "ListFunctions", {}, "Functions", token="NextMarker"):
        where.node(function["FunctionArn"], "function", function["FunctionName"], runtime=function.get("Runtime"))
    mappings = await pages(call, "lambda", "ListEventSourceMappings", {}, "EventSourceMappings", token="NextMarker")
    for mapping in mappings:  # a queue or stream polled for a function
        source, function_arn = mapping.get("EventSourceArn"), mapping.get("FunctionArn")
        if source and function_arn:
            where.edge(where.endpoint(source), where.endpoint(function_arn), "event source mapping")


@endpoint("GET", "overview")
async def overview(call: Call) -> dict[str, Any]:
    where = _Map()
    if call.served("events"):
        await _buses(call, where)
    if call.served("sns"):
        await _topics(call, where)
    if call.served("sqs"):
        for queue in await queue_summaries(call):
            where.node(
                queue["arn"], "queue", queue["name"], visible=queue["visible"], in_flight=queue["in_flight"],
                delayed=queue["delayed"],
            )  # fmt: skip
            if queue.get("dlq"):
                where.edge(queue["arn"], where.endpoint(queue["dlq"]), "dead letters")
    if call.served("kinesis"):
        await _streams(call, where)
    if call.served("stepfunctions"):
        await _machines(call, where)
    if call.served("lambda"):
        await _functions(call, where)
    rates = sorted(call.rates().items(), key=lambda item: (-item[1], item[0]))[:12]
    return {
        "nodes": list(where.nodes.values()),
        "edges": where.edges,
        "services": sorted(call.yard.services),
        "rates": [{"operation": operation, "perSecond": rate} for operation, rate in rates],
    }
