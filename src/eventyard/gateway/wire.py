"""What every protocol module shares: a parsed request and a response ready to send."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(slots=True)
class Call:
    """One AWS operation call read off the wire, before validation."""

    service: str
    operation: str
    params: dict[str, Any]
    protocol: str  # "json", "query" or "cbor"


@dataclass(slots=True)
class Reply:
    status: int
    body: bytes
    content_type: str
    headers: list[tuple[bytes, bytes]] = field(default_factory=list)
