"""Serving a yard over HTTP: uvicorn (uvloop + httptools) around the gateway, clean shutdown on signals."""

from __future__ import annotations

import contextlib
import gc
import importlib
import json
import logging
import os
import signal
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import uvicorn

from eventyard.clock import VirtualClock
from eventyard.gateway.app import Gateway
from eventyard.gateway.h2c import Http1Or2
from eventyard.gateway.sigv4 import Authenticator, Key
from eventyard.yard import Yard

log = logging.getLogger("eventyard")


@dataclass
class ServerOptions:
    host: str = "127.0.0.1"
    port: int = 4566
    data: str = "./.eventyard/yard.db"
    memory: bool = False
    virtual_clock: bool = False
    app: str | None = None
    auth: str | None = None
    log_level: str = "warning"


def load_auth(path: str | None) -> Authenticator:
    """``--auth FILE``: ``{"ACCESSKEY": {"secret": "...", "account": "123456789012"}}``; keys required."""
    if path is None:
        return Authenticator()
    entries = json.loads(Path(path).read_text())
    keys = {access: Key(secret=v["secret"], account=v.get("account", "000000000000")) for access, v in entries.items()}
    return Authenticator(keys=keys, verify=True)


def load_app(spec: str, yard: Yard) -> Any:
    """``--app mypkg.app`` or ``--app mypkg.app:setup``: import the application module, then call the
    object named after the colon (default: the module's ``app``, when it has a callable one) with
    the yard, to register functions and resources. Functions decorated with
    ``eventyard.functions.function`` register themselves when the module is imported."""
    module_name, colon, attribute = spec.partition(":")
    target: Any = importlib.import_module(module_name)
    if not colon and not callable(getattr(target, "app", None)):
        return target
    for part in (attribute or "app").split("."):
        target = getattr(target, part)
    if callable(target):
        target(yard)
    return target


def build(options: ServerOptions) -> Gateway:
    url = "memory://" if options.memory else options.data
    clock = VirtualClock() if options.virtual_clock else None
    endpoint = f"http://{options.host}:{options.port}"
    yard = Yard(url, clock=clock, endpoint=endpoint)
    topics = yard.services.get("sns")
    if topics is not None:  # EVENTYARD_SNS_SIGNERS=1 signs in a child process (default: on the loop, faster)
        topics.signer.processes = int(os.environ.get("EVENTYARD_SNS_SIGNERS", "0"))  # type: ignore[attr-defined]
    if options.app:
        load_app(options.app, yard)
    return Gateway(yard, auth=load_auth(options.auth))


class _Server(uvicorn.Server):
    """uvicorn re-raises SIGTERM after its graceful shutdown (exit status -15); a clean stop exits 0.
    A signal also tells the gateway it is stopping, so that open live streams end and let it."""

    def __init__(self, config: uvicorn.Config, gateway: Gateway) -> None:
        super().__init__(config)
        self.gateway = gateway

    def handle_exit(self, sig: int, frame: Any) -> None:
        self.gateway.stopping = True
        super().handle_exit(sig, frame)

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        previous = {sig: signal.signal(sig, self.handle_exit) for sig in (signal.SIGTERM, signal.SIGINT)}
        try:
            yield
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)


def listen(host: str, port: int) -> socket.socket:
    """The listening socket, bound before anything says "serving": a taken port fails here, clearly."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as error:
        sock.close()
        raise SystemExit(f"eventyard: cannot listen on {host}:{port}: {error.strerror or error}") from None
    return sock


def serve(options: ServerOptions) -> None:
    logging.basicConfig(level=options.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    sock = listen(options.host, options.port)
    gateway = build(options)
    where = "memory (NOT durable: everything is lost when the server stops)" if options.memory else options.data
    services = ",".join(sorted(gateway.yard.services))
    print(f"eventyard serving http://{options.host}:{options.port} services={services} data={where}", flush=True)
    config = uvicorn.Config(
        gateway,
        host=options.host,
        port=options.port,
        loop="uvloop",
        http=Http1Or2,  # httptools, and HTTP/2 for the clients that open with its preface
        lifespan="on",
        log_level=options.log_level,
        access_log=False,  # the gateway logs each call at INFO, with its operation (see gateway/app.py)
        server_header=False,
        date_header=False,
        timeout_keep_alive=60,
        backlog=2048,
        proxy_headers=False,  # no X-Forwarded-* rewriting: one middleware less on every request
    )
    tune_garbage_collector()
    server = _Server(config, gateway)
    server.run(sockets=[sock])
    if not server.started:
        raise SystemExit("eventyard: the server did not start (see the log above)")


#: The cyclic collector's first threshold while serving (Python's default: 700 allocations).
GC_THRESHOLD = 50_000


def tune_garbage_collector() -> None:
    """Collect cycles less often while serving: every request, event and execution step allocates
    hundreds of short-lived objects, and with thousands of requests in flight the default threshold
    makes young collections (and the older ones they trigger) a large share of the event loop's
    time (measured: +36% Standard executions/s in-process). What the start-up loaded (models, code)
    is frozen out of the collector's scans. Memory bound: at most this many objects await a
    collection."""
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(GC_THRESHOLD, middle, old)
