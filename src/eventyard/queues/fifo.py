"""FIFO rules at send time: which parameters a queue type takes, group ids and deduplication ids.

Deduplication itself (the 5-minute window, surviving deletion) lives in the store's ``sqs_dedup``
table; ordering and group blocking live in the receive lease. This module decides, per message,
the group, the deduplication id (given, or SHA-256 of the body under ContentBasedDeduplication)
and the scope the id is unique in (the queue, or the group under DeduplicationScope=messageGroup).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Any

from eventyard.queues.errors import InvalidParameterValue, MissingParameter, invalid_value
from eventyard.queues.store import Queue

_TOKEN = re.compile(r"^[A-Za-z0-9!\"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~]{1,128}$")
_WRONG_QUEUE_TYPE = "The request include parameter that is not valid for this queue type."


@dataclass(frozen=True)
class Ordering:
    """A message's FIFO identity: its group, its deduplication id and the scope that id is unique in."""

    group_id: str | None = None
    dedup_id: str | None = None
    dedup_scope: str = ""


_UNORDERED = Ordering()


def ordering(queue: Queue, entry: dict[str, Any], body: str) -> Ordering:
    """Check MessageGroupId / MessageDeduplicationId / DelaySeconds against the queue type."""
    group_id = entry.get("MessageGroupId")
    dedup_id = entry.get("MessageDeduplicationId")
    if group_id is None and dedup_id is None and not queue.fifo:  # the usual message: nothing to check
        return _UNORDERED
    if group_id is not None and not _TOKEN.match(group_id):
        raise invalid_value(
            "MessageGroupId",
            group_id,
            "MessageGroupId can only include alphanumeric and punctuation characters. 1 to 128 in length.",
        )
    if dedup_id is not None and not _TOKEN.match(dedup_id):
        raise invalid_value(
            "MessageDeduplicationId",
            dedup_id,
            "MessageDeduplicationId can only include alphanumeric and punctuation characters. 1 to 128 in length.",
        )
    if not queue.fifo:
        if dedup_id is not None:
            raise InvalidParameterValue(
                f"Value {dedup_id} for parameter MessageDeduplicationId is invalid. Reason: {_WRONG_QUEUE_TYPE}"
            )
        # Fair queues: a standard queue accepts MessageGroupId (it only spreads delivery).
        return Ordering(group_id=group_id)
    if group_id is None:
        raise MissingParameter("The request must contain the parameter MessageGroupId.")
    delay = entry.get("DelaySeconds")
    if delay not in (None, 0):
        raise invalid_value("DelaySeconds", delay, _WRONG_QUEUE_TYPE)
    if dedup_id is None:
        if queue.attributes.get("ContentBasedDeduplication") != "true":
            raise InvalidParameterValue(
                "The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided "
                "explicitly"
            )
        dedup_id = hashlib.sha256(body.encode("utf-8")).hexdigest()
    scope = group_id if queue.attributes.get("DeduplicationScope") == "messageGroup" else ""
    return Ordering(group_id, dedup_id, scope)


def check_batch_identity(queue: Queue, entries: list[dict[str, Any]]) -> None:
    """SendMessageBatch on a FIFO queue: an entry without a group, or without a deduplication id on a
    queue that does not derive one, fails the whole request (not just its entry), and the missing
    group is an ``InvalidParameterValue`` here where SendMessage says ``MissingParameter``."""
    content_based = queue.attributes.get("ContentBasedDeduplication") == "true"
    for entry in entries:
        if entry.get("MessageGroupId") is None:
            raise InvalidParameterValue("The request must contain the parameter MessageGroupId.")
        if entry.get("MessageDeduplicationId") is None and not content_based:
            raise InvalidParameterValue(
                "The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided "
                "explicitly"
            )
