"""The form decoder reads every form exactly as ``urllib.parse.parse_qsl`` does, escapes and all."""

from __future__ import annotations

import random
from urllib.parse import parse_qsl, urlencode

import pytest

from eventyard.gateway.protocols import form
from eventyard.gateway.protocols.query import read_form

#: Pieces a form is made of here, the awkward ones above all: escapes valid, cut short, of either
#: case, of multi-byte characters (whole and split), raw UTF-8 and bytes that are not UTF-8,
#: escaped separators, and what quoted-printable reads otherwise (``=``, line breaks, ``%`` last).
PIECES = [
    b"%", b"+", b"=", b"&", b"a", b"Z", b"0", b"9", b"F", b"f", b"%2", b"%41", b"%c3", b"%A9",
    b"%e2%82", b"%ac", b"\xc3", b"\xa9", "\u00e9".encode(), "\u20ac".encode(), b" ", b"%zz", b"%%",
    b"\xff", b"%ff", b"%2B", b"%26", b"%3D", b"%3d", b"%0A", b"%0D", b";", b"\r", b"\n", b"\t", b"=\n",
    b"%25", b"%00", b"_",
]  # fmt: skip


def test_random_forms_decode_as_parse_qsl_decodes_them() -> None:
    chosen = random.Random(13)
    for _ in range(40_000):
        data = b"".join(chosen.choice(PIECES) for _ in range(chosen.randint(0, 14)))
        expected = dict(parse_qsl(data.decode("utf-8", "replace"), keep_blank_values=True))
        assert form.decode(data) == expected, data


@pytest.mark.parametrize(
    ("raw", "text"),
    [
        (b"%7B%22a%22%3A+1%7D", '{"a": 1}'),  # the quoted-printable path
        (b"50%", "50%"),  # ends with %: quoted-printable would drop it
        (b"a%3Db", "a=b"),  # decodes to "=": checked escape by escape
        (b"%zz%41", "%zzA"),  # a bad escape is kept, the next one decoded
        (b"%e2%82%ac", "\u20ac"),
        (b"%e2%82", "\ufffd"),  # a character cut short
        (b"line%0D%0Abreak", "line\r\nbreak"),
    ],
)
def test_values(raw: bytes, text: str) -> None:
    assert form.unquote(raw) == text


def test_a_publish_form_round_trips() -> None:
    fields = {"Action": "Publish", "TopicArn": "arn:aws:sns:us-east-1:000000000000:t",
              "Message": '{"order": "o-1", "note": "50% off & more = \u20ac\\r\\n"}', "Subject": "a+b c"}  # fmt: skip
    assert read_form(urlencode(fields).encode(), b"") == fields


def test_the_body_wins_over_the_query_string() -> None:
    assert read_form(b"Action=Publish&Message=body", b"Message=query&Version=1") == {
        "Message": "body",
        "Version": "1",
        "Action": "Publish",
    }
