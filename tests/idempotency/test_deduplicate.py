"""``@deduplicate``: an EventBridge consumer that handles each ``detail.metadata.idempotency-key`` once."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from aws_lambda_powertools.utilities.idempotency.exceptions import IdempotencyAlreadyInProgressError

from eventyard.idempotency import YardPersistenceLayer, deduplicate
from eventyard.idempotency.deduplicate import key_expression
from tests.idempotency.conftest import LambdaContext


def _event(key: str | None, amount: int = 1) -> dict:
    metadata = {} if key is None else {"idempotency-key": key}
    return {
        "version": "0",
        "id": f"evt-{key}-{amount}",  # a redelivery may carry another id: the key is what counts
        "detail-type": "OrderPlaced",
        "source": "shop.orders",
        "detail": {"metadata": metadata, "amount": amount},
    }


def test_each_idempotency_key_is_handled_once(persistence: YardPersistenceLayer, context: LambdaContext) -> None:
    handled: list[int] = []

    @deduplicate(persistence)
    def handler(event: dict, _: Any) -> dict:
        handled.append(event["detail"]["amount"])
        return {"handled": len(handled)}

    assert handler(_event("k-1", 1), context) == {"handled": 1}
    assert handler(_event("k-1", 2), context) == {"handled": 1}  # same key: the first result, not run
    assert handler(_event("k-2", 3), context) == {"handled": 2}
    assert handled == [1, 3]


def test_an_event_without_the_key_is_handled_every_time(
    persistence: YardPersistenceLayer, context: LambdaContext
) -> None:
    handled: list[int] = []

    @deduplicate(persistence)
    def handler(event: dict, _: Any) -> None:
        handled.append(event["id"])

    handler(_event(None, 1), context)
    handler(_event(None, 1), context)
    handler({"id": "plain", "detail": "not an object"}, context)
    assert handled == ["evt-None-1", "evt-None-1", "plain"]


def test_a_url_and_another_key_path(url: str, context: LambdaContext) -> None:
    handled: list[str] = []

    @deduplicate(url, key_path="detail.order-id")
    def handler(event: dict, _: Any) -> str:
        handled.append(event["detail"]["order-id"])
        return "ok"

    for order in ("a", "a", "b"):
        assert handler({"detail": {"order-id": order}}, context) == "ok"
    assert handled == ["a", "b"]


def test_a_duplicate_during_the_first_delivery_fails_so_it_is_retried(
    persistence: YardPersistenceLayer, context: LambdaContext
) -> None:
    entered, release = threading.Event(), threading.Event()

    @deduplicate(persistence)
    def handler(event: dict, _: Any) -> str:
        entered.set()
        assert release.wait(10)
        return "done"

    with ThreadPoolExecutor(1) as pool:
        first = pool.submit(handler, _event("k-3"), context)
        assert entered.wait(10)
        with pytest.raises(IdempotencyAlreadyInProgressError):
            handler(_event("k-3"), context)
        release.set()
        assert first.result(10) == "done"
    assert handler(_event("k-3"), context) == "done"


def test_key_paths_are_member_names_taken_literally() -> None:
    assert key_expression("detail.metadata.idempotency-key") == '"detail"."metadata"."idempotency-key"'
    with pytest.raises(ValueError, match="dotted path"):
        key_expression("detail..key")
