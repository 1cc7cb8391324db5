"""Event streams, proven with the Kinesis model before Kinesis exists: SubscribeToShard through a fake
Kinesis service, read back by botocore's own EventStream over JSON, and over CBOR as the Java SDK
sends it (timestamps as tag 1 holding epoch milliseconds)."""

from __future__ import annotations

import asyncio
import datetime as _dt
from collections.abc import AsyncIterator
from typing import Any

import cbor2
import pytest
from botocore.eventstream import EventStream, EventStreamBuffer
from botocore.exceptions import EventStreamError
from botocore.parsers import EventStreamCBORParser

import eventyard
from eventyard.errors import ClientError, EventyardError
from eventyard.gateway.app import Gateway
from eventyard.gateway.protocols import eventstream
from eventyard.gateway.protocols.eventstream import HeaderType, Typed
from eventyard.models import model_for
from eventyard.service import RequestContext, Service
from tests.gateway.asgi import AUTH, botocore_call, call

CONSUMER = "arn:aws:kinesis:us-east-1:000000000000:stream/orders/consumer/c:1"
ARRIVAL = 1_767_225_600.25  # 2026-01-01T00:00:00.250Z


class ResourceNotFound(ClientError):
    code = "ResourceNotFoundException"


class Throttled(EventyardError):
    code = "ThrottledNow"  # not an exception of the SubscribeToShard stream: an ``error`` message
    status = 400


def record(sequence: str) -> dict[str, Any]:
    return {"SequenceNumber": sequence, "ApproximateArrivalTimestamp": ARRIVAL, "Data": b"\x00\xffdata",
            "PartitionKey": "p"}  # fmt: skip


class FakeKinesis(Service):
    """Streams what each test asks of it: events, then perhaps a failure; notes when it was closed."""

    name = "kinesis"

    def __init__(self, yard: eventyard.Yard) -> None:
        super().__init__(yard)
        self.events: list[dict[str, Any]] = []
        self.failure: EventyardError | None = None
        self.release = asyncio.Event()
        self.hold_after: int | None = None
        self.closed = False
        self.requests: list[dict[str, Any]] = []

    async def subscribe_to_shard(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        self.requests.append(request)
        if request["ShardId"] == "shardId-missing":
            raise ResourceNotFound("Shard shardId-missing in stream orders under account 000000000000 does not exist")

        async def stream() -> AsyncIterator[dict[str, Any]]:
            try:
                for index, event in enumerate(self.events):
                    if self.hold_after is not None and index == self.hold_after:
                        await self.release.wait()
                    yield event
                if self.failure is not None:
                    raise self.failure
            finally:
                self.closed = True

        return {"EventStream": stream()}

    async def get_records(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        return {"Records": [record("1")], "MillisBehindLatest": 0, "NextShardIterator": "it-2"}

    async def get_shard_iterator(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        self.requests.append(request)
        return {"ShardIterator": "it-1"}


@pytest.fixture
async def kinesis() -> AsyncIterator[tuple[Gateway, FakeKinesis]]:
    async with eventyard.open("memory://") as yard:
        fake = FakeKinesis(yard)
        yard.services["kinesis"] = fake
        yield Gateway(yard), fake


def shard_event(*sequences: str) -> dict[str, Any]:
    return {"SubscribeToShardEvent": {"Records": [record(s) for s in sequences],
            "ContinuationSequenceNumber": sequences[-1], "MillisBehindLatest": 0}}  # fmt: skip


SUBSCRIBE = {"ConsumerARN": CONSUMER, "ShardId": "shardId-000000000000", "StartingPosition": {"Type": "LATEST"}}


async def subscribe_json(gateway: Gateway, **params: Any) -> tuple[Any, dict[str, Any]]:
    operation = model_for("kinesis").operations["SubscribeToShard"]
    return await botocore_call(gateway, "json", operation, {**SUBSCRIBE, **params}, "kinesis")


async def test_subscribe_to_shard_over_json_is_read_by_botocores_event_stream(kinesis) -> None:
    gateway, fake = kinesis
    fake.events = [shard_event("1"), shard_event("2", "3")]
    response, parsed = await subscribe_json(gateway)
    assert response.status == 200
    assert response.headers["content-type"] == "application/vnd.amazon.eventstream"
    assert "content-length" not in response.headers
    assert len(response.chunks) == 3  # initial-response, then one message per event
    events = list(parsed["EventStream"])
    assert [e["SubscribeToShardEvent"]["ContinuationSequenceNumber"] for e in events] == ["1", "3"]
    first = events[0]["SubscribeToShardEvent"]["Records"][0]
    assert first["Data"] == b"\x00\xffdata"
    assert first["ApproximateArrivalTimestamp"] == _dt.datetime.fromtimestamp(ARRIVAL, _dt.UTC)
    assert fake.closed


async def test_each_message_has_the_headers_aws_sends(kinesis) -> None:
    gateway, fake = kinesis
    fake.events = [shard_event("1")]
    response, _ = await subscribe_json(gateway)
    initial, event = eventstream.decode(response.body)
    assert initial.headers == {
        ":message-type": "event", ":event-type": "initial-response", ":content-type": "application/json"
    }  # fmt: skip
    assert initial.payload == b"{}"
    assert event.headers == {
        ":message-type": "event", ":event-type": "SubscribeToShardEvent", ":content-type": "application/json"
    }  # fmt: skip


async def test_a_modeled_exception_ends_the_stream_as_an_exception_message(kinesis) -> None:
    gateway, fake = kinesis
    fake.events = [shard_event("1")]
    fake.failure = ResourceNotFound("Shard was deleted")
    response, parsed = await subscribe_json(gateway)
    stream = iter(parsed["EventStream"])
    assert "SubscribeToShardEvent" in next(stream)
    with pytest.raises(EventStreamError) as caught:
        next(stream)
    assert caught.value.response["Error"] == {"Code": "ResourceNotFoundException", "Message": "Shard was deleted"}
    last = eventstream.decode(response.body)[-1]
    assert last.headers[":message-type"] == "exception"
    assert last.headers[":exception-type"] == "ResourceNotFoundException"


async def test_an_unmodeled_failure_ends_the_stream_as_an_error_message(kinesis) -> None:
    gateway, fake = kinesis
    fake.failure = Throttled("slow down")
    response, parsed = await subscribe_json(gateway)
    with pytest.raises(EventStreamError) as caught:
        list(parsed["EventStream"])
    assert caught.value.response["Error"] == {"Code": "ThrottledNow", "Message": "slow down"}
    last = eventstream.decode(response.body)[-1]
    assert last.headers == {":message-type": "error", ":error-code": "ThrottledNow", ":error-message": "slow down"}


async def test_a_failure_before_the_stream_starts_is_a_plain_error_reply(kinesis) -> None:
    gateway, _ = kinesis
    response, parsed = await subscribe_json(gateway, ShardId="shardId-missing")
    assert response.status == 400
    assert response.headers["content-type"] == "application/x-amz-json-1.1"
    assert parsed["Error"]["Code"] == "ResourceNotFoundException"


async def test_a_bug_in_the_stream_is_an_internal_failure_message_not_a_broken_connection(kinesis) -> None:
    gateway, fake = kinesis
    fake.events = [{"NotAnEvent": {}}]
    response, parsed = await subscribe_json(gateway)
    assert response.finished
    with pytest.raises(EventStreamError) as caught:
        list(parsed["EventStream"])
    assert caught.value.response["Error"]["Code"] == "InternalFailure"


async def test_each_event_is_sent_as_it_comes(kinesis) -> None:
    gateway, fake = kinesis
    fake.events = [shard_event("1"), shard_event("2")]
    fake.hold_after = 1  # the service has produced one event and waits for the next
    headers = {"x-amz-target": "Kinesis_20131202.SubscribeToShard", "content-type": "application/x-amz-json-1.1"}
    body = b'{"ConsumerARN": "%s", "ShardId": "shardId-0", "StartingPosition": {"Type": "LATEST"}}' % CONSUMER.encode()
    answer = asyncio.ensure_future(call(gateway, "POST", "/", headers=headers, body=body))
    for _ in range(100):
        await asyncio.sleep(0.01)
        if fake.requests:
            break
    await asyncio.sleep(0.05)
    assert not answer.done()
    fake.release.set()
    response = await answer
    assert len(eventstream.decode(response.body)) == 3


async def test_a_client_that_goes_away_closes_the_services_stream(kinesis) -> None:
    gateway, fake = kinesis
    fake.events = [shard_event("1"), shard_event("2")]
    fake.hold_after = 1  # never released: only the disconnect can end it
    headers = {"x-amz-target": "Kinesis_20131202.SubscribeToShard", "content-type": "application/x-amz-json-1.1"}
    body = b'{"ConsumerARN": "%s", "ShardId": "shardId-0", "StartingPosition": {"Type": "LATEST"}}' % CONSUMER.encode()
    response = await asyncio.wait_for(
        call(gateway, "POST", "/", headers=headers, body=body, disconnect_after=2), timeout=5
    )
    assert not response.finished
    assert fake.closed


# --- CBOR, as the Java SDK speaks to Kinesis --------------------------------------------------------

CBOR_HEADERS = {"content-type": "application/x-amz-cbor-1.1", "authorization": AUTH.format(service="kinesis")}


def _millis(value: int | float) -> _dt.datetime:
    """How the Java SDK reads a CBOR timestamp: tag 1 holding epoch milliseconds."""
    return _dt.datetime.fromtimestamp(value / 1000, _dt.UTC)


async def test_subscribe_to_shard_over_cbor_streams_cbor_events(kinesis) -> None:
    gateway, fake = kinesis
    fake.events = [shard_event("1")]
    fake.failure = ResourceNotFound("gone")
    body = cbor2.dumps({"ConsumerARN": CONSUMER, "ShardId": "shardId-0", "StartingPosition": {"Type": "LATEST"}})
    headers = {**CBOR_HEADERS, "x-amz-target": "Kinesis_20131202.SubscribeToShard"}
    response = await call(gateway, "POST", "/", headers=headers, body=body)
    assert response.status == 200
    union = model_for("kinesis").operations["SubscribeToShard"].output_shape.members["EventStream"]

    class Raw:
        def stream(self):
            yield from response.chunks

    stream = EventStream(Raw(), union, EventStreamCBORParser(timestamp_parser=_millis), "SubscribeToShard")
    initial = stream.get_initial_response()
    assert initial.headers[":content-type"] == "application/x-amz-cbor-1.1"
    assert cbor2.loads(initial.payload) == {}
    events = iter(stream)
    event = next(events)["SubscribeToShardEvent"]
    assert event["Records"][0]["Data"] == b"\x00\xffdata"
    assert event["Records"][0]["ApproximateArrivalTimestamp"] == _dt.datetime.fromtimestamp(ARRIVAL, _dt.UTC)
    with pytest.raises(EventStreamError) as caught:
        next(events)
    assert caught.value.response["Error"] == {"Code": "ResourceNotFoundException", "Message": "gone"}


async def test_cbor_answers_carry_timestamps_as_tag_1_milliseconds(kinesis) -> None:
    gateway, _ = kinesis
    headers = {**CBOR_HEADERS, "x-amz-target": "Kinesis_20131202.GetRecords"}
    response = await call(gateway, "POST", "/", headers=headers, body=cbor2.dumps({"ShardIterator": "it-1"}))
    assert response.status == 200
    tags: list[Any] = []
    answer = cbor2.loads(response.body, semantic_decoders={1: lambda value, immutable: tags.append(value) or value})
    assert tags == [round(ARRIVAL * 1000)]
    assert answer["Records"][0]["Data"] == b"\x00\xffdata"  # a byte string, not base64 text


async def test_cbor_request_timestamps_are_read_as_milliseconds(kinesis) -> None:
    gateway, fake = kinesis
    request = {"StreamName": "orders", "ShardId": "shardId-0", "ShardIteratorType": "AT_TIMESTAMP",
               "Timestamp": cbor2.CBORTag(1, 1_767_225_600_250)}  # fmt: skip
    headers = {**CBOR_HEADERS, "x-amz-target": "Kinesis_20131202.GetShardIterator"}
    response = await call(gateway, "POST", "/", headers=headers, body=cbor2.dumps(request))
    assert response.status == 200, cbor2.loads(response.body)
    assert fake.requests[-1]["Timestamp"] == ARRIVAL


# --- the framing itself ----------------------------------------------------------------------------


def test_framing_round_trips_typed_headers_and_botocore_decodes_it() -> None:
    headers = {
        ":message-type": "event", "flag": True, "off": False, "byte": Typed(HeaderType.BYTE, -3),
        "short": Typed(HeaderType.SHORT, 300), "int": Typed(HeaderType.INTEGER, 70_000), "long": 2**40,
        "bytes": b"\x00\x01", "when": Typed(HeaderType.TIMESTAMP, 1_767_225_600_250),
    }  # fmt: skip
    data = eventstream.encode(headers, b"payload") + eventstream.encode({":message-type": "event"}, b"")
    ours = eventstream.decode(data)
    assert ours[0].payload == b"payload"
    assert ours[0].headers["short"] == 300 and ours[0].headers["when"] == 1_767_225_600_250
    buffer = EventStreamBuffer()
    buffer.add_data(data)
    theirs = list(buffer)
    assert [m.payload for m in theirs] == [b"payload", b""]
    assert theirs[0].headers == {**ours[0].headers}
    assert theirs[0].headers["byte"] == -3 and theirs[0].headers["flag"] is True


def test_a_corrupted_message_is_refused() -> None:
    data = bytearray(eventstream.encode({":message-type": "event"}, b"payload"))
    data[-6] ^= 0xFF
    with pytest.raises(eventstream.FramingError):
        eventstream.decode(bytes(data))
