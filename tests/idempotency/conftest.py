"""A fresh idempotency store of each durable kind (SQLite file, PostgreSQL schema) per test."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from eventyard.idempotency import YardPersistenceLayer
from tests.harness.stores import store_url


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    with store_url(request.param, tmp_path) as found:
        yield found


@pytest.fixture
def layers(url: str) -> Iterator[list[YardPersistenceLayer]]:
    """Layers a test opens on ``url``, closed after it (before its PostgreSQL schema is dropped)."""
    opened: list[YardPersistenceLayer] = []
    yield opened
    for layer in opened:
        layer.close()


@pytest.fixture
def persistence(url: str, layers: list[YardPersistenceLayer]) -> YardPersistenceLayer:
    layer = YardPersistenceLayer(url)
    layers.append(layer)
    return layer


@dataclass
class LambdaContext:
    """What Powertools reads of a Lambda context: the time the invocation has left."""

    remaining_millis: int = 30_000
    function_name: str = "orders"
    aws_request_id: str = "req-1"

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_millis


@pytest.fixture
def context() -> LambdaContext:
    return LambdaContext()
