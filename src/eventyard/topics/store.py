"""SNS's storage: topics, subscriptions, the signing keys and FIFO deduplication. All its SQL is here.

Tables (one text for SQLite and PostgreSQL):

``sns_topics``         one row per topic: FIFO or not, its attributes as set (JSON), its tags in the
                       order given (JSON pairs), its data protection policy.
``sns_subscriptions``  one row per subscription: protocol, endpoint, attributes as set (JSON),
                       ``pending`` until confirmed, and the confirmation ``token``.
  ``sns_subscriptions_topic`` (topic_arn, arn): ListSubscriptionsByTopic's pages and a topic's fan-out.
  ``sns_subscriptions_owner`` (account, region, arn): ListSubscriptions' pages.
  ``sns_subscriptions_endpoint`` (topic_arn, protocol, endpoint): Subscribe is idempotent per endpoint.
  ``sns_subscriptions_token`` (token): ConfirmSubscription finds the subscription by its token.
``sns_signing_keys``   the RSA keys notifications are signed with, and their certificates (PEM):
                       kept so a signature stays verifiable across restarts and by every node.
``sns_dedup``          FIFO topics' deduplication ids within their five-minute window, with the
                       message id and sequence number the first publish was given.
  ``sns_dedup_expiry`` (expires_at): the sweep that forgets expired ids.

Deliveries are kernel timers (``delivery.py``), written in the publishing transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson

from eventyard.storage.base import Migration

_SCHEMA = """
CREATE TABLE sns_topics (
    account TEXT NOT NULL, region TEXT NOT NULL, name TEXT NOT NULL, fifo INTEGER NOT NULL,
    attributes TEXT NOT NULL, tags TEXT NOT NULL, data_protection TEXT, created_at DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (account, region, name));
CREATE TABLE sns_subscriptions (
    arn TEXT PRIMARY KEY, topic_arn TEXT NOT NULL, account TEXT NOT NULL, region TEXT NOT NULL,
    protocol TEXT NOT NULL, endpoint TEXT NOT NULL, owner TEXT NOT NULL, attributes TEXT NOT NULL,
    pending INTEGER NOT NULL, token TEXT, created_at DOUBLE PRECISION NOT NULL);
CREATE INDEX sns_subscriptions_topic ON sns_subscriptions (topic_arn, arn);
CREATE INDEX sns_subscriptions_owner ON sns_subscriptions (account, region, arn);
CREATE INDEX sns_subscriptions_endpoint ON sns_subscriptions (topic_arn, protocol, endpoint);
CREATE INDEX sns_subscriptions_token ON sns_subscriptions (token);
CREATE TABLE sns_signing_keys (
    id TEXT PRIMARY KEY, private_key TEXT NOT NULL, certificate TEXT NOT NULL, created_at DOUBLE PRECISION NOT NULL);
CREATE TABLE sns_dedup (
    topic_arn TEXT NOT NULL, dedup_id TEXT NOT NULL, message_id TEXT NOT NULL, sequence_number TEXT,
    expires_at DOUBLE PRECISION NOT NULL, PRIMARY KEY (topic_arn, dedup_id));
CREATE INDEX sns_dedup_expiry ON sns_dedup (expires_at)
"""

MIGRATIONS = [Migration("topics", 1, "topics, subscriptions, signing keys, FIFO deduplication", _SCHEMA, _SCHEMA)]


def _json(value: Any) -> str:
    return orjson.dumps(value).decode()


@dataclass
class Topic:
    account: str
    region: str
    name: str
    fifo: bool
    attributes: dict[str, str]
    tags: list[list[str]]
    data_protection: str | None = None

    @property
    def arn(self) -> str:
        return f"arn:aws:sns:{self.region}:{self.account}:{self.name}"


@dataclass
class Subscription:
    arn: str
    topic_arn: str
    account: str
    region: str
    protocol: str
    endpoint: str
    owner: str
    attributes: dict[str, str] = field(default_factory=dict)
    pending: bool = False
    token: str | None = None
    created_at: float = 0.0


_TOPIC = "SELECT account, region, name, fifo, attributes, tags, data_protection FROM sns_topics"
_SUBSCRIPTION = (
    "SELECT arn, topic_arn, account, region, protocol, endpoint, owner, attributes, pending, token, created_at"
    " FROM sns_subscriptions"
)


def _topic(row: Any) -> Topic:
    return Topic(row[0], row[1], row[2], bool(row[3]), orjson.loads(row[4]), orjson.loads(row[5]), row[6])


def _subscription(row: Any) -> Subscription:
    return Subscription(
        row[0], row[1], row[2], row[3], row[4], row[5], row[6], orjson.loads(row[7]), bool(row[8]), row[9], row[10]
    )


# --- topics (inside db jobs) ----------------------------------------------------------------------


def get_topic(c: Any, account: str, region: str, name: str, *, for_update: bool = False) -> Topic | None:
    """A topic; ``for_update`` locks its row on PostgreSQL so a read-modify-write from another node waits."""
    row = c.execute(
        _TOPIC + " WHERE account = ? AND region = ? AND name = ?" + (c.for_update if for_update else ""),
        (account, region, name),
    ).fetchone()
    return _topic(row) if row else None


def insert_topic(c: Any, topic: Topic, now: float) -> bool:
    """Insert unless a topic of that name exists; True when inserted."""
    cursor = c.execute(
        "INSERT INTO sns_topics (account, region, name, fifo, attributes, tags, data_protection, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (account, region, name) DO NOTHING",
        (topic.account, topic.region, topic.name, int(topic.fifo), _json(topic.attributes), _json(topic.tags),
         topic.data_protection, now),
    )  # fmt: skip
    return bool(cursor.rowcount)


def update_topic(c: Any, topic: Topic) -> None:
    c.execute(
        "UPDATE sns_topics SET attributes = ?, tags = ?, data_protection = ?"
        " WHERE account = ? AND region = ? AND name = ?",
        (_json(topic.attributes), _json(topic.tags), topic.data_protection, topic.account, topic.region, topic.name),
    )


def delete_topic(c: Any, account: str, region: str, name: str, arn: str) -> list[str]:
    """Delete a topic and its subscriptions; returns the subscriptions' ARNs."""
    gone = [row[0] for row in c.execute("SELECT arn FROM sns_subscriptions WHERE topic_arn = ?", (arn,)).fetchall()]
    c.execute("DELETE FROM sns_subscriptions WHERE topic_arn = ?", (arn,))
    c.execute("DELETE FROM sns_dedup WHERE topic_arn = ?", (arn,))
    c.execute("DELETE FROM sns_topics WHERE account = ? AND region = ? AND name = ?", (account, region, name))
    return gone


def page_topics(c: Any, account: str, region: str, after: str, limit: int) -> list[str]:
    """Topic names after ``after`` in name order, at most ``limit``."""
    rows = c.execute(
        "SELECT name FROM sns_topics WHERE account = ? AND region = ? AND name > ? ORDER BY name LIMIT ?",
        (account, region, after, limit),
    ).fetchall()
    return [row[0] for row in rows]


def subscription_counts(c: Any, topic_arn: str) -> tuple[int, int]:
    """(confirmed, pending) subscriptions of a topic."""
    rows = c.execute(
        "SELECT pending, COUNT(*) FROM sns_subscriptions WHERE topic_arn = ? GROUP BY pending", (topic_arn,)
    ).fetchall()
    counts = {bool(row[0]): int(row[1]) for row in rows}
    return counts.get(False, 0), counts.get(True, 0)


# --- subscriptions ------------------------------------------------------------------------------------


def get_subscription(c: Any, arn: str) -> Subscription | None:
    row = c.execute(_SUBSCRIPTION + " WHERE arn = ?", (arn,)).fetchone()
    return _subscription(row) if row else None


def find_subscription(c: Any, topic_arn: str, protocol: str, endpoint: str) -> Subscription | None:
    row = c.execute(
        _SUBSCRIPTION + " WHERE topic_arn = ? AND protocol = ? AND endpoint = ?", (topic_arn, protocol, endpoint)
    ).fetchone()
    return _subscription(row) if row else None


def by_token(c: Any, account: str, region: str, token: str) -> Subscription | None:
    """The subscription a confirmation token was sent for, in that account and region (whatever topic
    the confirming call names: SNS confirms by the token)."""
    row = c.execute(
        _SUBSCRIPTION + " WHERE token = ? AND account = ? AND region = ?", (token, account, region)
    ).fetchone()
    return _subscription(row) if row else None


def insert_subscription(c: Any, sub: Subscription) -> None:
    c.execute(
        "INSERT INTO sns_subscriptions (arn, topic_arn, account, region, protocol, endpoint, owner, attributes,"
        " pending, token, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (sub.arn, sub.topic_arn, sub.account, sub.region, sub.protocol, sub.endpoint, sub.owner,
         _json(sub.attributes), int(sub.pending), sub.token, sub.created_at),
    )  # fmt: skip


def update_subscription(c: Any, sub: Subscription) -> None:
    c.execute(
        "UPDATE sns_subscriptions SET attributes = ?, pending = ?, token = ? WHERE arn = ?",
        (_json(sub.attributes), int(sub.pending), sub.token, sub.arn),
    )


def delete_subscription(c: Any, arn: str) -> bool:
    return bool(c.execute("DELETE FROM sns_subscriptions WHERE arn = ?", (arn,)).rowcount)


def subscriptions_of(c: Any, topic_arn: str) -> list[Subscription]:
    """Every subscription of a topic (the fan-out cache is built from this)."""
    return [_subscription(r) for r in c.execute(_SUBSCRIPTION + " WHERE topic_arn = ? ORDER BY arn", (topic_arn,))]


def page_subscriptions(
    c: Any, *, topic_arn: str | None, account: str, region: str, after: str, limit: int
) -> list[Subscription]:
    """A page of subscriptions in ARN order: of one topic, or of the caller's namespace."""
    if topic_arn is not None:
        rows = c.execute(
            _SUBSCRIPTION + " WHERE topic_arn = ? AND arn > ? ORDER BY arn LIMIT ?", (topic_arn, after, limit)
        ).fetchall()
    else:
        rows = c.execute(
            _SUBSCRIPTION + " WHERE account = ? AND region = ? AND arn > ? ORDER BY arn LIMIT ?",
            (account, region, after, limit),
        ).fetchall()
    return [_subscription(row) for row in rows]


# --- signing keys ---------------------------------------------------------------------------------------


def signing_key(c: Any) -> tuple[str, str, str] | None:
    """The newest signing key: (id, private key PEM, certificate PEM)."""
    row = c.execute(
        "SELECT id, private_key, certificate FROM sns_signing_keys ORDER BY created_at DESC, id LIMIT 1"
    ).fetchone()
    return (row[0], row[1], row[2]) if row else None


def certificate(c: Any, key_id: str) -> str | None:
    row = c.execute("SELECT certificate FROM sns_signing_keys WHERE id = ?", (key_id,)).fetchone()
    return str(row[0]) if row else None


def add_signing_key(c: Any, key_id: str, private_key: str, certificate_pem: str, now: float) -> None:
    """Keep a new key unless another node stored one first (the newest one wins for everyone)."""
    if signing_key(c) is None:
        c.execute(
            "INSERT INTO sns_signing_keys (id, private_key, certificate, created_at) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (id) DO NOTHING",
            (key_id, private_key, certificate_pem, now),
        )


# --- FIFO deduplication -----------------------------------------------------------------------------


def claim_dedup(
    c: Any, topic_arn: str, dedup_id: str, message_id: str, sequence: str | None, now: float, expires: float
) -> tuple[str, str | None] | None:
    """Take ``dedup_id`` for a new message; or, when it was taken within its window, the
    (message id, sequence number) of the message that took it (the new one is a duplicate)."""
    row = c.execute(
        "SELECT message_id, sequence_number, expires_at FROM sns_dedup WHERE topic_arn = ? AND dedup_id = ?"
        + c.for_update,
        (topic_arn, dedup_id),
    ).fetchone()
    if row is not None and float(row[2]) > now:
        return str(row[0]), row[1]
    c.execute(
        "INSERT INTO sns_dedup (topic_arn, dedup_id, message_id, sequence_number, expires_at) VALUES (?, ?, ?, ?, ?)"
        " ON CONFLICT (topic_arn, dedup_id) DO UPDATE SET message_id = excluded.message_id,"
        " sequence_number = excluded.sequence_number, expires_at = excluded.expires_at",
        (topic_arn, dedup_id, message_id, sequence, expires),
    )
    return None


def sweep_dedup(c: Any, now: float, limit: int = 10_000) -> int:
    rows = c.execute("SELECT topic_arn, dedup_id FROM sns_dedup WHERE expires_at <= ? LIMIT ?", (now, limit)).fetchall()
    keys: Sequence[tuple[str, str]] = [(row[0], row[1]) for row in rows]
    if keys:
        c.executemany("DELETE FROM sns_dedup WHERE topic_arn = ? AND dedup_id = ?", keys)
    return len(keys)
