""":class:`YardPersistenceLayer`: Powertools' ``@idempotent`` records on the yard's SQLite or PostgreSQL.

Powertools for AWS Lambda keeps idempotency records through a persistence layer (DynamoDB, Redis);
this one keeps them in the ``idempotency_records`` table (see :mod:`.store`) of the database at
``url``, the same URL ``eventyard.open`` takes. It keeps Powertools' contract as its DynamoDB layer
does:

- ``_put_record`` writes an INPROGRESS record only where no record that still counts holds the key
  (one conditional statement), else raises ``IdempotencyItemAlreadyExistsError`` carrying the
  record found (after payload validation, which raises ``IdempotencyValidationError``);
- a record stops counting at its ``expiry``, and an INPROGRESS one also at its
  ``in_progress_expiry_timestamp`` (the Lambda context's remaining time: a call that died or timed
  out gives the key up);
- ``_get_record`` raises ``IdempotencyItemNotFoundError`` for a key without a record.

Powertools calls the layer synchronously, from the handler's thread; the layer opens its own
:class:`~eventyard.storage.base.Database` on first use (applying its migration) and waits for each
statement there. Time is wall time, as Powertools computes every expiry from ``datetime.now()``.
A ``memory://`` URL is a database of this layer's own, not the yard's.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import threading
from collections.abc import Callable
from typing import Any, TypeVar

try:
    from aws_lambda_powertools.utilities.idempotency.exceptions import (
        IdempotencyItemAlreadyExistsError,
        IdempotencyItemNotFoundError,
    )
    from aws_lambda_powertools.utilities.idempotency.persistence.base import BasePersistenceLayer
    from aws_lambda_powertools.utilities.idempotency.persistence.datarecord import DataRecord
except ImportError as error:  # pragma: no cover - depends on the install
    raise ImportError("eventyard.idempotency needs Powertools: pip install 'eventyard[powertools]'") from error

from eventyard.idempotency import store
from eventyard.storage import Database, open_database

T = TypeVar("T")


class YardPersistenceLayer(BasePersistenceLayer):
    """Idempotency records for ``@idempotent`` / ``@idempotent_function`` in the database at ``url``.

    >>> persistence = YardPersistenceLayer("sqlite:///yard.db")
    >>> @idempotent(persistence_store=persistence)
    ... def handler(event, context): ...
    """

    def __init__(self, url: str) -> None:
        super().__init__()
        self.url = url
        self._db: Database | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._opening = threading.Lock()

    # --- the database, opened on first use ------------------------------------------------------

    def _run(self, job: Callable[[Any], T]) -> T:
        db, loop = self._open()
        return asyncio.run_coroutine_threadsafe(db.write(job), loop).result()

    def _open(self) -> tuple[Database, asyncio.AbstractEventLoop]:
        with self._opening:
            if self._db is None or self._loop is None:
                db = open_database(self.url)
                db.start(store.MIGRATIONS)
                loop = asyncio.new_event_loop()
                thread = threading.Thread(target=loop.run_forever, name="eventyard-idempotency", daemon=True)
                thread.start()
                self._db, self._loop, self._thread = db, loop, thread
            return self._db, self._loop

    def connect(self) -> None:
        """Open the database now (a handler module may do so at import, during Lambda's init phase)."""
        self._open()

    def close(self) -> None:
        """Close the database (it opens again on next use)."""
        with self._opening:
            db, loop, thread = self._db, self._loop, self._thread
            self._db, self._loop, self._thread = None, None, None
        if db is not None:
            db.stop()
        if loop is not None and thread is not None:
            loop.call_soon_threadsafe(loop.stop)
            thread.join()
            loop.close()

    # --- Powertools' contract -------------------------------------------------------------------

    def _get_record(self, idempotency_key: str) -> DataRecord:
        row = self._run(lambda c: store.get(c, idempotency_key))
        if row is None:
            raise IdempotencyItemNotFoundError
        return _record(row)

    def _put_record(self, data_record: DataRecord) -> None:
        now = dt.datetime.now().timestamp()
        row = store.Row(
            data_record.idempotency_key,
            data_record.status,
            data_record.expiry_timestamp,
            data_record.in_progress_expiry_timestamp,
            data_record.payload_hash if self.payload_validation_enabled else "",
            "",
        )
        held = self._run(lambda c: store.claim(c, row, int(now), int(now * 1000)))
        if held is None:
            return
        existing = _record(held)
        self._validate_payload(data_payload=data_record, stored_data_record=existing)  # IdempotencyValidationError
        self._save_to_cache(data_record=existing)
        raise IdempotencyItemAlreadyExistsError(old_data_record=existing)

    def _update_record(self, data_record: DataRecord) -> None:
        payload_hash = data_record.payload_hash if self.payload_validation_enabled else None
        self._run(
            lambda c: store.complete(
                c,
                data_record.idempotency_key,
                data_record.status,
                data_record.expiry_timestamp,
                data_record.response_data,
                payload_hash,
            )
        )

    def _delete_record(self, data_record: DataRecord) -> None:
        self._run(lambda c: store.delete(c, data_record.idempotency_key))


def _record(row: store.Row) -> DataRecord:
    return DataRecord(
        idempotency_key=row.idempotency_key,
        status=row.status,
        expiry_timestamp=row.expiry,
        in_progress_expiry_timestamp=row.in_progress_expiry,
        response_data=row.response_data,
        payload_hash=row.payload_hash,
    )
