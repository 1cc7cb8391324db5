"""The console over HTTP: ``/_console`` serves the page, its files and its JSON endpoints.

- ``GET /_console`` (and any path under it that is not a file or an endpoint): the page, ``index.html``;
- ``GET /_console/static/<file>``: the page's modules, styles and images, bundled in the package;
- ``GET /_console/config``: what the page needs before anything else (is a key required, what is served);
- ``GET|POST /_console/api/<endpoint>``: the JSON endpoints (see :mod:`.endpoints`); parameters from
  the query string and, for POST, the JSON body; an AWS error answers ``{"error", "message"}``;
- ``GET /_console/live/<stream>``: server-sent events (see :mod:`.live`).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

import orjson

from eventyard.console import access
from eventyard.console.endpoints import ENDPOINTS, STREAMS, BadRequest, Call
from eventyard.errors import EventyardError
from eventyard.gateway.http import read_headers
from eventyard.gateway.wire import Reply
from eventyard.service import DEFAULT_REGION, RequestContext

if TYPE_CHECKING:
    from eventyard.gateway.app import Gateway

log = logging.getLogger("eventyard.console")

PREFIX = "/_console"
STATIC = Path(__file__).parent / "static"
TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".json": "application/json",
}


def _json(status: int, value: Any) -> Reply:
    return Reply(status, orjson.dumps(value, default=str), "application/json", [(b"cache-control", b"no-store")])


def _file(path: Path) -> Reply:
    headers = [(b"cache-control", b"no-cache"), (b"x-content-type-options", b"nosniff")]
    return Reply(200, path.read_bytes(), TYPES.get(path.suffix, "application/octet-stream"), headers)


def _static(relative: str) -> Reply | None:
    target = (STATIC / relative).resolve()
    if not target.is_file() or STATIC.resolve() not in target.parents:  # no way out of the folder
        return None
    return _file(target)


async def handle(gateway: Gateway, scope: Any, body: bytes) -> Reply:
    path: str = scope["path"]
    rest = path[len(PREFIX) :].lstrip("/")
    if rest.startswith("static/"):
        return _static(rest[len("static/") :]) or _json(404, {"error": "NotFound", "message": f"no file {path}"})
    if rest == "config":
        yard = gateway.yard
        return _json(200, {"auth": gateway.auth.verify, "services": sorted(yard.services), "durable": yard.durable})
    if not rest.startswith(("api/", "live/")):
        return _file(STATIC / "index.html")
    headers = read_headers(scope["headers"], everything=True)
    try:
        account = access.account_of(gateway.auth, headers)
        params = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1")))
        if body:
            try:
                given = orjson.loads(body)
            except orjson.JSONDecodeError:
                raise BadRequest("the body is not JSON")
            if not isinstance(given, dict):
                raise BadRequest("the body is not a JSON object")
            params.update(given)
        host = headers.get("host") or "127.0.0.1:4566"
        region = str(params.pop("region", "") or DEFAULT_REGION)
        context = RequestContext(account=account, region=region, endpoint=f"{scope.get('scheme', 'http')}://{host}")
        call = Call(gateway.yard, context, params, lambda: gateway.stopping, gateway.metrics.rates)
        if rest.startswith("live/"):
            streaming = STREAMS.get(rest[len("live/") :])
            if streaming is None:
                return _json(404, {"error": "NotFound", "message": f"no live stream {path}"})
            return await streaming(call)
        found = ENDPOINTS.get((scope["method"], rest[len("api/") :]))
        if found is None:
            return _json(404, {"error": "NotFound", "message": f"no endpoint {scope['method']} {path}"})
        return _json(200, await found(call))
    except EventyardError as error:
        return _json(
            error.status if 400 <= error.status < 600 else 400, {"error": error.code, "message": error.message}
        )
    except Exception:
        log.exception("console endpoint %s failed", path)
        return _json(500, {"error": "InternalFailure", "message": "the console endpoint failed; see the server log"})
