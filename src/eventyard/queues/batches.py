"""The rules every ``*Batch`` operation shares: 1 to 10 entries, distinct well-formed ids.

Whole-request problems are errors; a problem with one entry goes into that entry's ``Failed``
result (HTTP 200), which :func:`failure` builds from any Eventyard error.
"""

from __future__ import annotations

import re
from typing import Any

from eventyard.errors import EventyardError
from eventyard.queues.errors import (
    BatchEntryIdsNotDistinct,
    EmptyBatchRequest,
    InvalidBatchEntryId,
    TooManyEntriesInBatchRequest,
)

MAX_ENTRIES = 10
_ENTRY_ID = re.compile(r"^[A-Za-z0-9_-]{1,80}$")


def check_entries(entries: list[dict[str, Any]] | None, entry_shape: str) -> list[dict[str, Any]]:
    """``entry_shape`` is the model's entry name (``SendMessageBatchRequestEntry``) AWS puts in its message."""
    entries = list(entries or [])
    if not entries:
        raise EmptyBatchRequest(f"There should be at least one {entry_shape} in the request.")
    if len(entries) > MAX_ENTRIES:
        raise TooManyEntriesInBatchRequest(
            f"Maximum number of entries per request are {MAX_ENTRIES}. You have sent {len(entries)}."
        )
    seen: set[str] = set()
    for entry in entries:
        entry_id = str(entry.get("Id", ""))
        if not _ENTRY_ID.match(entry_id):
            raise InvalidBatchEntryId()
        if entry_id in seen:
            raise BatchEntryIdsNotDistinct(f"Id {entry_id} repeated.")
        seen.add(entry_id)
    return entries


def failure(entry_id: str, error: EventyardError) -> dict[str, Any]:
    return {"Id": entry_id, "SenderFault": error.sender_fault, "Code": error.code, "Message": error.message}


def result(successful: list[dict[str, Any]], failed: list[dict[str, Any]]) -> dict[str, Any]:
    """AWS leaves an empty list out of the answer: a batch where every entry succeeded has no ``Failed``."""
    answer: dict[str, Any] = {}
    if successful:
        answer["Successful"] = successful
    if failed:
        answer["Failed"] = failed
    return answer
