"""SigV4: the access key picks the account, the scope picks the region, and --auth verifies signatures."""

from __future__ import annotations

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from eventyard.errors import InvalidSignatureException, MissingAuthenticationToken, UnrecognizedClientException
from eventyard.gateway.sigv4 import Authenticator, Key, check_signature, parse_authorization


def signed(access_key: str, secret: str, body: bytes = b'{"QueueName": "q"}', region: str = "eu-west-1"):
    request = AWSRequest(
        method="POST",
        url="http://127.0.0.1:4566/",
        data=body,
        headers={"X-Amz-Target": "AmazonSQS.GetQueueUrl", "Content-Type": "application/x-amz-json-1.0"},
    )
    SigV4Auth(Credentials(access_key, secret), "sqs", region).add_auth(request)
    headers = {k.lower(): v for k, v in request.headers.items()}
    headers["host"] = "127.0.0.1:4566"
    return headers, body


def test_credential_scope_gives_access_key_and_region() -> None:
    headers, _ = signed("AKIDEXAMPLE", "secret")
    credential = parse_authorization(headers["authorization"])
    assert credential is not None
    assert (credential.access_key, credential.region, credential.service) == ("AKIDEXAMPLE", "eu-west-1", "sqs")


def test_access_key_picks_the_account() -> None:
    auth = Authenticator(keys={"AKIDTEAM": Key("s", "111122223333")})
    assert auth.account_for("AKIDTEAM") == "111122223333"
    assert auth.account_for("444455556666") == "444455556666"  # a 12-digit key is an account id
    assert auth.account_for("test") == "000000000000"


def test_a_correct_signature_passes_verification() -> None:
    auth = Authenticator(keys={"AKIDTEAM": Key("topsecret", "111122223333")}, verify=True)
    headers, body = signed("AKIDTEAM", "topsecret")
    check_signature(auth, parse_authorization(headers["authorization"]), "POST", "/", "", headers, body)


def test_a_tampered_body_fails_verification() -> None:
    auth = Authenticator(keys={"AKIDTEAM": Key("topsecret")}, verify=True)
    headers, _ = signed("AKIDTEAM", "topsecret")
    with pytest.raises(InvalidSignatureException):
        check_signature(auth, parse_authorization(headers["authorization"]), "POST", "/", "", headers, b"{}")


def test_a_wrong_secret_fails_verification() -> None:
    auth = Authenticator(keys={"AKIDTEAM": Key("topsecret")}, verify=True)
    headers, body = signed("AKIDTEAM", "guess")
    with pytest.raises(InvalidSignatureException) as caught:
        check_signature(auth, parse_authorization(headers["authorization"]), "POST", "/", "", headers, body)
    assert caught.value.status == 403


def test_unknown_keys_and_unsigned_requests_are_refused_when_verifying() -> None:
    auth = Authenticator(keys={"AKIDTEAM": Key("topsecret")}, verify=True)
    headers, body = signed("AKIDOTHER", "x")
    with pytest.raises(UnrecognizedClientException):
        check_signature(auth, parse_authorization(headers["authorization"]), "POST", "/", "", headers, body)
    with pytest.raises(MissingAuthenticationToken):
        check_signature(auth, None, "POST", "/", "", {}, b"")


def test_without_verification_anything_goes() -> None:
    check_signature(Authenticator(), None, "POST", "/", "", {}, b"")


def test_a_signature_older_than_fifteen_minutes_has_expired() -> None:
    auth = Authenticator(keys={"AKIDTEAM": Key("topsecret")}, verify=True)
    headers, body = signed("AKIDTEAM", "topsecret")
    credential = parse_authorization(headers["authorization"])
    import calendar
    import time

    signed_at = calendar.timegm(time.strptime(headers["x-amz-date"], "%Y%m%dT%H%M%SZ"))
    check_signature(auth, credential, "POST", "/", "", headers, body, now=signed_at + 14 * 60)
    with pytest.raises(InvalidSignatureException) as caught:
        check_signature(auth, credential, "POST", "/", "", headers, body, now=signed_at + 16 * 60)
    assert caught.value.message.startswith(f"Signature expired: {headers['x-amz-date']} is now earlier than ")


def test_a_declared_payload_hash_must_match_the_body() -> None:
    auth = Authenticator(keys={"AKIDTEAM": Key("topsecret")}, verify=True)
    headers, body = signed("AKIDTEAM", "topsecret")
    headers["x-amz-content-sha256"] = "0" * 64
    with pytest.raises(InvalidSignatureException):
        check_signature(auth, parse_authorization(headers["authorization"]), "POST", "/", "", headers, body)


def test_a_presigned_url_verifies_with_its_query_date() -> None:
    from urllib.parse import urlsplit

    from botocore.auth import SigV4QueryAuth

    from eventyard.gateway.sigv4 import parse_presigned

    request = AWSRequest(method="GET", url="http://127.0.0.1:4566/?Action=ListQueues", headers={})
    SigV4QueryAuth(Credentials("AKIDTEAM", "topsecret"), "sqs", "us-east-1", expires=300).add_auth(request)
    parts = urlsplit(request.url)
    from urllib.parse import parse_qsl

    query = dict(parse_qsl(parts.query))
    auth = Authenticator(keys={"AKIDTEAM": Key("topsecret")}, verify=True)
    check_signature(auth, parse_presigned(query), "GET", "/", parts.query, {"host": "127.0.0.1:4566"}, b"")
