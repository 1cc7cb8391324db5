"""Eventyard's own endpoints: health, Prometheus metrics, and the virtual clock."""

from __future__ import annotations

import json
import urllib.request

import pytest

from tests.gateway.raw import post
from tests.harness.server import ServerProcess


def get(url: str) -> tuple[int, bytes]:
    with urllib.request.urlopen(url, timeout=5) as response:
        return response.status, response.read()


def test_health_reports_ready_and_durability(server: ServerProcess) -> None:
    status, body = get(f"{server.endpoint}/_eventyard/health")
    health = json.loads(body)
    assert status == 200
    assert health["status"] == "ready"
    assert health["durable"] is True


def test_metrics_count_requests_by_operation(server: ServerProcess) -> None:
    post(
        server.endpoint, b"{}", {"X-Amz-Target": "AWSEvents.DescribeRule", "Content-Type": "application/x-amz-json-1.1"}
    )
    status, body = get(f"{server.endpoint}/metrics")
    text = body.decode()
    assert status == 200
    assert 'eventyard_requests_total{operation="events.DescribeRule",status="400"}' in text
    assert "eventyard_storage_commits_total" in text


def test_wall_clock_server_refuses_to_move_time(server: ServerProcess) -> None:
    status, _, _ = post(
        f"{server.endpoint}", b'{"advance": 60}', {"Content-Type": "application/json"}, "/_eventyard/clock"
    )
    assert status == 409


@pytest.fixture(scope="module")
def virtual_server():
    with ServerProcess(args=["--virtual-clock"]) as process:
        yield process


def test_virtual_clock_moves_only_when_told(virtual_server: ServerProcess) -> None:
    _, before = get(f"{virtual_server.endpoint}/_eventyard/clock")
    start = json.loads(before)["now"]
    status, _, body = post(virtual_server.endpoint, b'{"advance": 86400}', {}, "/_eventyard/clock")
    assert status == 200
    assert json.loads(body)["now"] == pytest.approx(start + 86400)
    status, _, body = post(virtual_server.endpoint, b'{"advance": "soon"}', {}, "/_eventyard/clock")
    assert status == 400
