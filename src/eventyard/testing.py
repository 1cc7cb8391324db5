"""A pytest plugin for your own tests: a yard in-process, or served on a free port for boto3.

Installed with Eventyard (the ``pytest11`` entry point), it offers two fixtures:

``yard``
    A started in-process yard (memory, a virtual clock): ``await yard.client("sqs").send_message(...)``,
    ``await yard.advance(3600)`` fires every timer that falls due (a workflow's Wait, a retry), and
    ``await yard.run_until_idle()`` lets what is due now finish. Needs pytest-asyncio (or anyio) to
    run ``async def`` tests.

``yard_server``
    A yard served over HTTP on a free port for the duration of one test, with ``AWS_ENDPOINT_URL``,
    ``AWS_DEFAULT_REGION`` and test credentials set in the environment, so the boto3 code under test
    talks to it unchanged: ``boto3.client("sqs").create_queue(QueueName="orders")``. ``.endpoint``
    is its URL and ``.client(name)`` a boto3 client; ``.yard`` is the yard itself.

Example::

    def test_order_reaches_the_queue(yard_server):
        sqs = boto3.client("sqs")
        url = sqs.create_queue(QueueName="orders")["QueueUrl"]
        place_order(...)                               # your code, which uses boto3
        assert sqs.receive_message(QueueUrl=url)["Messages"]
"""

from __future__ import annotations

import socket
import threading
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

import eventyard
from eventyard.clock import VirtualClock

#: When the virtual clock of the ``yard`` fixture starts (2026-01-01T00:00:00Z): fixed, so tests repeat.
START = 1_767_225_600.0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class ServedYard:
    """A yard served by uvicorn in a thread of this process (see the module doc)."""

    def __init__(self, url: str = "memory://", *, auth: Any = None) -> None:
        self.auth = auth  # an Authenticator: with ``verify`` set, keys are required (as ``--auth FILE``)
        self.port = _free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.url = url
        self.yard: eventyard.Yard | None = None
        self._server: Any = None
        self._gateway: Any = None
        self._thread: threading.Thread | None = None

    def start(self, timeout: float = 15.0) -> ServedYard:
        import uvicorn

        from eventyard.gateway.app import Gateway

        self.yard = eventyard.open(self.url, endpoint=self.endpoint)
        self._gateway = Gateway(self.yard, auth=self.auth)
        config = uvicorn.Config(
            self._gateway,
            host="127.0.0.1",
            port=self.port,
            lifespan="on",
            log_level="warning",
            access_log=False,
        )
        server = self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=server.run, name="eventyard-test-server", daemon=True)
        self._thread.start()
        deadline = threading.Event()
        for _ in range(int(timeout / 0.02)):
            if server.started:
                return self
            if not self._thread.is_alive():
                break
            deadline.wait(0.02)
        raise RuntimeError(f"the test server did not start on port {self.port}")

    def stop(self) -> None:
        if self._gateway is not None:
            self._gateway.stopping = True  # open live streams end, so the server need not wait for them
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=15)
            self._thread = None

    def client(self, service: str, **config: Any) -> Any:
        import boto3

        return boto3.client(
            service,
            endpoint_url=self.endpoint,
            region_name="us-east-1",
            aws_access_key_id="test",
            aws_secret_access_key="test",
            **config,
        )


def _async_fixture(function: Any) -> Any:
    try:
        import pytest_asyncio
    except ImportError:  # without pytest-asyncio the fixture still exists, and says what it needs
        return pytest.fixture(function)
    return pytest_asyncio.fixture(function)


@_async_fixture
async def yard() -> AsyncIterator[eventyard.Yard]:
    """An in-process yard in memory, on a virtual clock starting at 2026-01-01T00:00:00Z."""
    async with eventyard.open("memory://", clock=VirtualClock(start=START)) as opened:
        yield opened


@pytest.fixture
def yard_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[ServedYard]:
    """A yard served on a free port, with the environment pointing boto3 at it."""
    served = ServedYard().start()
    for name, value in {
        "AWS_ENDPOINT_URL": served.endpoint,
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    try:
        yield served
    finally:
        served.stop()


__all__ = ["START", "ServedYard", "yard", "yard_server"]
