"""Warm Invoke (RequestResponse) calls per second, Eventyard side by side with ministack.

One zip function (``python3.12``, a handler that echoes a field of its event) is created on each
server through boto3 and invoked once so a worker is warm; then wrk sends Invoke requests
(``POST /2015-03-31/functions/bench-echo/invocations``, a small JSON event) over ``connections``
keep-alive connections. Both servers run Python handlers in warm subprocesses; Eventyard keeps a
pool of workers per function (one invocation per worker at a time), so the connection count is
also how many workers it runs. The figure is answered invocations per second; errors are counted.
"""

from __future__ import annotations

import io
import json
import os
import time
import zipfile
from typing import Any

import boto3
from botocore.config import Config

from bench.load import Request, run_load
from bench.servers import Running, eventyard, peer

SOURCE = "def handler(event, context):\n    return {'echo': event.get('n'), 'fn': context.function_name}\n"


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.py", SOURCE)
    return buffer.getvalue()


def _client(endpoint: str) -> Any:
    return boto3.client(
        "lambda", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="test",
        aws_secret_access_key="test", config=Config(retries={"max_attempts": 0}, read_timeout=120),
    )  # fmt: skip


def _prepare(server: Running, name: str) -> None:
    lam = _client(server.endpoint)
    lam.create_function(
        FunctionName=name, Runtime="python3.12", Handler="app.handler", Role="arn:aws:iam::000000000000:role/bench",
        Code={"ZipFile": _zip()}, Timeout=30,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        state = lam.get_function(FunctionName=name)["Configuration"].get("State")
        if state == "Active":
            break
        time.sleep(0.2)
    answer = lam.invoke(FunctionName=name, Payload=b'{"n": 0}')
    assert json.loads(answer["Payload"].read())["echo"] == 0, "the warm-up invoke failed"


def _request(name: str) -> Request:
    bodies = [json.dumps({"n": n}).encode() for n in range(8)]
    return Request("", bodies, content_type="application/json", path=f"/2015-03-31/functions/{name}/invocations",
                   scope="lambda")  # fmt: skip


def _measure(server: Running, seconds: float, connections: int) -> tuple[float, int]:
    """Each measurement on its own function, so a pool grown for one count doesn't serve the next."""
    name = f"bench-echo-{connections}"
    _prepare(server, name)
    run_load(server.endpoint, _request(name), seconds=1, connections=connections)  # every worker warm
    result = run_load(server.endpoint, _request(name), seconds=seconds, connections=connections)
    return result.rate, result.errors


def run(quick: bool = False) -> str:
    seconds = 3.0 if quick else 5.0
    connections = [4] if quick else [1, 4]
    load = os.getloadavg()[0]
    rows: dict[str, dict[int, tuple[float, int]]] = {}
    for make in (lambda: eventyard(), lambda: peer("ministack")):
        server = make()
        if server is None:
            continue
        try:
            rows[server.name] = {}
            for count in connections:
                rows[server.name][count] = _measure(server, seconds, count)
        finally:
            server.stop()
    header = "| server | " + " | ".join(f"{c} connection{'s' if c > 1 else ''} (calls/s)" for c in connections) + " |"
    lines = [header, "|---|" + "---:|" * len(connections)]
    for name, by_count in rows.items():
        cells = [f"{rate:,.0f}" + (f" ({errors} errors)" if errors else "") for rate, errors in by_count.values()]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    ours = next((v for k, v in rows.items() if k.startswith("eventyard")), None)
    theirs = rows.get("ministack")
    if ours and theirs:
        ratios = ", ".join(f"{ours[c][0] / theirs[c][0]:.1f}x at {c}" for c in connections if theirs[c][0])
        lines.append("")
        lines.append(f"Eventyard / ministack: {ratios}")
    lines.append("")
    lines.append(f"Load average before the run: {load:.2f} (2 cores shared)")
    return "\n".join(lines)


if __name__ == "__main__":
    print(run())
