"""NextToken for ListStreams, ListShards and ListStreamConsumers: where the next page starts.

A token is base64 of a small JSON object: what is listed (a stream's ARN and creation time, for
the per-stream lists), the last item of the page, and when the token was issued, since AWS lets
ListShards' and ListStreamConsumers' tokens expire after 300 seconds (ExpiredNextTokenException).
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

import orjson

from eventyard.streams.errors import ExpiredNextTokenException, InvalidArgumentException

TOKEN_LIFETIME = 300.0


@dataclass(frozen=True, slots=True)
class PageToken:
    after: str
    issued_at: float
    stream_arn: str = ""
    stream_created: float = 0.0

    def encode(self) -> str:
        body = {"a": self.after, "t": self.issued_at, "s": self.stream_arn, "c": self.stream_created}
        return base64.b64encode(orjson.dumps(body)).decode("ascii")


def decode_token(token: str, now: float, *, expires: bool) -> PageToken:
    try:
        body = orjson.loads(base64.b64decode(token, validate=True))
        found = PageToken(str(body["a"]), float(body["t"]), str(body["s"]), float(body["c"]))
    except (binascii.Error, ValueError, KeyError, TypeError, orjson.JSONDecodeError):
        raise InvalidArgumentException(f"Invalid NextToken: {token}")
    if "\x00" in found.after or "\x00" in found.stream_arn:
        raise InvalidArgumentException(f"Invalid NextToken: {token}")
    if expires and now - found.issued_at > TOKEN_LIFETIME:
        raise ExpiredNextTokenException(f"The NextToken has expired: it is valid for {TOKEN_LIFETIME:.0f} seconds.")
    return found
