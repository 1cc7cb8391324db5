"""AWS Signature Version 4: who is calling (account), where (region), and optionally proof of it.

Without ``--auth`` any credentials work: the access key picks the account from a configurable map
(a 12-digit access key *is* an account id; anything else maps to ``000000000000``) and the
credential scope picks the region, as the SDKs send it. With ``--auth`` the keys must be known and
every signature is verified.
"""

from __future__ import annotations

import calendar
import hashlib
import hmac
import time
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, quote

from eventyard.errors import InvalidSignatureException, MissingAuthenticationToken, UnrecognizedClientException
from eventyard.service import DEFAULT_ACCOUNT, DEFAULT_REGION

ALGORITHM = "AWS4-HMAC-SHA256"


@dataclass(frozen=True, slots=True)
class Credential:
    access_key: str
    date: str
    region: str
    service: str
    signed_headers: tuple[str, ...] = ()
    signature: str = ""

    @property
    def scope(self) -> str:
        return f"{self.date}/{self.region}/{self.service}/aws4_request"


@dataclass
class Key:
    secret: str
    account: str = DEFAULT_ACCOUNT


@dataclass
class Authenticator:
    """Maps access keys to accounts; with ``verify`` set, also checks every signature."""

    keys: dict[str, Key] = field(default_factory=dict)
    verify: bool = False
    default_account: str = DEFAULT_ACCOUNT

    def account_for(self, access_key: str) -> str:
        key = self.keys.get(access_key)
        if key is not None:
            return key.account
        if len(access_key) == 12 and access_key.isdigit():
            return access_key
        return self.default_account


def parse_authorization(header: str) -> Credential | None:
    """``AWS4-HMAC-SHA256 Credential=AK/20260101/us-east-1/sqs/aws4_request, SignedHeaders=..., Signature=...``."""
    if not header.startswith(ALGORITHM):
        return None
    fields: dict[str, str] = {}
    for part in header[len(ALGORITHM) :].split(","):
        name, _, value = part.strip().partition("=")
        fields[name] = value
    scope = fields.get("Credential", "").split("/")
    if len(scope) != 5:
        return None
    return Credential(
        access_key=scope[0],
        date=scope[1],
        region=scope[2] or DEFAULT_REGION,
        service=scope[3],
        signed_headers=tuple(h for h in fields.get("SignedHeaders", "").split(";") if h),
        signature=fields.get("Signature", ""),
    )


def parse_presigned(query: dict[str, str]) -> Credential | None:
    scope = query.get("X-Amz-Credential", "").split("/")
    if len(scope) != 5:
        return None
    return Credential(
        scope[0],
        scope[1],
        scope[2] or DEFAULT_REGION,
        scope[3],
        tuple(h for h in query.get("X-Amz-SignedHeaders", "").split(";") if h),
        query.get("X-Amz-Signature", ""),
    )


def _signing_key(secret: str, credential: Credential) -> bytes:
    key = hmac.new(f"AWS4{secret}".encode(), credential.date.encode(), hashlib.sha256).digest()
    for part in (credential.region, credential.service, "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return key


def canonical_request(
    method: str, path: str, query_string: str, headers: dict[str, str], signed: tuple[str, ...], body: bytes
) -> str:
    """``path`` as sent (still percent-encoded): SigV4 encodes it once more, as botocore signs it
    (``/functions/arn%3Aaws...`` is signed as ``/functions/arn%253Aaws...``)."""
    pairs = sorted(
        (quote(k, safe="-_.~"), quote(v, safe="-_.~"))
        for k, v in parse_qsl(query_string, keep_blank_values=True)
        if k != "X-Amz-Signature"
    )
    canonical_query = "&".join(f"{k}={v}" for k, v in pairs)
    canonical_headers = "".join(f"{name}:{' '.join(headers.get(name, '').split())}\n" for name in signed)
    payload = headers.get("x-amz-content-sha256") or hashlib.sha256(body).hexdigest()
    return "\n".join(
        [method, quote(path or "/", safe="/~"), canonical_query, canonical_headers, ";".join(signed), payload]
    )


#: AWS refuses a signature whose time is more than this far from its own clock.
MAX_SKEW = 15 * 60


def _stamp(epoch: float) -> str:
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(epoch))


def check_signature(
    auth: Authenticator,
    credential: Credential | None,
    method: str,
    path: str,
    query_string: str,
    headers: dict[str, str],
    body: bytes,
    *,
    now: float | None = None,
) -> None:
    """Raise AWS's 403 errors unless the request is signed by a known key (only when ``verify``).

    Signatures are about real time, whatever clock the yard runs on: ``now`` defaults to wall time.
    """
    if not auth.verify:
        return
    if credential is None:
        raise MissingAuthenticationToken("Missing Authentication Token")
    key = auth.keys.get(credential.access_key)
    if key is None:
        raise UnrecognizedClientException("The security token included in the request is invalid.")
    query = dict(parse_qsl(query_string, keep_blank_values=True))
    amz_date = headers.get("x-amz-date") or query.get("X-Amz-Date", "")
    _check_time(amz_date, time.time() if now is None else now)
    declared = headers.get("x-amz-content-sha256")
    if declared and declared != "UNSIGNED-PAYLOAD" and declared != hashlib.sha256(body).hexdigest():
        raise InvalidSignatureException("The provided 'x-amz-content-sha256' header does not match what was computed.")
    request = canonical_request(method, path, query_string, headers, credential.signed_headers, body)
    to_sign = "\n".join([ALGORITHM, amz_date, credential.scope, hashlib.sha256(request.encode()).hexdigest()])
    expected = hmac.new(_signing_key(key.secret, credential), to_sign.encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, credential.signature):
        raise InvalidSignatureException(
            "The request signature we calculated does not match the signature you provided. "
            "Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
        )


def _check_time(amz_date: str, now: float) -> None:
    try:
        signed_at = calendar.timegm(time.strptime(amz_date, "%Y%m%dT%H%M%SZ"))
    except ValueError:
        raise MissingAuthenticationToken("Missing Authentication Token")
    if signed_at < now - MAX_SKEW:
        raise InvalidSignatureException(
            f"Signature expired: {amz_date} is now earlier than {_stamp(now - MAX_SKEW)} ({_stamp(now)} - 15 min.)"
        )
    if signed_at > now + MAX_SKEW:
        later = _stamp(now + MAX_SKEW)
        raise InvalidSignatureException(
            f"Signature not yet current: {amz_date} is still later than {later} ({_stamp(now)} + 15 min.)"
        )
