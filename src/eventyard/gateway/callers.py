"""Who is calling, from SigV4: the account (the access key), the region and the service the
credential scope names, and, with ``--auth``, proof of it (see :mod:`.sigv4`)."""

from __future__ import annotations

from urllib.parse import parse_qsl

from eventyard.gateway.http import Scope, raw_path
from eventyard.gateway.sigv4 import Authenticator, Credential, check_signature, parse_authorization, parse_presigned
from eventyard.service import DEFAULT_REGION, RequestContext


class Callers:
    """Turns a request's credentials into its :class:`RequestContext`, and names the service it was
    signed for. ``signing_names`` maps SigV4 names to ours (``states`` -> ``stepfunctions``)."""

    def __init__(self, auth: Authenticator, signing_names: dict[str, str]) -> None:
        self.auth = auth
        self.signing_names = signing_names
        self._contexts: dict[tuple[str, str], RequestContext] = {}

    def context(self, scope: Scope, headers: dict[str, str], body: bytes) -> RequestContext:
        authorization = headers.get("authorization", "")
        host = headers.get("host") or "127.0.0.1:4566"
        query_string = scope.get("query_string", b"")
        if not self.auth.verify and b"X-Amz-Credential" not in query_string:
            # SDKs sign every request anew, but the credential scope (key, date, region) repeats:
            # the context depends on nothing else, so it is built once per scope and host.
            start = authorization.find("Credential=")
            key = (authorization[start : authorization.find(",", start)] if start >= 0 else "", host)
            context = self._contexts.get(key)
            if context is None:
                if len(self._contexts) > 10_000:
                    self._contexts.clear()
                context = self._contexts[key] = self._build(scope, headers, body, "")
            return context
        return self._build(scope, headers, body, query_string.decode("latin-1"))

    def _build(self, scope: Scope, headers: dict[str, str], body: bytes, query_string: str) -> RequestContext:
        credential = _credential(scope, headers)
        check_signature(self.auth, credential, scope["method"], raw_path(scope), query_string, headers, body)
        return RequestContext(
            account=self.auth.account_for(credential.access_key) if credential else self.auth.default_account,
            region=credential.region if credential else DEFAULT_REGION,
            endpoint=f"{scope.get('scheme', 'http')}://{headers.get('host') or '127.0.0.1:4566'}",
        )

    def signed_for(self, scope: Scope, headers: dict[str, str]) -> str:
        """The service the credential scope names (``.../us-east-1/lambda/aws4_request``), as one of
        ours when it is one, or ``""`` when the request is not signed."""
        credential = _credential(scope, headers)
        if credential is None:
            return ""
        return self.signing_names.get(credential.service, credential.service)


def _credential(scope: Scope, headers: dict[str, str]) -> Credential | None:
    credential = parse_authorization(headers.get("authorization", ""))
    if credential is None:
        query_string: bytes = scope.get("query_string", b"")
        if b"X-Amz-Credential" in query_string:
            credential = parse_presigned(dict(parse_qsl(query_string.decode("latin-1"))))
    return credential
