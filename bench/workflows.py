"""Step Functions (Standard executions) beside ministack: starts per second, executions finished per second.

Two figures per server, measured in one run, each server started fresh:

- **StartExecution requests/s**: wrk (32 connections) replays one prepared StartExecution of a
  one-Pass machine (no name: each call is a new execution) for a few seconds.
- **five-state executions completed per second**: wrk starts executions of a five-Pass machine for
  a few seconds; the clock runs from the first start until no execution of the machine is RUNNING
  any more (ListExecutions with statusFilter RUNNING, polled), and the figure is the executions that
  ended SUCCEEDED over that time. A server that accepts fast but runs late gains nothing.

From the second figure comes the durable engine's transitions per second (five states each).
Eventyard runs a machine of only Pass/Choice/Succeed/Fail states to its end inside StartExecution's
transaction; a row with a Wait of 0 seconds first measures the path every other machine takes
(start, then a kernel firing that runs and finishes it). A last row runs a 50-Pass chain, where
the per-transition cost, not the per-start one, dominates. Eventyard runs as ``eventyard serve`` on
a SQLite file (synchronous FULL).
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

from bench.load import Request, run_load
from bench.servers import Running, eventyard, peer

ROLE = "arn:aws:iam::000000000000:role/bench"


def _client(endpoint: str) -> Any:
    return boto3.client(
        "stepfunctions", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="test",
        aws_secret_access_key="test", config=Config(retries={"max_attempts": 0}),
    )  # fmt: skip


def pass_chain(length: int, *, wait_first: bool = False) -> dict[str, Any]:
    """``length`` Pass states; ``wait_first``: the first is a Wait of 0 seconds instead, which keeps
    Eventyard from running the execution inside StartExecution (only Pass/Choice/Succeed/Fail do)."""
    states: dict[str, Any] = {}
    for index in range(length):
        state: dict[str, Any] = {"Type": "Pass", "Result": {"step": index}, "ResultPath": "$.last"}
        if index == 0 and wait_first:
            state = {"Type": "Wait", "Seconds": 0}
        if index + 1 < length:
            state["Next"] = f"S{index + 1}"
        else:
            state["End"] = True
        states[f"S{index}"] = state
    return {"StartAt": "S0", "States": states}


def _machine(sfn: Any, name: str, length: int, *, wait_first: bool = False) -> str:
    definition = json.dumps(pass_chain(length, wait_first=wait_first))
    created = sfn.create_state_machine(name=name, definition=definition, roleArn=ROLE)
    return str(created["stateMachineArn"])


def _start_request(machine_arn: str) -> Request:
    body = json.dumps({"stateMachineArn": machine_arn, "input": '{"order": "o-1", "total": 100}'}).encode()
    return Request("AWSStepFunctions.StartExecution", [body])


def _succeeded(sfn: Any, machine_arn: str) -> int:
    count = 0
    kwargs: dict[str, Any] = {"stateMachineArn": machine_arn, "statusFilter": "SUCCEEDED", "maxResults": 1000}
    while True:
        page = sfn.list_executions(**kwargs)
        count += len(page["executions"])
        if not page.get("nextToken"):
            return count
        kwargs["nextToken"] = page["nextToken"]


def _completed(
    server: Running, name: str, length: int, seconds: float, *, wait_first: bool = False
) -> tuple[float, int]:
    """Executions of a ``length``-Pass machine started by wrk for ``seconds``, SUCCEEDED per second."""
    sfn = _client(server.endpoint)
    machine = _machine(sfn, name, length, wait_first=wait_first)
    started = time.perf_counter()
    cpu = _cpu_seconds(server)
    result = run_load(server.endpoint, _start_request(machine), seconds=seconds)
    deadline = time.perf_counter() + 300
    while time.perf_counter() < deadline:
        if not sfn.list_executions(stateMachineArn=machine, statusFilter="RUNNING", maxResults=1)["executions"]:
            break
        time.sleep(0.05)
    elapsed = time.perf_counter() - started
    cpu = _cpu_seconds(server) - cpu
    succeeded = _succeeded(sfn, machine)
    accepted = result.requests - result.errors
    if succeeded < accepted:
        server.notes.append(f"{name}: {accepted - succeeded} of {accepted} started executions did not succeed")
    return succeeded / elapsed, cpu / max(succeeded, 1)


def _cpu_seconds(server: Running) -> float:
    """CPU time (user + system) the server's process used so far: on a machine other work loads, the
    cost per execution is the figure that load does not move much."""
    fields = Path(f"/proc/{server.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _measure(server: Running, seconds: float) -> dict[str, float]:
    sfn = _client(server.endpoint)
    one = _machine(sfn, "bench-one-pass", 1)
    starts = run_load(server.endpoint, _start_request(one), seconds=seconds)
    if starts.errors:
        server.notes.append(f"StartExecution: {starts.errors} of {starts.requests} calls failed")
    five, five_cpu = _completed(server, "bench-five-pass", 5, seconds)
    waiting, waiting_cpu = _completed(server, "bench-wait-four-pass", 5, seconds, wait_first=True)
    fifty, _ = _completed(server, "bench-fifty-pass", 50, seconds / 2)
    return {
        "StartExecution, one-Pass machine: requests/s": (starts.requests - starts.errors) / starts.seconds,
        "five-Pass executions started and SUCCEEDED: executions/s": five,
        "the same, state transitions/s": five * 5,
        "Wait 0 s + four Pass (run by the kernel, not in the start): executions/s": waiting,
        "50-Pass executions started and SUCCEEDED: state transitions/s": fifty * 50,
        f"{CPU} five-Pass execution (start to SUCCEEDED)": five_cpu * 1e6,
        f"{CPU} Wait 0 s + four Pass execution": waiting_cpu * 1e6,
    }


#: Figures where less is better (best of rounds: the least; ratio: theirs / ours).
CPU = "server CPU µs per"


def run(quick: bool = False) -> str:
    """Each server twice, interleaved (ours, the peer, ours, the peer), keeping each figure's best:
    on a shared two-core machine, load from elsewhere comes and goes within one run."""
    seconds = 2.0 if quick else 5.0
    rows: dict[str, dict[str, float]] = {}
    notes: list[str] = []
    starters = [("eventyard", eventyard), ("ministack", lambda: peer("ministack"))]
    for _ in range(1 if quick else 2):
        for name, start in starters:
            server = start()
            if server is None:
                continue
            try:
                figures = rows.setdefault(name, {})
                for figure, value in _measure(server, seconds).items():
                    best = min if figure.startswith(CPU) else max
                    figures[figure] = best(figures.get(figure, value), value)
            finally:
                server.stop()
            notes += [f"{name}: {note}" for note in server.notes]
    peers = [p for p in rows if p != "eventyard"]
    lines = [
        "| figure | eventyard (SQLite, durable) | " + " | ".join(peers) + " | "
        + " | ".join(f"ratio vs {p}" for p in peers) + " |",
        "|---|" + "---:|" * (1 + 2 * len(peers)),
    ]  # fmt: skip
    for figure, ours in rows["eventyard"].items():
        cells = [f"{rows[p][figure]:,.0f}" for p in peers]
        if figure.startswith(CPU):
            ratios = [f"{rows[p][figure] / ours:.2f}x" if ours else "n/a" for p in peers]
        else:
            ratios = [f"{ours / rows[p][figure]:.2f}x" if rows[p][figure] else "n/a" for p in peers]
        lines.append(f"| {figure} | {ours:,.0f} | " + " | ".join(cells) + " | " + " | ".join(ratios) + " |")
    text = "\n".join(lines) + (
        "\n\n(32 wrk connections; completed = executions SUCCEEDED / time from the first start until none"
        " is RUNNING; best of two interleaved rounds; the CPU rows: the server process's user + system time"
        " over the run divided by the executions, less is better, ratio = theirs / ours)"
    )
    return text + "".join(f"\n- {note}" for note in notes)
