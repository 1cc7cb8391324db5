"""Step Functions (Standard executions) beside ministack: starts per second, executions finished per second.

Two figures per server, measured in one run, each server started fresh:

- **StartExecution requests/s**: wrk (32 connections) replays one prepared StartExecution of a
  one-Pass machine (no name: each call is a new execution) for a few seconds.
- **five-state executions completed per second**: wrk starts executions of a five-Pass machine for
  a few seconds; the clock runs from the first start until no execution of the machine is RUNNING
  any more (ListExecutions with statusFilter RUNNING, polled), and the figure is the executions that
  ended SUCCEEDED over that time. A server that accepts fast but runs late gains nothing.

From the second figure comes the durable engine's transitions per second (five states each). A
third row runs a 50-Pass chain the same way, where the per-transition cost, not the per-start one,
dominates. Eventyard runs as ``eventyard serve`` on a SQLite file (synchronous FULL).
"""

from __future__ import annotations

import json
import time
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


def pass_chain(length: int) -> dict[str, Any]:
    states: dict[str, Any] = {}
    for index in range(length):
        state: dict[str, Any] = {"Type": "Pass", "Result": {"step": index}, "ResultPath": "$.last"}
        if index + 1 < length:
            state["Next"] = f"S{index + 1}"
        else:
            state["End"] = True
        states[f"S{index}"] = state
    return {"StartAt": "S0", "States": states}


def _machine(sfn: Any, name: str, length: int) -> str:
    created = sfn.create_state_machine(name=name, definition=json.dumps(pass_chain(length)), roleArn=ROLE)
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


def _completed(server: Running, name: str, length: int, seconds: float) -> tuple[float, int]:
    """Executions of a ``length``-Pass machine started by wrk for ``seconds``, SUCCEEDED per second."""
    sfn = _client(server.endpoint)
    machine = _machine(sfn, name, length)
    started = time.perf_counter()
    result = run_load(server.endpoint, _start_request(machine), seconds=seconds)
    deadline = time.perf_counter() + 300
    while time.perf_counter() < deadline:
        if not sfn.list_executions(stateMachineArn=machine, statusFilter="RUNNING", maxResults=1)["executions"]:
            break
        time.sleep(0.05)
    elapsed = time.perf_counter() - started
    succeeded = _succeeded(sfn, machine)
    accepted = result.requests - result.errors
    if succeeded < accepted:
        server.notes.append(f"{name}: {accepted - succeeded} of {accepted} started executions did not succeed")
    return succeeded / elapsed, succeeded


def _measure(server: Running, seconds: float) -> dict[str, float]:
    sfn = _client(server.endpoint)
    one = _machine(sfn, "bench-one-pass", 1)
    starts = run_load(server.endpoint, _start_request(one), seconds=seconds)
    if starts.errors:
        server.notes.append(f"StartExecution: {starts.errors} of {starts.requests} calls failed")
    five, _ = _completed(server, "bench-five-pass", 5, seconds)
    fifty, _ = _completed(server, "bench-fifty-pass", 50, seconds / 2)
    return {
        "StartExecution, one-Pass machine: requests/s": (starts.requests - starts.errors) / starts.seconds,
        "five-Pass executions started and SUCCEEDED: executions/s": five,
        "the same, state transitions/s": five * 5,
        "50-Pass executions started and SUCCEEDED: state transitions/s": fifty * 50,
    }


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
                    figures[figure] = max(figures.get(figure, 0.0), value)
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
        ratios = [f"{ours / rows[p][figure]:.2f}x" if rows[p][figure] else "n/a" for p in peers]
        lines.append(f"| {figure} | {ours:,.0f} | " + " | ".join(cells) + " | " + " | ".join(ratios) + " |")
    text = "\n".join(lines) + (
        "\n\n(32 wrk connections; completed = executions SUCCEEDED / time from the first start until none"
        " is RUNNING; best of two interleaved rounds)"
    )
    return text + "".join(f"\n- {note}" for note in notes)
