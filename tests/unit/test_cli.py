"""The command line: version, help, and a server that starts, says what it is, and stops cleanly."""

from __future__ import annotations

import socket
import subprocess
import sys

from eventyard import __version__
from eventyard.cli import parser
from tests.harness.server import ServerProcess


def test_version_is_printed() -> None:
    result = subprocess.run([sys.executable, "-m", "eventyard.cli", "--version"], capture_output=True, text=True)
    assert result.returncode == 0
    assert result.stdout.strip() == f"eventyard {__version__}"


def test_serve_defaults_bind_loopback_on_4566() -> None:
    args = parser().parse_args(["serve"])
    assert (args.host, args.port, args.data, args.memory) == ("127.0.0.1", 4566, "./.eventyard/yard.db", False)


def test_memory_server_says_it_is_not_durable_and_stops_cleanly_on_sigterm() -> None:
    server = ServerProcess().start()
    code = server.stop()
    log = server.log.read_text()
    assert "NOT durable" in log
    assert code == 0


def test_a_taken_port_fails_clearly_before_saying_serving() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "eventyard.cli", "serve", "--memory", "--port", str(port)],
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode != 0
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr
    assert "serving" not in result.stdout


def test_log_level_info_logs_each_call_with_its_operation() -> None:
    server = ServerProcess(args=["--log-level", "info"]).start()
    try:
        server.client("sqs").list_queues()
    finally:
        server.stop()
    lines = [line for line in server.log.read_text().splitlines() if "sqs.ListQueues" in line]
    assert lines, server.log.read_text()[-2000:]
    assert "POST / sqs.ListQueues 200" in lines[-1]
