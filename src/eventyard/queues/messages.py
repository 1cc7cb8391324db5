"""Message bodies and message attributes: validation, size and the MD5 digests SQS returns.

SDKs check ``MD5OfMessageBody`` and ``MD5OfMessageAttributes`` against what they sent or received,
so the digests must be byte-for-byte AWS's: MD5 of the UTF-8 body, and for attributes the
developer guide's encoding (names sorted; each name, data type and value as a 4-byte big-endian
length followed by the bytes, with a transport byte 1 for strings and numbers, 2 for binary).
"""

from __future__ import annotations

import base64
import hashlib
import re
import struct
from decimal import Decimal, InvalidOperation
from typing import Any

from eventyard.queues.errors import InvalidMessageContents, InvalidParameterValue, MissingParameter

#: XML 1.0's character set: what a message body may contain.
_INVALID_BODY_CHARACTER = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
#: The ASCII characters a body may contain: an ASCII body with none left once these are deleted is valid.
_VALID_ASCII = b"\t\n\r" + bytes(range(0x20, 0x80))
_ATTRIBUTE_NAME = re.compile(r"^[A-Za-z0-9_\-.]{1,256}$")
MAX_MESSAGE_ATTRIBUTES = 10

Attributes = dict[str, dict[str, Any]]


def md5_of_body(body: str) -> str:
    return hashlib.md5(body.encode("utf-8")).hexdigest()


def _field(data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + data


def md5_of_attributes(attributes: Attributes) -> str:
    """AWS's digest of message (or message system) attributes; values as ``binary_value(...)`` gives them."""
    digest = hashlib.md5()
    for name in sorted(attributes):
        attribute = attributes[name]
        data_type = attribute["DataType"]
        digest.update(_field(name.encode("utf-8")))
        digest.update(_field(data_type.encode("utf-8")))
        if data_type.startswith("Binary"):
            digest.update(b"\x02")
            digest.update(_field(binary_value(attribute.get("BinaryValue"))))
        else:
            digest.update(b"\x01")
            digest.update(_field(str(attribute.get("StringValue", "")).encode("utf-8")))
    return digest.hexdigest()


def binary_value(value: Any) -> bytes:
    """A blob as bytes: the gateway gives bytes; in-process callers may pass str, as boto3 accepts."""
    if value is None:
        return b""
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value)
    return str(value).encode("utf-8")


def check_body(body: Any) -> str:
    if body is None or body == "":
        raise MissingParameter("The request must contain the parameter MessageBody.")
    text = str(body)
    if text.isascii() and (text.isprintable() or not text.encode("ascii").translate(None, _VALID_ASCII)):
        return text  # the usual body (JSON, laid out on lines or not): nothing outside the allowed set
    if _INVALID_BODY_CHARACTER.search(text):
        raise InvalidMessageContents(
            "Invalid characters found. Valid characters are #x9 | #xA | #xD | #x20 to #xD7FF | "
            "#xE000 to #xFFFD | #x10000 to #x10FFFF"
        )
    return text


def check_attributes(attributes: Attributes | None) -> Attributes:
    """Validate message attributes as SQS does and return them with binary values as bytes."""
    if not attributes:
        return {}
    if len(attributes) > MAX_MESSAGE_ATTRIBUTES:
        raise InvalidParameterValue(
            f"Number of message attributes [{len(attributes)}] exceeds the allowed maximum [{MAX_MESSAGE_ATTRIBUTES}]."
        )
    clean: Attributes = {}
    for name, attribute in attributes.items():
        _check_name(name)
        data_type = attribute.get("DataType")
        if not data_type:
            raise InvalidParameterValue(
                f"The message attribute '{name}' must contain non-empty message attribute type."
            )
        base = data_type.split(".", 1)[0]
        if base not in ("String", "Number", "Binary") or len(data_type) > 256:
            raise InvalidParameterValue(
                f"The type of message (user) attribute '{name}' is invalid. You must use only the following "
                "supported type prefixes: Binary, Number, String."
            )
        if base == "Binary":
            value = binary_value(attribute.get("BinaryValue"))
            if not value:
                raise InvalidParameterValue(
                    f"Message (user) attribute '{name}' must contain a non-empty value of type 'Binary'."
                )
            clean[name] = {"DataType": data_type, "BinaryValue": value}
            continue
        text = attribute.get("StringValue")
        if text is None or text == "":
            raise InvalidParameterValue(
                f"Message (user) attribute '{name}' must contain a non-empty value of type '{base}'."
            )
        if _INVALID_BODY_CHARACTER.search(text):
            raise InvalidParameterValue(f"Message (user) attribute '{name}' contains invalid characters.")
        if base == "Number":
            _check_number(name, text)
        clean[name] = {"DataType": data_type, "StringValue": text}
    return clean


def _check_name(name: str) -> None:
    if (
        not _ATTRIBUTE_NAME.match(name)
        or name.startswith(".")
        or name.endswith(".")
        or ".." in name
        or name.lower().startswith(("aws.", "amazon."))
    ):
        raise InvalidParameterValue(
            f"Message (user) attribute name '{name}' is invalid. The attribute name can contain "
            "A-Z, a-z, 0-9, underscore (_), hyphen (-), and period (.) characters."
        )


def _check_number(name: str, text: str) -> None:
    try:
        number = Decimal(text)
    except InvalidOperation:
        number = None
    if number is None or not number.is_finite() or len(number.as_tuple().digits) > 38:
        raise InvalidParameterValue(f"Can't cast the value of message (user) attribute '{name}' to a number.")
    if number != 0 and not Decimal("-1e128") <= number <= Decimal("1e126"):
        raise InvalidParameterValue(f"Can't cast the value of message (user) attribute '{name}' to a number.")


def size_of(body: str, attributes: Attributes) -> int:
    """Bytes counted against MaximumMessageSize: the body plus each attribute's name, type and value."""
    size = len(body) if body.isascii() else len(body.encode("utf-8"))
    for name, attribute in attributes.items():
        size += len(name.encode("utf-8")) + len(attribute["DataType"].encode("utf-8"))
        if "BinaryValue" in attribute:
            size += len(attribute["BinaryValue"])
        else:
            size += len(attribute["StringValue"].encode("utf-8"))
    return size


def check_size(size: int, limit: int, *, in_batch: bool = False) -> None:
    """AWS words it differently for a SendMessageBatch entry ("cannot be validated") than for SendMessage."""
    if size > limit:
        problem = "cannot be validated" if in_batch else "are invalid"
        raise InvalidParameterValue(
            f"One or more parameters {problem}. Reason: Message must be shorter than {limit} bytes."
        )


def to_storable(attributes: Attributes) -> Attributes:
    """JSON-safe copy (binary values base64) for the store."""
    return {
        name: (
            {"DataType": a["DataType"], "BinaryValue": base64.b64encode(a["BinaryValue"]).decode("ascii")}
            if "BinaryValue" in a
            else dict(a)
        )
        for name, a in attributes.items()
    }


def from_storable(attributes: Attributes) -> Attributes:
    return {
        name: (
            {"DataType": a["DataType"], "BinaryValue": base64.b64decode(a["BinaryValue"])}
            if "BinaryValue" in a
            else dict(a)
        )
        for name, a in attributes.items()
    }


def select_attributes(attributes: Attributes, names: list[str] | None) -> Attributes:
    """The attributes a receive asked for: ``All``, ``*``, ``.*``, exact names, or ``prefix.*``."""
    if not names or not attributes:
        return {}
    if "All" in names or ".*" in names or "*" in names:
        return attributes
    chosen: Attributes = {}
    for wanted in names:
        if wanted.endswith(".*"):  # "Hel.*" picks "Hello" and "Help.Me" alike
            prefix = wanted[:-2]
            chosen.update({k: v for k, v in attributes.items() if k.startswith(prefix)})
        elif wanted in attributes:
            chosen[wanted] = attributes[wanted]
    return chosen
