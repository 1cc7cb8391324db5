"""Signing in a child process: notifications are signed off the event loop.

An RSA signature takes ~100 µs with the default 1024-bit key (~350 µs with 2048 bits), once per
published message, so on the loop it takes a share of every Publish. (cryptography 50 releases the
GIL while it signs, so threads would do too; they measured no faster than this child, 2026-12-02.)
The server therefore hands the strings to sign to one child process over a pipe, in batches (all
that one turn of the loop asked for), and reads the signatures back when the pipe is readable: the
loop never blocks on it, and the other core signs.

The child holds only the private key. It ends when the pipe closes, so a server killed with
``kill -9`` leaves no signer behind; should the child die, the caller signs on the loop again.
"""

from __future__ import annotations

import asyncio
import multiprocessing
from typing import Any

import orjson

MAX_BATCH = 200


def _serve(connection: Any, private_pem: str) -> None:
    """The child: sign each batch it is sent, until the parent goes away."""
    from cryptography.hazmat.primitives import serialization

    from eventyard.topics.signing import sign_text

    key = serialization.load_pem_private_key(private_pem.encode(), password=None)
    while True:
        try:
            batch = orjson.loads(connection.recv_bytes())
        except (EOFError, OSError):
            return
        connection.send_bytes(orjson.dumps([[n, sign_text(key, text, version)] for n, text, version in batch]))


class SigningProcess:
    """One signing child and the signatures it owes (by request number)."""

    def __init__(self, private_pem: str) -> None:
        self._pem = private_pem
        self._pending: list[list[Any]] = []
        self._waiting: dict[int, asyncio.Future[str]] = {}
        self._number = 0
        self._scheduled = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._connection: Any = None
        self._process: Any = None
        self.alive = False

    async def start(self) -> None:
        context = multiprocessing.get_context("spawn")
        ours, theirs = context.Pipe()
        self._process = context.Process(target=_serve, args=(theirs, self._pem), daemon=True, name="eventyard-signer")
        await asyncio.to_thread(self._process.start)
        theirs.close()
        self._connection = ours
        self._loop = asyncio.get_running_loop()
        self._loop.add_reader(ours.fileno(), self._readable)
        self.alive = True

    async def sign(self, texts: list[str], version: str) -> list[str]:
        assert self._loop is not None
        futures = []
        for text in texts:
            self._number += 1
            future: asyncio.Future[str] = self._loop.create_future()
            self._waiting[self._number] = future
            self._pending.append([self._number, text, version])
            futures.append(future)
        if not self._scheduled:
            self._scheduled = True
            self._loop.call_soon(self._send)
        return list(await asyncio.gather(*futures))

    def _send(self) -> None:
        self._scheduled = False
        pending, self._pending = self._pending, []
        try:
            for start in range(0, len(pending), MAX_BATCH):
                self._connection.send_bytes(orjson.dumps(pending[start : start + MAX_BATCH]))
        except (OSError, ValueError) as error:
            self._fail(error)

    def _readable(self) -> None:
        try:
            answers = orjson.loads(self._connection.recv_bytes())
        except (EOFError, OSError) as error:
            self._fail(error)
            return
        for number, signature in answers:
            future = self._waiting.pop(number, None)
            if future is not None and not future.done():
                future.set_result(signature)

    def _fail(self, error: Exception) -> None:
        self.alive = False
        if self._loop is not None and self._connection is not None:
            self._loop.remove_reader(self._connection.fileno())
        waiting, self._waiting = self._waiting, {}
        for future in waiting.values():
            if not future.done():
                future.set_exception(RuntimeError(f"the signing process is gone: {error}"))

    def stop(self) -> None:
        if self._connection is not None:
            if self.alive and self._loop is not None:
                self._loop.remove_reader(self._connection.fileno())
            self.alive = False
            self._connection.close()
            self._connection = None
        if self._process is not None:
            self._process.join(timeout=2)
            if self._process.is_alive():
                self._process.terminate()
            self._process = None
