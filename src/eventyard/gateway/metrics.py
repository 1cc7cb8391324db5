"""Request counters and latency sums per operation, served as Prometheus text at ``/metrics``."""

from __future__ import annotations

from collections import defaultdict


class Metrics:
    """Cheap enough for the hot path: two dict updates per request."""

    def __init__(self) -> None:
        self.requests: defaultdict[tuple[str, int], int] = defaultdict(int)
        self.seconds: defaultdict[str, float] = defaultdict(float)

    def observe(self, operation: str, status: int, seconds: float) -> None:
        self.requests[(operation, status)] += 1
        self.seconds[operation] += seconds

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
