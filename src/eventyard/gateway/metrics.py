"""Request counters and latency sums per operation, served as Prometheus text at ``/metrics``."""

from __future__ import annotations

import time
from collections import defaultdict

#: Labels that are Eventyard's own endpoints, not AWS calls: left out of :meth:`Metrics.rates`.
OWN = frozenset({"admin", "console", "unrouted"})


class Metrics:
    """Cheap enough for the hot path: two dict updates per request."""

    def __init__(self) -> None:
        self.requests: defaultdict[tuple[str, int], int] = defaultdict(int)
        self.seconds: defaultdict[str, float] = defaultdict(float)
        self._sampled: tuple[float, dict[str, int]] = (time.monotonic(), {})
        self._rates: dict[str, float] = {}

    def observe(self, operation: str, status: int, seconds: float) -> None:
        self.requests[(operation, status)] += 1
        self.seconds[operation] += seconds

    def rates(self, window: float = 1.0, now: float | None = None) -> dict[str, float]:
        """Calls per second by operation (``sqs.SendMessage``) over the last ``window`` seconds or
        more: a new sample at most once a window, the previous rates in between (the console's
        live overview reads this twice a second)."""
        now = time.monotonic() if now is None else now
        then, before = self._sampled
        if now - then < window:
            return self._rates
        totals: dict[str, int] = defaultdict(int)
        for (operation, _), count in self.requests.items():
            if operation not in OWN:
                totals[operation] += count
        elapsed = now - then
        self._rates = {
            operation: round((count - before.get(operation, 0)) / elapsed, 1)
            for operation, count in totals.items()
            if count > before.get(operation, 0)
        }
        self._sampled = (now, dict(totals))
        return self._rates

    def render(self, extra: dict[str, float] | None = None) -> str:
        lines = [
            "# HELP eventyard_requests_total Requests served, by operation and HTTP status.",
            "# TYPE eventyard_requests_total counter",
        ]
        for (operation, status), count in sorted(self.requests.items()):
            lines.append(f'eventyard_requests_total{{operation="{operation}",status="{status}"}} {count}')
        lines += [
            "# HELP eventyard_request_seconds_total Time spent serving requests, by operation.",
            "# TYPE eventyard_request_seconds_total counter",
        ]
        for operation, seconds in sorted(self.seconds.items()):
            lines.append(f'eventyard_request_seconds_total{{operation="{operation}"}} {seconds:.6f}')
        for name, value in sorted((extra or {}).items()):
            lines += [f"# TYPE {name} counter", f"{name} {value}"]
        return "\n".join(lines) + "\n"
