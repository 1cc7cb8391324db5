"""Store URLs for the parametrized suite: memory, SQLite, and PostgreSQL when configured.

PostgreSQL comes from ``EVENTYARD_TEST_POSTGRES`` (e.g. ``postgresql://postgres@127.0.0.1:5432/test``);
each test gets a fresh schema so runs and tests never collide. Without the variable those tests
skip, unless ``EVENTYARD_REQUIRE_POSTGRES`` is set (as CI sets it): then a missing server fails.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

POSTGRES = os.environ.get("EVENTYARD_TEST_POSTGRES")
REQUIRE_POSTGRES = bool(os.environ.get("EVENTYARD_REQUIRE_POSTGRES"))

STORES = [
    "memory",
    "sqlite",
    pytest.param("postgres", marks=pytest.mark.postgres),
]


def _drop_schema(url: str, schema: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@contextmanager
def store_url(kind: str, tmp_path: os.PathLike[str]) -> Iterator[str]:
    if kind == "memory":
        yield "memory://"
    elif kind == "sqlite":
        yield f"{os.fspath(tmp_path)}/yard.db"
    else:
        if not POSTGRES:
            if REQUIRE_POSTGRES:
                pytest.fail("EVENTYARD_REQUIRE_POSTGRES is set but EVENTYARD_TEST_POSTGRES is not")
            pytest.skip("PostgreSQL not configured (set EVENTYARD_TEST_POSTGRES)")
        schema = f"t_{uuid.uuid4().hex[:12]}"
        separator = "&" if "?" in POSTGRES else "?"
        try:
            yield f"{POSTGRES}{separator}schema={schema}"
        finally:
            _drop_schema(POSTGRES, schema)
