"""The List* operations' pages: ``maxResults`` and opaque ``nextToken`` as Step Functions has them.

``maxResults`` 0 or absent means the default page of 100 (the model caps it at 1000). A token says
where the next page starts (the last key of this page) and which listing it belongs to, base64 of
a small JSON document; a token that does not read back, or belongs to another listing, is AWS's
``InvalidToken: Invalid Token: 'Invalid token'`` (AWS-recorded).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import orjson

from eventyard.workflows.api_errors import invalid_token

T = TypeVar("T")

DEFAULT_PAGE = 100


def page_size(request: dict[str, Any]) -> int:
    return int(request.get("maxResults") or 0) or DEFAULT_PAGE


def make_token(listing: str, after: Any) -> str:
    text = orjson.dumps({"l": listing, "a": after})
    return base64.urlsafe_b64encode(text).decode("ascii").rstrip("=")


def read_token(request: dict[str, Any], listing: str) -> Any:
    """Where the page of ``listing`` the request asks for starts (None: the first page)."""
    token = request.get("nextToken")
    if token is None:
        return None
    try:
        text = base64.urlsafe_b64decode(str(token) + "=" * (-len(str(token)) % 4))
        body = orjson.loads(text)
    except (ValueError, binascii.Error, orjson.JSONDecodeError):
        raise invalid_token() from None
    if not isinstance(body, dict) or body.get("l") != listing or "a" not in body:
        raise invalid_token()
    return body["a"]


def paginate(
    items: Sequence[T],
    request: dict[str, Any],
    listing: str,
    key: Callable[[T], Any],
    *,
    descending: bool = False,
) -> tuple[list[T], str | None]:
    """One page of ``items`` (already in listing order) and the token of the next, if any.

    For short listings held whole (a machine's versions or aliases); long ones page in SQL with
    :func:`read_token` and :func:`make_token` directly.
    """
    after = read_token(request, listing)
    start = 0
    if after is not None:
        keys = [key(item) for item in items]
        start = keys.index(after) + 1 if after in keys else _first_after(keys, after, descending)
    size = page_size(request)
    chosen = list(items[start : start + size])
    more = start + size < len(items)
    return chosen, make_token(listing, key(chosen[-1])) if more and chosen else None


def _first_after(keys: list[Any], after: Any, descending: bool) -> int:
    """Where a listing resumes when the item its token names is gone: at the first key past it."""
    for index, candidate in enumerate(keys):
        try:
            past = candidate < after if descending else candidate > after
        except TypeError:
            raise invalid_token() from None
        if past:
            return index
    return len(keys)
