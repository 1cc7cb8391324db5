"""What Publish and PublishBatch check in a message, in SNS's words (AWS-recorded).

A message is at most 256 KiB with its attributes; the Subject, when given, is non-empty ASCII
without line breaks, at most 100 characters; ``MessageStructure: json`` needs a JSON object with a
string ``default`` (other keys whose value is not a string fall back to ``default``). Attribute
names and types follow SNS's rules (``String``, ``Number``, ``Binary``, each with an optional
``.custom`` suffix, and ``String.Array``).
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

import orjson

from eventyard.topics.errors import ParameterValueInvalid, invalid

MAX_MESSAGE_BYTES = 262_144
_NAME_CHARACTER = re.compile(r"[A-Za-z0-9_.-]")
_SUBJECT = re.compile(r"^[\x20-\x7e]{1,100}$")
_TOKEN = re.compile(r"^[A-Za-z0-9!\"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~]{1,128}$")


@dataclass
class Entry:
    """One checked message of a Publish or PublishBatch."""

    message: str
    subject: str | None
    per_protocol: dict[str, str] | None
    attributes: dict[str, dict[str, str]]  # BinaryValue as base64 text
    group_id: str | None
    dedup_id: str | None
    size: int
    entry_id: str | None = None


def check_entry(request: dict[str, Any], entry_id: str | None = None) -> Entry:
    message = request.get("Message")
    if not message:
        raise invalid("Empty message")
    message = str(message)
    subject = request.get("Subject")
    if subject is not None and not _SUBJECT.match(str(subject)):
        raise invalid("Subject")
    per_protocol = _structure(message) if request.get("MessageStructure") is not None else None
    if request.get("MessageStructure") not in (None, "json"):
        raise invalid("MessageStructure")
    attributes, attribute_bytes = check_attributes(request.get("MessageAttributes") or {})
    size = len(message.encode("utf-8")) + attribute_bytes
    if size > MAX_MESSAGE_BYTES:
        raise invalid("Message too long")
    group_id = request.get("MessageGroupId")
    dedup_id = request.get("MessageDeduplicationId")
    for member, value in (("MessageGroupId", group_id), ("MessageDeduplicationId", dedup_id)):
        if value is not None and not _TOKEN.match(str(value)):
            raise invalid(f"{member} Reason: {member} can only include alphanumeric and punctuation characters. "
                          "1 to 128 in length.")  # fmt: skip
    return Entry(message, subject, per_protocol, attributes, group_id, dedup_id, size, entry_id)


def _structure(message: str) -> dict[str, str]:
    try:
        document = orjson.loads(message)
    except orjson.JSONDecodeError:
        raise invalid("Message Structure - JSON message body failed to parse")
    if not isinstance(document, dict) or not isinstance(document.get("default"), str):
        raise invalid("Message Structure - No default entry in JSON message body")
    return {str(key): value for key, value in document.items() if isinstance(value, str)}


def _check_name(name: str) -> None:
    if len(name.encode("utf-8")) >= 256:
        raise ParameterValueInvalid("Length of message attribute name must be less than 256 bytes.")
    for character in name:
        if not _NAME_CHARACTER.match(character):
            raise ParameterValueInvalid(
                f"Invalid non-alphanumeric character '#x{ord(character):X}' was found in the message attribute name. "
                "Can only include alphanumeric characters, hyphens, underscores, or dots."
            )
    if name.startswith("."):
        raise ParameterValueInvalid("Invalid message attribute name starting with character '.' was found.")
    if name.endswith("."):
        raise ParameterValueInvalid("Invalid message attribute name ending with character '.' was found.")
    if ".." in name:
        raise ParameterValueInvalid("Message attribute name can not have successive '.' character.")


def check_attributes(given: dict[str, Any]) -> tuple[dict[str, dict[str, str]], int]:
    """The attributes as kept (binary values in base64), and the bytes they count toward the size."""
    kept: dict[str, dict[str, str]] = {}
    size = 0
    for name, attribute in given.items():
        name = str(name)
        _check_name(name)
        kind = str(attribute.get("DataType", ""))
        base, dot, custom = kind.partition(".")
        if base not in ("String", "Number", "Binary") or (dot and not custom):  # "String." has no custom type
            raise ParameterValueInvalid(
                f"The message attribute '{name}' has an invalid message attribute type, the set of supported type "
                "prefixes is Binary, Number, and String."
            )
        text = attribute.get("StringValue")
        binary = attribute.get("BinaryValue")
        if base == "Binary":
            if text is not None and binary is None:
                raise ParameterValueInvalid(
                    f"The message attribute '{name}' with type 'Binary' must use field 'Binary'."
                )
            if not binary:
                raise ParameterValueInvalid(
                    f"The message attribute '{name}' must contain non-empty message attribute value for message "
                    "attribute type 'Binary'."
                )
            raw = bytes(binary) if isinstance(binary, bytes | bytearray) else base64.b64decode(str(binary))
            kept[name] = {"DataType": kind, "BinaryValue": base64.b64encode(raw).decode("ascii")}
            size += len(name.encode()) + len(kind) + len(raw)
            continue
        if text is None and binary is not None:
            raise ParameterValueInvalid(f"The message attribute '{name}' with type '{base}' must use field 'String'.")
        if not text:
            raise ParameterValueInvalid(
                f"The message attribute '{name}' must contain non-empty message attribute value for message "
                f"attribute type '{base}'."
            )
        text = str(text)
        if base == "Number":
            _check_number(name, text)
        kept[name] = {"DataType": kind, "StringValue": text}
        size += len(name.encode()) + len(kind) + len(text.encode())
    return kept, size


def _check_number(name: str, text: str) -> None:
    try:
        number = Decimal(text)
    except InvalidOperation:
        number = Decimal("NaN")
    if not number.is_finite():
        raise ParameterValueInvalid(f"Could not cast message attribute '{name}' value to number.")
