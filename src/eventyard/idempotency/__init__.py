"""Idempotency on the yard's database: Powertools' ``@idempotent`` persistence, and deduplicating consumers.

- :class:`YardPersistenceLayer` keeps Powertools for AWS Lambda's idempotency records in SQLite or
  PostgreSQL (``pip install 'eventyard[powertools]'``);
- :func:`deduplicate` makes an event consumer run once per ``detail.metadata.idempotency-key``.
"""

from eventyard.idempotency.deduplicate import DEFAULT_KEY_PATH, deduplicate
from eventyard.idempotency.persistence import YardPersistenceLayer

__all__ = ["DEFAULT_KEY_PATH", "YardPersistenceLayer", "deduplicate"]
