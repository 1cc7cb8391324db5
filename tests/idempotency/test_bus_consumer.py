"""A function behind an EventBridge rule, with ``@deduplicate``: a producer's retry of an event (same
``idempotency-key``, another event id) is handled once."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import eventyard
from eventyard.idempotency import YardPersistenceLayer, deduplicate


async def test_a_rule_target_handles_each_idempotency_key_once(yard: eventyard.Yard, tmp_path: Path) -> None:
    persistence = YardPersistenceLayer(str(tmp_path / "idempotency.db"))
    charged: list[int] = []

    @deduplicate(persistence)
    def charge(event: dict, context: Any) -> dict:
        charged.append(event["detail"]["amount"])
        return {"charged": event["detail"]["amount"]}

    yard.functions.register("charge", charge)
    events = yard.client("events")
    await events.put_rule(Name="orders", EventPattern=json.dumps({"source": ["shop"]}))
    await events.put_targets(
        Rule="orders", Targets=[{"Id": "f", "Arn": "arn:aws:lambda:us-east-1:000000000000:function:charge"}]
    )

    def order(key: str, amount: int) -> dict:
        detail = {"metadata": {"idempotency-key": key}, "amount": amount}
        return {"Source": "shop", "DetailType": "OrderPlaced", "Detail": json.dumps(detail)}

    try:
        await events.put_events(Entries=[order("order-1", 10)])
        await yard.run_until_idle()
        await events.put_events(Entries=[order("order-1", 10), order("order-2", 7)])  # a retry, and a new one
        await yard.run_until_idle()
    finally:
        persistence.close()
    assert charged == [10, 7]
