"""Receipt handles: opaque to callers, they name one lease of one message.

A handle carries the queue's id, the message row and the lease's nonce. Only the newest lease's
nonce matches the row, which is how SQS's rules fall out: an old handle deletes nothing but does
not fail, and a handle that does not parse is ``ReceiptHandleIsInvalid``.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

from eventyard.queues.errors import ReceiptHandleIsInvalid

_PREFIX = "eyq1"


@dataclass(frozen=True)
class Receipt:
    queue_id: int
    row_id: int
    nonce: str


def encode(queue_id: int, row_id: int, nonce: str) -> str:
    raw = f"{_PREFIX} {queue_id} {row_id} {nonce}".encode("ascii")
    return base64.urlsafe_b64encode(raw).decode("ascii")


def decode(handle: str, queue_id: int) -> Receipt:
    """Parse a handle of this queue; anything else is ``ReceiptHandleIsInvalid``."""
    try:
        prefix, queue, row, nonce = base64.urlsafe_b64decode(handle.encode("ascii")).decode("ascii").split(" ")
        receipt = Receipt(int(queue), int(row), nonce)
    except (ValueError, UnicodeError, binascii.Error):
        raise ReceiptHandleIsInvalid(handle)
    if prefix != _PREFIX:
        raise ReceiptHandleIsInvalid(handle)
    if receipt.queue_id != queue_id:
        raise ReceiptHandleIsInvalid(handle, other_queue=True)
    return receipt
