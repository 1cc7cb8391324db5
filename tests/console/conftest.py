"""The console's JSON endpoints in-process: the gateway as an ASGI app, called without sockets, over
every store (the suite's ``yard`` fixture)."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

import orjson
import pytest

import eventyard
from eventyard.gateway.app import Gateway
from eventyard.gateway.sigv4 import Authenticator


class ConsoleClient:
    """GET and POST to ``/_console/...`` of one gateway; answers ``(status, JSON)``."""

    def __init__(self, gateway: Gateway) -> None:
        self.gateway = gateway
        self.yard = gateway.yard
        self.headers: dict[str, str] = {}

    async def request(self, method: str, path: str, body: bytes = b"", query: str = "") -> tuple[int, bytes, str]:
        sent: list[dict[str, Any]] = []
        delivered = False

        async def receive() -> dict[str, Any]:
            nonlocal delivered
            if not delivered:
                delivered = True
                return {"type": "http.request", "body": body, "more_body": False}
            return {"type": "http.disconnect"}

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        headers = [(b"host", b"127.0.0.1:4566"), *((k.encode(), v.encode()) for k, v in self.headers.items())]
        scope = {"type": "http", "method": method, "path": path, "query_string": query.encode(), "headers": headers}
        await self.gateway(scope, receive, send)
        start = sent[0]
        content_type = dict(start["headers"]).get(b"content-type", b"").decode()
        return start["status"], b"".join(m.get("body", b"") for m in sent[1:]), content_type

    async def get(self, endpoint: str, /, **params: Any) -> tuple[int, Any]:
        status, body, _ = await self.request("GET", f"/_console/api/{endpoint}", query=urlencode(params))
        return status, orjson.loads(body)

    async def post(self, endpoint: str, /, **params: Any) -> tuple[int, Any]:
        status, body, _ = await self.request("POST", f"/_console/api/{endpoint}", orjson.dumps(params))
        return status, orjson.loads(body)


@pytest.fixture
def console(yard: eventyard.Yard) -> ConsoleClient:
    return ConsoleClient(Gateway(yard, auth=Authenticator()))


async def order_pipeline(yard: eventyard.Yard, definition: dict[str, Any] | None = None) -> dict[str, str]:
    """The talk's architecture: OrderCreated events on the default bus, one rule, two targets (a queue
    and a state machine)."""
    sqs, events, machines = yard.client("sqs"), yard.client("events"), yard.client("stepfunctions")
    url = (await sqs.create_queue(QueueName="orders"))["QueueUrl"]
    queue_arn = (await sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"]))["Attributes"]["QueueArn"]
    definition = definition or {"StartAt": "Pack", "States": {"Pack": {"Type": "Wait", "Seconds": 60, "End": True}}}
    machine_arn = (
        await machines.create_state_machine(
            name="fulfil", roleArn="arn:aws:iam::000000000000:role/fulfil", definition=json.dumps(definition)
        )
    )["stateMachineArn"]
    pattern = {"source": ["com.example.orders"], "detail-type": ["OrderCreated"]}
    rule_arn = (await events.put_rule(Name="order-created", EventPattern=json.dumps(pattern)))["RuleArn"]
    await events.put_targets(
        Rule="order-created", Targets=[{"Id": "queue", "Arn": queue_arn}, {"Id": "fulfil", "Arn": machine_arn}]
    )
    return {"queue_url": url, "queue_arn": queue_arn, "machine_arn": machine_arn, "rule_arn": rule_arn}
