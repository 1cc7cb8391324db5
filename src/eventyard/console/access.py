"""Who may use the console: anyone who reaches it, or, with ``--auth FILE``, holders of a key.

Like the API the console listens on loopback by default. With ``--auth`` every console request
(the JSON endpoints and the live streams; not the static files, which hold no data) must carry an
access key of that file and its secret, in ``X-Eventyard-Access-Key`` and
``X-Eventyard-Secret-Key``; the page asks for them once and keeps them in the tab's session
storage. The caller's account is the key's account, as for a signed API call.
"""

from __future__ import annotations

import hmac

from eventyard.errors import ClientError
from eventyard.gateway.sigv4 import Authenticator

ACCESS_HEADER = "x-eventyard-access-key"
SECRET_HEADER = "x-eventyard-secret-key"


class NotAuthorized(ClientError):
    code = "UnrecognizedClientException"
    status = 401


def account_of(auth: Authenticator, headers: dict[str, str]) -> str:
    """The caller's account; :class:`NotAuthorized` when the server checks keys and these don't pass."""
    access = headers.get(ACCESS_HEADER, "")
    if not auth.verify:
        return auth.account_for(access) if access else auth.default_account
    key = auth.keys.get(access)
    secret = headers.get(SECRET_HEADER, "")
    if key is None or not hmac.compare_digest(key.secret.encode(), secret.encode()):
        raise NotAuthorized("The console needs a valid access key and secret (the server runs with --auth).")
    return key.account
