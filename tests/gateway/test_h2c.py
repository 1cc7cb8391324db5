"""HTTP/2 with prior knowledge beside HTTP/1.1 on one port (``gateway/h2c.py``), against a real
server, driven by the ``h2`` library as a client: answers, a GOAWAY sent right after the request
(as the JavaScript SDK does), a preface split across writes, and an event stream that the client
resets."""

from __future__ import annotations

import base64
import json
import socket
import time
from collections.abc import Iterator
from typing import Any

import pytest
from h2.config import H2Configuration
from h2.connection import H2Connection
from h2.events import DataReceived, ResponseReceived, StreamEnded
from hyperframe.frame import GoAwayFrame, SettingsFrame

from tests.harness.server import ServerProcess

AUTH = "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/kinesis/aws4_request, SignedHeaders=host, Signature=00"


@pytest.fixture(scope="module")
def server() -> Iterator[ServerProcess]:
    with ServerProcess() as running:
        yield running


class Client:
    def __init__(self, port: int, *, split_preface: bool = False) -> None:
        self.port = port
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        self.h2 = H2Connection(H2Configuration(client_side=True))
        self.pending: list[Any] = []
        self.h2.initiate_connection()
        opening = self.h2.data_to_send()
        if split_preface:  # the server must wait for the whole preface before it decides
            self.sock.sendall(opening[:5])
            time.sleep(0.2)
            opening = opening[5:]
        self.sock.sendall(opening)

    def request(self, operation: str, body: dict[str, Any], *, goaway: bool = False) -> int:
        data = json.dumps(body).encode()
        stream_id: int = self.h2.get_next_available_stream_id()
        headers = [
            (":method", "POST"),
            (":path", "/"),
            (":scheme", "http"),
            (":authority", f"127.0.0.1:{self.port}"),
            ("x-amz-target", f"Kinesis_20131202.{operation}"),
            ("content-type", "application/x-amz-json-1.1"),
            ("authorization", AUTH),
            ("content-length", str(len(data))),
        ]
        self.h2.send_headers(stream_id, headers)
        self.h2.send_data(stream_id, data, end_stream=True)
        self.sock.sendall(self.h2.data_to_send())
        if goaway:  # written by hand: the h2 library would stop reading after its own GOAWAY; a frame
            # after it in the same write (here a SETTINGS ack) must not end the connection either
            after = SettingsFrame(stream_id=0, flags=["ACK"]).serialize()
            self.sock.sendall(GoAwayFrame(stream_id=0, last_stream_id=0, error_code=0).serialize() + after)
        return stream_id

    def events(self, stream_id: int, until: type) -> tuple[dict[bytes, bytes], bytes]:
        """The stream's headers and data up to the first DATA frame or to its end, as ``until`` says;
        events read past that point wait in :attr:`pending` for the next call."""
        headers: dict[bytes, bytes] = {}
        body = b""
        while True:
            while not self.pending:
                chunk = self.sock.recv(65536)
                assert chunk, "the server closed the connection before the stream ended"
                self.pending += self.h2.receive_data(chunk)
                self.sock.sendall(self.h2.data_to_send())
            event = self.pending.pop(0)
            if isinstance(event, ResponseReceived) and event.stream_id == stream_id:
                headers = dict(event.headers)
            elif isinstance(event, DataReceived) and event.stream_id == stream_id:
                body += event.data
                self.h2.acknowledge_received_data(event.flow_controlled_length, stream_id)
                self.sock.sendall(self.h2.data_to_send())
                if until is DataReceived:
                    return headers, body
            elif isinstance(event, StreamEnded) and event.stream_id == stream_id:
                return headers, body

    def call(self, operation: str, body: dict[str, Any], **options: Any) -> tuple[int, Any]:
        stream_id = self.request(operation, body, **options)
        headers, answer = self.events(stream_id, StreamEnded)
        return int(headers[b":status"]), json.loads(answer) if answer else None

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *_: object) -> None:
        self.sock.close()


def test_prior_knowledge_and_http1_share_the_port(server: ServerProcess) -> None:
    with Client(server.port) as client:
        status, answer = client.call("CreateStream", {"StreamName": "h2", "ShardCount": 1})
        assert status == 200
        status, answer = client.call("ListStreams", {})  # a second stream on the same connection
        assert (status, "h2" in answer["StreamNames"]) == (200, True)
        status, answer = client.call("DescribeStream", {"StreamName": "missing"})
        assert (status, answer["__type"]) == (400, "ResourceNotFoundException")
    assert "h2" in server.client("kinesis").list_streams()["StreamNames"]  # boto3, HTTP/1.1


def test_a_goaway_after_the_request_still_gets_the_answer(server: ServerProcess) -> None:
    for split_preface in (True, False):
        with Client(server.port, split_preface=split_preface) as client:
            status, answer = client.call("ListStreams", {}, goaway=True)
            assert status == 200 and "StreamNames" in answer
            assert client.sock.recv(65536) == b"", "the server ends the connection once the answer is out"


def test_subscribe_to_shard_streams_events_until_the_client_resets(server: ServerProcess) -> None:
    kinesis = server.client("kinesis")
    kinesis.create_stream(StreamName="h2-fanout", ShardCount=1)
    arn = kinesis.describe_stream_summary(StreamName="h2-fanout")["StreamDescriptionSummary"]["StreamARN"]
    kinesis.put_record(StreamName="h2-fanout", PartitionKey="k", Data=b"over h2")
    consumer = kinesis.register_stream_consumer(StreamARN=arn, ConsumerName="c")["Consumer"]["ConsumerARN"]
    for _ in range(200):
        if kinesis.describe_stream_consumer(ConsumerARN=consumer)["ConsumerDescription"]["ConsumerStatus"] == "ACTIVE":
            break
        time.sleep(0.1)
    with Client(server.port) as client:
        shard = "shardId-000000000000"
        start = {"ConsumerARN": consumer, "ShardId": shard, "StartingPosition": {"Type": "TRIM_HORIZON"}}
        stream_id = client.request("SubscribeToShard", start)
        seen = b""
        headers: dict[bytes, bytes] = {}
        while base64.b64encode(b"over h2") not in seen and len(seen) < 100_000:
            got, chunk = client.events(stream_id, DataReceived)
            headers = headers or got
            assert headers.get(b":status") == b"200", chunk
            seen += chunk
        assert headers[b"content-type"] == b"application/vnd.amazon.eventstream"
        assert b"initial-response" in seen
        client.h2.reset_stream(stream_id)
        client.sock.sendall(client.h2.data_to_send())
        status, _ = client.call("ListStreams", {})  # the connection serves on after the reset
        assert status == 200


def test_a_stopping_server_does_not_wait_long_for_an_idle_connection() -> None:
    with ServerProcess() as running, Client(running.port) as client:
        status, _ = client.call("ListStreams", {})
        assert status == 200
        started = time.monotonic()
        assert running.stop() == 0  # the client never closes its side: the server ends it
        assert time.monotonic() - started < 4.0
