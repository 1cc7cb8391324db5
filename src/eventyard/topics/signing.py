"""Message signatures: the RSA key notifications are signed with, and the certificate clients verify with.

AWS signs every notification and (un)subscribe confirmation of a standard topic, and publishes the
certificate at the message's ``SigningCertURL``; clients (the AWS SDKs' message validators,
``sns-validator``...) fetch it and check ``Signature`` over the *string to sign* (AWS's
sns-verify-signature-of-message): ``Key\\nValue\\n`` for Message, MessageId, Subject (when there is
one), Timestamp, TopicArn and Type of a notification; Message, MessageId, SubscribeURL, Timestamp,
Token, TopicArn and Type of a confirmation. SignatureVersion 1 is RSA with SHA1, 2 with SHA256
(PKCS#1 v1.5), base64-encoded.

The key is made once per database, on first start, and kept there (``sns_signing_keys``): every node
signs with the same key, and a message signed before a restart still verifies after it. The server
serves the certificate at ``/_eventyard/sns/SimpleNotificationService-<key id>.pem``.

Key size: signing is on Publish's path, once per message. An RSA-2048 signature costs ~350 µs
here, RSA-1024 ~100 µs, so new databases get 1024-bit keys unless ``EVENTYARD_SNS_SIGNING_KEY_BITS``
says otherwise (2048 for AWS's size; verifiers accept either, as the certificate names the key).

Where: where the C extension ``_signer`` was built (with OpenSSL's headers, at install), threads
of its own sign (two, ``EVENTYARD_SNS_SIGNING_THREADS``), never taking the GIL, at the lowest
priority: Publish hands them each message as soon as it has one (:meth:`Signer.submit`) and takes
the signature when it lays out the envelopes, so the event loop goes on with other requests
meanwhile; a signature no thread has started by then is made on the loop, as without threads.
Elsewhere, and with ``EVENTYARD_SNS_SIGNING_THREADS=0``, the loop signs (``cryptography``);
``EVENTYARD_SNS_SIGNERS=1`` signs in a child process instead (:mod:`.signers`). All three give the
same signatures (PKCS#1 v1.5 is deterministic).
"""

from __future__ import annotations

import base64
import datetime as _dt
import logging
import os
from typing import TYPE_CHECKING, Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

from eventyard.ids import random_hex
from eventyard.topics import store
from eventyard.topics.signers import SigningProcess

if TYPE_CHECKING:
    from eventyard.yard import Yard

try:  # built at install where a C compiler and OpenSSL's headers are (setup.py); optional
    from eventyard.topics import _signer  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover - depends on the install
    _signer = None

log = logging.getLogger("eventyard.topics")
KEY_BITS = int(os.environ.get("EVENTYARD_SNS_SIGNING_KEY_BITS", "1024"))
#: Signing threads (``EVENTYARD_SNS_SIGNING_THREADS``; 0: sign on the loop). Two measured faster than
#: one beside the loop on two cores (Publish -> 1 SQS subscription, medians 5,340 against 5,005/s).
THREADS = 2
CERT_PATH = "/_eventyard/sns/"
CERT_PREFIX = "SimpleNotificationService-"
NOTIFICATION_FIELDS = ("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type")
CONFIRMATION_FIELDS = ("Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type")


def string_to_sign(message: dict[str, Any]) -> str:
    """AWS's string to sign for a notification or a (un)subscribe confirmation."""
    fields = NOTIFICATION_FIELDS if message.get("Type") == "Notification" else CONFIRMATION_FIELDS
    return "".join(f"{name}\n{message[name]}\n" for name in fields if message.get(name) is not None)


def sign_text(key: Any, text: str, version: str) -> str:
    """RSA PKCS#1 v1.5 over ``text``: SHA1 for SignatureVersion 1, SHA256 for 2; base64."""
    digest = hashes.SHA256() if version == "2" else hashes.SHA1()
    return base64.b64encode(key.sign(text.encode("utf-8"), padding.PKCS1v15(), digest)).decode("ascii")


def _new_key(now: float) -> tuple[str, str, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=KEY_BITS)
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "US"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Eventyard"),
            x509.NameAttribute(NameOID.COMMON_NAME, "sns.amazonaws.com"),
        ]
    )
    start = _dt.datetime.fromtimestamp(now, _dt.UTC) - _dt.timedelta(days=1)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + _dt.timedelta(days=3650))
        .sign(key, hashes.SHA256())
    )
    private_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    return random_hex(128), private_pem, certificate.public_bytes(serialization.Encoding.PEM).decode()


def _threads_wanted() -> int:
    given = os.environ.get("EVENTYARD_SNS_SIGNING_THREADS", str(THREADS))
    try:
        return max(0, int(given))
    except ValueError:
        log.warning("sns: EVENTYARD_SNS_SIGNING_THREADS=%r is not a number; %d signing threads", given, THREADS)
        return THREADS


class Signer:
    """Signs with the database's key; ``start`` makes the key on the first run.

    The C extension's signing threads when it was built (see the module doc), else the event loop.
    ``processes = 1`` (``EVENTYARD_SNS_SIGNERS=1``) signs in a child process instead (:mod:`.signers`):
    measured side by side, the child's hand-off cost more than the ~100 µs signature it takes off the
    loop (Publish -> 10 SQS subscriptions 1.98x ministack on the loop, 1.72x in the child;
    docs/benchmarks.md).
    """

    def __init__(self, yard: Yard) -> None:
        self.yard = yard
        self.key_id = ""
        self.processes = 0
        self._key: Any = None
        self._pem = ""
        self._child: SigningProcess | None = None
        self._threads: list[Any] = []  # the C extension's signing threads, when there are
        self._next = 0

    async def start(self) -> None:
        found = await self.yard.db.read(store.signing_key)
        if found is None:
            key_id, private_pem, certificate_pem = _new_key(self.yard.clock.now())
            now = self.yard.clock.now()

            def job(c: Any) -> tuple[str, str, str] | None:
                store.add_signing_key(c, key_id, private_pem, certificate_pem, now)
                return store.signing_key(c)

            found = await self.yard.db.write(job)
        assert found is not None
        self.key_id, self._pem, _ = found
        self._key = serialization.load_pem_private_key(self._pem.encode(), password=None)
        wanted = _threads_wanted() if not self.processes else 0
        if _signer is not None and not self._threads:
            try:
                self._threads = [_signer.Signer(self._pem.encode()) for _ in range(wanted)]
            except Exception:  # signing stays on the loop: slower, as correct
                log.warning("sns: could not start the signing threads; signing on the event loop", exc_info=True)
        if self.processes and self._child is None:
            try:
                self._child = SigningProcess(self._pem)
                await self._child.start()
            except Exception:  # signing stays on the loop: slower, as correct
                log.warning("sns: could not start the signing process; signing on the event loop", exc_info=True)
                self._child = None

    @property
    def early(self) -> bool:
        """Whether signatures are made off the loop from :meth:`submit`, so worth asking for early."""
        return bool(self._threads)

    def submit(self, message: dict[str, Any], version: str) -> Any:
        """Start signing ``message`` on a signing thread (each in turn). ``.claim()`` of what this
        returns is the signature (waiting for it, the GIL released, if the thread is at it), or None
        if the thread had not started on it: it then never will, and the caller signs (``sign``).
        None without signing threads (or should one refuse: a forked process has none)."""
        if not self._threads:
            return None
        self._next = (self._next + 1) % len(self._threads)
        try:
            return self._threads[self._next].submit(string_to_sign(message).encode("utf-8"), version == "2")
        except RuntimeError:
            return None

    async def stop(self) -> None:
        self._threads = []  # each ends once the signatures still owed are made
        if self._child is not None:
            self._child.stop()
            self._child = None

    def cert_url(self, endpoint: str) -> str:
        return f"{endpoint}{CERT_PATH}{CERT_PREFIX}{self.key_id}.pem"

    def sign(self, message: dict[str, Any], version: str) -> str:
        return sign_text(self._key, string_to_sign(message), version)

    async def sign_many(self, messages: list[dict[str, Any]], version: str) -> list[str]:
        """Signatures of several messages: in the signing process when there is one, else here."""
        child = self._child
        if child is not None and child.alive:
            try:
                return await child.sign([string_to_sign(m) for m in messages], version)
            except Exception:
                log.warning("sns: the signing process failed; signing on the event loop", exc_info=True)
                self._child = None
        return [self.sign(message, version) for message in messages]

    async def certificate(self, file_name: str) -> str | None:
        """The PEM certificate served as ``file_name`` (``SimpleNotificationService-<id>.pem``), if any."""
        key_id = file_name.removeprefix(CERT_PREFIX).removesuffix(".pem")
        if not key_id or key_id == file_name:
            return None
        return await self.yard.db.read(lambda c: store.certificate(c, key_id))
