"""The overview's traffic: calls per second by operation, from the gateway's counters, sampled at
most once a window (the console's own calls left out)."""

from __future__ import annotations

import time

from eventyard.gateway.metrics import Metrics


def test_rates_are_calls_per_second_since_the_last_sample_without_the_consoles_own() -> None:
    metrics = Metrics()
    start = time.monotonic()
    for _ in range(30):
        metrics.observe("sqs.SendMessage", 200, 0.001)
    metrics.observe("sqs.SendMessage", 400, 0.001)
    metrics.observe("console", 200, 0.001)
    first = metrics.rates(window=1.0, now=start + 2.0)
    assert first == {"sqs.SendMessage": 15.5}  # 31 calls, any status, in two seconds
    assert metrics.rates(window=1.0, now=start + 2.5) is first  # within a window: the previous sample
    metrics.observe("events.PutEvents", 200, 0.001)
    assert metrics.rates(window=1.0, now=start + 4.0) == {"events.PutEvents": 0.5}  # no SendMessage since
