"""Deployment packages: a zip checked and hashed as Lambda hashes it, and unpacked once into a cache.

The zip bytes are durable in the store (``lambda_code``); the unpacked tree is only a cache, under
``<data dir>/functions/<sha>`` beside a SQLite file, or a temporary directory of the yard for
``memory://`` and PostgreSQL (any node unpacks from the database on first use). A tree is written
into a fresh directory and renamed into place, so a half-unpacked tree is never used.
"""

from __future__ import annotations

import base64
import hashlib
import io
import os
import shutil
import tempfile
import zipfile
from pathlib import Path

from eventyard.functions.errors import NOT_A_ZIP, InvalidParameterValue

#: AWS's limits (AWS-recorded messages).
MAX_ZIPPED = 52_428_800
MAX_UNZIPPED = 262_144_000


def check_zip(archive: bytes) -> None:
    """Refuse what Lambda refuses: not a zip, too big zipped or unzipped."""
    if len(archive) > MAX_ZIPPED:
        raise InvalidParameterValue(f"Zipped size must be smaller than {MAX_ZIPPED} bytes")
    try:
        with zipfile.ZipFile(io.BytesIO(archive)) as opened:
            unzipped = sum(info.file_size for info in opened.infolist())
    except (zipfile.BadZipFile, ValueError, OSError):
        raise InvalidParameterValue(NOT_A_ZIP)
    if unzipped > MAX_UNZIPPED:
        raise InvalidParameterValue(f"Unzipped size must be smaller than {MAX_UNZIPPED} bytes")


def code_sha256(archive: bytes) -> str:
    """CodeSha256 as AWS reports it: the base64 of the archive's SHA-256."""
    return base64.b64encode(hashlib.sha256(archive).digest()).decode("ascii")


def _folder_name(sha: str) -> str:
    return base64.urlsafe_b64decode(sha.encode()).hex()


class CodeCache:
    """Where unpacked packages live for one yard."""

    def __init__(self, url: str) -> None:
        self._root: Path | None = None
        self._temporary: str | None = None
        path = url[len("sqlite:///") :] if url.startswith("sqlite:///") else url
        if "://" not in url and path not in (":memory:",):
            self._root = Path(path).resolve().parent / "functions"

    @property
    def root(self) -> Path:
        if self._root is None:
            self._temporary = tempfile.mkdtemp(prefix="eventyard-functions-")
            self._root = Path(self._temporary)
        return self._root

    def path_of(self, sha: str) -> Path | None:
        """The unpacked tree of ``sha`` if it is there already."""
        found = self.root / _folder_name(sha)
        return found if found.is_dir() else None

    def unpack(self, sha: str, archive: bytes) -> Path:
        """Unpack ``archive`` (once) and return its directory."""
        target = self.root / _folder_name(sha)
        if target.is_dir():
            return target
        self.root.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".unpack-", dir=self.root))
        with zipfile.ZipFile(io.BytesIO(archive)) as opened:
            opened.extractall(staging)
        try:
            os.rename(staging, target)
        except OSError:  # another unpack won the race: use its tree
            shutil.rmtree(staging, ignore_errors=True)
        return target

    def close(self) -> None:
        if self._temporary is not None:
            shutil.rmtree(self._temporary, ignore_errors=True)
            self._temporary = None
            self._root = None
