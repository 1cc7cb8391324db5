"""The pytest plugin users install with Eventyard: its fixtures work in a project of their own."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

USERS_TESTS = """
import boto3
import pytest


def test_boto3_code_under_test_talks_to_the_served_yard(yard_server):
    sqs = boto3.client("sqs")  # no endpoint, no credentials: the environment points at the yard
    url = sqs.create_queue(QueueName="orders")["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="placed")
    assert sqs.receive_message(QueueUrl=url)["Messages"][0]["Body"] == "placed"
    assert url.startswith(yard_server.endpoint)


@pytest.mark.asyncio
async def test_the_in_process_yard_jumps_over_time(yard):
    sqs = yard.client("sqs")
    url = (await sqs.create_queue(QueueName="later"))["QueueUrl"]
    await sqs.send_message(QueueUrl=url, MessageBody="soon", DelaySeconds=600)
    assert await sqs.receive_message(QueueUrl=url) == {}
    await yard.advance(600)
    assert (await sqs.receive_message(QueueUrl=url))["Messages"][0]["Body"] == "soon"
"""


def test_a_users_project_gets_the_yard_fixtures_from_the_installed_plugin(tmp_path: Path) -> None:
    (tmp_path / "test_orders.py").write_text(USERS_TESTS)
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path / "test_orders.py")],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "2 passed" in done.stdout
