"""What every protocol module hands the ASGI app: a response ready to send."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field


@dataclass(slots=True)
class Reply:
    """An HTTP response. With ``stream`` set, ``body`` is ignored: each chunk the stream yields is sent
    (and flushed) as it comes, as for an event stream; the response then has no content-length."""

    status: int
    body: bytes
    content_type: str
    headers: list[tuple[bytes, bytes]] = field(default_factory=list)
    stream: AsyncIterator[bytes] | None = None
