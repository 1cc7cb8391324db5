"""API destinations as targets: an HTTP request with the connection's auth, at the destination's rate.

AWS retries 5xx, 429 and network failures and gives up at once on other 4xx; so do we (a
ClientError is not retried). ``InvocationRateLimitPerSecond`` is kept by a token bucket per
destination.
"""

from __future__ import annotations

import asyncio
import base64
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import TYPE_CHECKING, Any

from eventyard.errors import ClientError

if TYPE_CHECKING:
    from eventyard.bus.service import BusService


class _Bucket:
    def __init__(self, rate: float) -> None:
        self.rate = max(rate, 1.0)
        self.tokens = self.rate
        self.stamp = time.monotonic()

    async def take(self) -> None:
        while True:
            now = time.monotonic()
            self.tokens = min(self.rate, self.tokens + (now - self.stamp) * self.rate)
            self.stamp = now
            if self.tokens >= 1:
                self.tokens -= 1
                return
            await asyncio.sleep((1 - self.tokens) / self.rate)


def _auth_headers(connection: dict[str, Any]) -> dict[str, str]:
    kind = connection["AuthorizationType"]
    params = connection["AuthParameters"]
    headers: dict[str, str] = {}
    if kind == "BASIC":
        basic = params["BasicAuthParameters"]
        token = base64.b64encode(f"{basic['Username']}:{basic['Password']}".encode()).decode()
        headers["Authorization"] = f"Basic {token}"
    elif kind == "API_KEY":
        key = params["ApiKeyAuthParameters"]
        headers[key["ApiKeyName"]] = key["ApiKeyValue"]
    elif kind == "OAUTH_CLIENT_CREDENTIALS":
        headers["Authorization"] = f"Bearer {_oauth_token(params['OAuthParameters'])}"
    for header in (params.get("InvocationHttpParameters") or {}).get("HeaderParameters", []):
        headers[header["Key"]] = header["Value"]
    return headers


def _oauth_token(oauth: dict[str, Any]) -> str:
    client = oauth["ClientParameters"]
    body = urllib.parse.urlencode({"grant_type": "client_credentials"}).encode()
    secret = base64.b64encode(f"{client['ClientID']}:{client['ClientSecret']}".encode()).decode()
    request = urllib.request.Request(
        oauth["AuthorizationEndpoint"],
        data=body,
        method=oauth.get("HttpMethod", "POST"),
        headers={"Authorization": f"Basic {secret}", "Content-Type": "application/x-www-form-urlencoded"},
    )
    import json

    with urllib.request.urlopen(request, timeout=5) as response:
        token: str = json.loads(response.read())["access_token"]
        return token


def _send(method: str, url: str, headers: dict[str, str], body: bytes) -> int:
    request = urllib.request.Request(url, data=body if method not in ("GET", "HEAD") else None, method=method)
    for key, value in headers.items():
        request.add_header(key, value)
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


class ApiDestinations:
    """``arn:aws:events:...:api-destination/NAME/ID``: an HTTP request with the connection's auth,
    at the destination's InvocationRateLimitPerSecond (one token bucket per destination, per bus)."""

    def __init__(self, bus: BusService) -> None:
        self.bus = bus
        self._buckets: dict[str, _Bucket] = {}

    async def deliver(self, target: dict[str, Any], payload: str, event: dict[str, Any], rule: dict[str, Any]) -> None:
        destination, connection = await self.bus.destination_and_connection(target["Arn"])
        arn = destination["ApiDestinationArn"]
        bucket = self._buckets.setdefault(arn, _Bucket(destination["InvocationRateLimitPerSecond"]))
        await bucket.take()
        http = target.get("HttpParameters") or {}
        url = destination["InvocationEndpoint"]
        for value in http.get("PathParameterValues", []):
            url = url.replace("*", urllib.parse.quote(value, safe=""), 1)
        if http.get("QueryStringParameters"):
            url += ("&" if "?" in url else "?") + urllib.parse.urlencode(http["QueryStringParameters"])
        headers = {"Content-Type": "application/json; charset=utf-8", **_auth_headers(connection)}
        headers.update(http.get("HeaderParameters") or {})
        status = await asyncio.to_thread(_send, destination["HttpMethod"], url, headers, payload.encode())
        if status >= 500 or status in (408, 409, 429):
            raise RuntimeError(f"HTTP {status} from {url}")
        if status >= 400:
            raise ClientError(f"HTTP {status} from {url}", code=f"{status}")
