"""``@deduplicate(...)``: a consumer that handles each ``idempotency-key`` once, with one switch.

Producers on the bus put an idempotency key in the event (``detail.metadata.idempotency-key`` by
convention); a rule delivers the event to a function at least once, so the same event can arrive
twice. ``@deduplicate(url)`` in front of the handler runs it once per key and answers repeats with
the stored result, using Powertools' ``@idempotent`` on a :class:`YardPersistenceLayer`:

    @deduplicate("sqlite:///yard.db")
    def handler(event, context): ...

- an event with the key seen before (and not expired, ``expires_after_seconds``) returns the first
  call's result without running the handler;
- a repeat while the first call still runs raises Powertools' ``IdempotencyAlreadyInProgressError``:
  the delivery fails and is retried later, by which time the result is there;
- a handler that raised records nothing: the next delivery runs it again;
- an event without the key is handled as it is, every time (there is nothing to deduplicate on).

The key is a dotted path of member names (``detail.metadata.idempotency-key``), each taken
literally (hyphens included), not a JMESPath expression.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig, idempotent
from aws_lambda_powertools.utilities.idempotency.persistence.base import BasePersistenceLayer

from eventyard.idempotency.persistence import YardPersistenceLayer

DEFAULT_KEY_PATH = "detail.metadata.idempotency-key"

Handler = Callable[[Any, Any], Any]


def key_expression(key_path: str) -> str:
    """``detail.metadata.idempotency-key`` -> the JMESPath ``detail.metadata."idempotency-key"``."""
    names = key_path.split(".")
    if not key_path or any(name == "" for name in names):
        raise ValueError(f"not a dotted path of member names: {key_path!r}")
    return ".".join(json.dumps(name) for name in names)


def key_of(event: Any, key_path: str) -> Any:
    """The value at ``key_path`` in ``event``, or None where any member on the way is missing."""
    value = event
    for name in key_path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(name)
    return value


def deduplicate(
    persistence_store: BasePersistenceLayer | str,
    *,
    key_path: str = DEFAULT_KEY_PATH,
    expires_after_seconds: int = 60 * 60,
) -> Callable[[Handler], Handler]:
    """Run the decorated ``handler(event, context)`` once per value at ``key_path`` (see the module doc).

    ``persistence_store`` is a database URL (as ``eventyard.open`` takes) or any Powertools
    persistence layer.
    """
    store = YardPersistenceLayer(persistence_store) if isinstance(persistence_store, str) else persistence_store
    config = IdempotencyConfig(event_key_jmespath=key_expression(key_path), expires_after_seconds=expires_after_seconds)

    def decorate(handler: Handler) -> Handler:
        once = idempotent(persistence_store=store, config=config)(handler)

        @functools.wraps(handler)
        def handle(event: Any, context: Any) -> Any:
            if key_of(event, key_path) in (None, ""):
                return handler(event, context)
            return once(event, context)

        return handle

    return decorate
