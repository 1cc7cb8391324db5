"""Hand-made HTTP requests, for what boto3 refuses to send (unknown operations, broken bodies)."""

from __future__ import annotations

import urllib.error
import urllib.request

AUTH = "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/{service}/aws4_request, SignedHeaders=host, Signature=00"


def post(endpoint: str, body: bytes, headers: dict[str, str], path: str = "/") -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(endpoint + path, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, {k.lower(): v for k, v in response.headers.items()}, response.read()
    except urllib.error.HTTPError as error:
        with error:
            return error.code, {k.lower(): v for k, v in error.headers.items()}, error.read()
