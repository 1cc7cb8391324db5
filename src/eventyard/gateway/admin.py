"""Eventyard's own endpoints beside the AWS APIs.

- ``GET /_eventyard/health``: ``{"status": "ready", "services": [...], "durable": ...}``;
- ``GET /metrics``: Prometheus text;
- ``GET|POST /_eventyard/clock``: read the clock, or with ``--virtual-clock`` move it:
  ``{"advance": SECONDS}`` or ``{"set": EPOCH_SECONDS}``;
- ``GET /_eventyard/sns/SimpleNotificationService-<key>.pem``: the certificate SNS notifications are
  signed with (their ``SigningCertURL``);
- ``GET /_eventyard/functions/<account>/<region>/<name>/code/<sha256 hex>``: a function's zip (the
  ``Code.Location`` GetFunction answers).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import orjson

from eventyard import __version__
from eventyard.clock import VirtualClock
from eventyard.gateway.wire import Reply

if TYPE_CHECKING:
    from eventyard.gateway.app import Gateway

JSON = "application/json"
SNS_CERTIFICATES = "/_eventyard/sns/"
FUNCTION_CODE = "/_eventyard/functions/"


def _json(status: int, value: Any) -> Reply:
    return Reply(status, orjson.dumps(value), JSON)


def banner(gateway: Gateway) -> Reply:
    return _json(200, {"eventyard": __version__, "services": sorted(gateway.yard.services)})


async def handle(gateway: Gateway, scope: dict[str, Any] | Any, headers: dict[str, str], body: bytes) -> Reply:
    path = scope["path"]
    method = scope["method"]
    yard = gateway.yard
    if path == "/_eventyard/health":
        return _json(
            200,
            {"status": "ready", "version": __version__, "services": sorted(yard.services), "durable": yard.durable},
        )
    if path == "/metrics":
        extra: dict[str, float] = {
            "eventyard_storage_commits_total": yard.db.commits,
            "eventyard_storage_jobs_total": yard.db.jobs_committed,
        }
        text = gateway.metrics.render(extra) + "\n".join(yard.kernel.metrics.render()) + "\n"
        return Reply(200, text.encode(), "text/plain; version=0.0.4")
    if path == "/_eventyard/clock":
        clock = yard.clock
        if method == "POST":
            if not isinstance(clock, VirtualClock):
                return _json(409, {"message": "the server runs on wall time; start it with --virtual-clock"})
            try:
                command = orjson.loads(body or b"{}")
                if "set" in command:
                    await yard.advance(max(0.0, float(command["set"]) - clock.now()))
                else:
                    await yard.advance(float(command.get("advance", 0)))
            except (orjson.JSONDecodeError, TypeError, ValueError, AttributeError) as error:
                return _json(400, {"message": f"expected {{'advance': seconds}} or {{'set': epoch}}: {error}"})
        return _json(200, {"now": clock.now(), "virtual": isinstance(clock, VirtualClock)})
    if path.startswith(SNS_CERTIFICATES) and "sns" in yard.services:
        pem = await yard.services["sns"].certificate(path[len(SNS_CERTIFICATES) :])  # type: ignore[attr-defined]
        if pem is not None:
            return Reply(200, pem.encode(), "application/x-pem-file")
    if path.startswith(FUNCTION_CODE) and "lambda" in yard.services:
        parts = path[len(FUNCTION_CODE) :].split("/")
        if len(parts) == 5 and parts[3] == "code":
            account, region, name, _, sha = parts
            archive = await yard.services["lambda"].code_archive(account, region, name, sha)  # type: ignore[attr-defined]
            if archive is not None:
                return Reply(200, archive, "application/zip")
    return _json(404, {"message": f"no such endpoint {path}"})
