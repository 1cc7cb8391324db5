"""What the kernel counts, served at ``/metrics``: timers fired, failed and lost per job, and deliveries."""

from __future__ import annotations

from collections import defaultdict


class KernelMetrics:
    def __init__(self) -> None:
        self.counts: defaultdict[tuple[str, str], int] = defaultdict(int)
        self.loop_errors = 0

    def count(self, job: str, outcome: str, how_many: int = 1) -> None:
        """``outcome``: fired, failed, claims_lost; and for deliveries delivered, retried, dead_lettered, dropped."""
        self.counts[(job, outcome)] += how_many

    def get(self, job: str, outcome: str) -> int:
        return self.counts.get((job, outcome), 0)

    def render(self) -> list[str]:
        lines = [
            "# HELP eventyard_kernel_timers_total Timers the kernel handled, by job and outcome.",
            "# TYPE eventyard_kernel_timers_total counter",
        ]
        for (job, outcome), value in sorted(self.counts.items()):
            lines.append(f'eventyard_kernel_timers_total{{job="{job}",outcome="{outcome}"}} {value}')
        lines += [
            "# HELP eventyard_kernel_loop_errors_total Errors the kernel's loops met and retried after.",
            "# TYPE eventyard_kernel_loop_errors_total counter",
            f"eventyard_kernel_loop_errors_total {self.loop_errors}",
        ]
        return lines
