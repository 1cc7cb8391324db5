"""Powertools' real ``@idempotent`` / ``@idempotent_function`` on :class:`YardPersistenceLayer`."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig, idempotent, idempotent_function
from aws_lambda_powertools.utilities.idempotency.exceptions import (
    IdempotencyAlreadyInProgressError,
    IdempotencyValidationError,
)

from eventyard.idempotency import YardPersistenceLayer
from tests.idempotency.conftest import LambdaContext


def _counting_handler(persistence: YardPersistenceLayer, config: IdempotencyConfig | None = None) -> Any:
    calls: list[dict] = []

    @idempotent(persistence_store=persistence, config=config or IdempotencyConfig(event_key_jmespath="order_id"))
    def handler(event: dict, context: Any) -> dict:
        calls.append(event)
        return {"charged": event["order_id"], "call": len(calls)}

    handler.calls = calls  # type: ignore[attr-defined]
    return handler


def test_two_concurrent_calls_with_one_key_run_once(persistence: YardPersistenceLayer, context: LambdaContext) -> None:
    entered, release = threading.Event(), threading.Event()
    runs: list[str] = []

    @idempotent(persistence_store=persistence, config=IdempotencyConfig(event_key_jmespath="order_id"))
    def handler(event: dict, _: Any) -> dict:
        runs.append(event["order_id"])
        entered.set()
        assert release.wait(10)
        return {"ok": event["order_id"]}

    with ThreadPoolExecutor(1) as pool:
        first = pool.submit(handler, {"order_id": "o-1"}, context)
        assert entered.wait(10)
        with pytest.raises(IdempotencyAlreadyInProgressError, match="Execution already in progress"):
            handler({"order_id": "o-1"}, context)
        release.set()
        assert first.result(10) == {"ok": "o-1"}
    assert runs == ["o-1"]
    assert handler({"order_id": "o-1"}, context) == {"ok": "o-1"}  # completed now: the stored result
    assert runs == ["o-1"]


def test_a_repeat_returns_the_stored_result_without_running(
    persistence: YardPersistenceLayer, context: LambdaContext
) -> None:
    handler = _counting_handler(persistence)
    first = handler({"order_id": "o-2", "amount": 5}, context)
    again = handler({"order_id": "o-2", "amount": 5}, context)
    other = handler({"order_id": "o-3", "amount": 5}, context)
    assert first == again == {"charged": "o-2", "call": 1}
    assert other == {"charged": "o-3", "call": 2}
    assert len(handler.calls) == 2


def test_the_record_outlives_the_layer(url: str, layers: list[YardPersistenceLayer], context: LambdaContext) -> None:
    first_layer = YardPersistenceLayer(url)
    second_layer = YardPersistenceLayer(url)
    layers += [first_layer, second_layer]
    assert _counting_handler(first_layer)({"order_id": "o-4"}, context) == {"charged": "o-4", "call": 1}
    first_layer.close()
    later = _counting_handler(second_layer)  # another process, say: same key prefix, same database
    assert later({"order_id": "o-4"}, context) == {"charged": "o-4", "call": 1}
    assert later.calls == []


def test_an_expired_record_lets_the_call_run_again(persistence: YardPersistenceLayer, context: LambdaContext) -> None:
    handler = _counting_handler(persistence, IdempotencyConfig(event_key_jmespath="order_id", expires_after_seconds=1))
    assert handler({"order_id": "o-5"}, context)["call"] == 1
    assert handler({"order_id": "o-5"}, context)["call"] == 1
    time.sleep(2.05)  # Powertools dates records on wall time, in whole seconds
    assert handler({"order_id": "o-5"}, context)["call"] == 2


def test_payload_validation_refuses_another_payload_under_the_same_key(
    persistence: YardPersistenceLayer, context: LambdaContext
) -> None:
    config = IdempotencyConfig(event_key_jmespath="order_id", payload_validation_jmespath="amount")
    handler = _counting_handler(persistence, config)
    handler({"order_id": "o-6", "amount": 10}, context)
    with pytest.raises(IdempotencyValidationError, match="Payload does not match stored record"):
        handler({"order_id": "o-6", "amount": 20}, context)
    assert handler({"order_id": "o-6", "amount": 10}, context)["call"] == 1
    assert len(handler.calls) == 1


def test_payload_validation_applies_while_the_first_call_runs(
    persistence: YardPersistenceLayer, context: LambdaContext
) -> None:
    entered, release = threading.Event(), threading.Event()
    config = IdempotencyConfig(event_key_jmespath="order_id", payload_validation_jmespath="amount")

    @idempotent(persistence_store=persistence, config=config)
    def handler(event: dict, _: Any) -> dict:
        entered.set()
        assert release.wait(10)
        return {}

    with ThreadPoolExecutor(1) as pool:
        first = pool.submit(handler, {"order_id": "o-7", "amount": 1}, context)
        assert entered.wait(10)
        with pytest.raises(IdempotencyValidationError):
            handler({"order_id": "o-7", "amount": 2}, context)
        release.set()
        first.result(10)


def test_an_in_progress_record_past_its_lambda_timeout_gives_the_key_up(persistence: YardPersistenceLayer) -> None:
    """The first call's invocation had 500 ms left and never finished (it timed out, its worker died)."""
    entered, release = threading.Event(), threading.Event()
    runs: list[int] = []

    @idempotent(persistence_store=persistence, config=IdempotencyConfig(event_key_jmespath="order_id"))
    def handler(event: dict, _: Any) -> dict:
        runs.append(len(runs))
        entered.set()
        if len(runs) == 1:
            assert release.wait(10)
        return {"run": len(runs)}

    persistence.connect()  # so the first call's 500 ms are not spent opening the database
    with ThreadPoolExecutor(1) as pool:
        stuck = pool.submit(handler, {"order_id": "o-8"}, LambdaContext(remaining_millis=500))
        assert entered.wait(10)
        with pytest.raises(IdempotencyAlreadyInProgressError):
            handler({"order_id": "o-8"}, LambdaContext())
        time.sleep(0.6)
        assert handler({"order_id": "o-8"}, LambdaContext()) == {"run": 2}
        release.set()
        stuck.result(10)
    assert len(runs) == 2


def test_a_handler_that_raised_leaves_no_record(persistence: YardPersistenceLayer, context: LambdaContext) -> None:
    attempts: list[int] = []

    @idempotent(persistence_store=persistence, config=IdempotencyConfig(event_key_jmespath="order_id"))
    def handler(event: dict, _: Any) -> dict:
        attempts.append(1)
        if len(attempts) == 1:
            raise RuntimeError("payment provider down")
        return {"attempt": len(attempts)}

    with pytest.raises(RuntimeError, match="payment provider down"):
        handler({"order_id": "o-9"}, context)
    assert handler({"order_id": "o-9"}, context) == {"attempt": 2}
    assert handler({"order_id": "o-9"}, context) == {"attempt": 2}


def test_idempotent_function_keeps_one_result_per_record(
    persistence: YardPersistenceLayer, context: LambdaContext
) -> None:
    config = IdempotencyConfig(event_key_jmespath="id")
    config.register_lambda_context(context)
    processed: list[str] = []

    @idempotent_function(data_keyword_argument="record", persistence_store=persistence, config=config)
    def process(record: dict) -> dict:
        processed.append(record["id"])
        return {"done": record["id"]}

    results = [process(record={"id": key}) for key in ("a", "b", "a", "b", "c")]
    assert results == [{"done": k} for k in ("a", "b", "a", "b", "c")]
    assert processed == ["a", "b", "c"]
