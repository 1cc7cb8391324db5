"""Hostile values the fuzz test draws at random, pinned one by one over every store."""

from __future__ import annotations

import base64
import struct
import zlib
from typing import Any

import pytest

from tests.streams.conftest import fails_with, iterator, make_stream, read_all


async def test_a_partition_key_may_hold_any_unicode_even_nul(kinesis: Any) -> None:
    await make_stream(kinesis, "clicks")
    for key in ("\x00", "a\x00b", "ünicödé 统一码 💣"):
        await kinesis.put_record(StreamName="clicks", PartitionKey=key, Data=b"x")
    assert [r["PartitionKey"] for r in await read_all(kinesis, "clicks")] == ["\x00", "a\x00b", "ünicödé 统一码 💣"]


async def test_nul_in_other_text_is_refused_on_every_store(kinesis: Any) -> None:
    arn = await make_stream(kinesis, "clicks")
    await fails_with(
        "InvalidArgumentException",
        kinesis.start_stream_encryption(StreamName="clicks", EncryptionType="KMS", KeyId="key\x00"),
    )
    await fails_with(
        "InvalidArgumentException",
        kinesis.describe_stream(StreamARN="arn:aws:kinesis:us-east-1\x00:000000000000:stream/clicks"),
    )
    await fails_with("InvalidArgumentException", kinesis.put_resource_policy(ResourceARN=arn, Policy='{"a": "\x00"}'))


async def test_huge_numbers_never_reach_the_database(kinesis: Any) -> None:
    await make_stream(kinesis, "clicks")
    await fails_with("LimitExceededException", kinesis.create_stream(StreamName="vast", ShardCount=10**12))
    await kinesis.create_stream(StreamName="auto")
    await fails_with(
        "InvalidArgumentException", kinesis.update_stream_warm_throughput(StreamName="auto", WarmThroughputMiBps=2**40)
    )
    start = (await kinesis.describe_stream(StreamName="clicks"))["StreamDescription"]["Shards"][0]
    base = int(start["SequenceNumberRange"]["StartingSequenceNumber"])
    too_far = str(base | ((2**64 - 1) << 52))  # a well-formed sequence number at a position no shard can reach
    await fails_with(
        "InvalidArgumentException",
        iterator(kinesis, "clicks", kind="AT_SEQUENCE_NUMBER", StartingSequenceNumber=too_far),
    )


async def test_a_forged_iterator_past_any_position_is_invalid(kinesis: Any) -> None:
    await make_stream(kinesis, "clicks")
    real = base64.b64decode(await iterator(kinesis, "clicks"))
    head = struct.Struct(">BQIQQQ")
    version, row, index, _, issued, tag = head.unpack(real[: head.size])
    body = head.pack(version, row, index, 2**64 - 1, issued, tag) + real[head.size : -4]
    forged = base64.b64encode(body + struct.pack(">I", zlib.crc32(b"eventyard-kinesis-iterator" + body))).decode()
    await fails_with("InvalidArgumentException", kinesis.get_records(ShardIterator=forged), "Invalid ShardIterator.")


@pytest.mark.parametrize("stamp", [float("inf"), float("-inf"), float("nan")])
async def test_timestamps_that_are_no_time_are_refused(kinesis: Any, stamp: float) -> None:
    await make_stream(kinesis, "clicks")
    await fails_with("InvalidArgumentException", iterator(kinesis, "clicks", kind="AT_TIMESTAMP", Timestamp=stamp))


async def test_forged_next_tokens_are_invalid(kinesis: Any) -> None:
    await make_stream(kinesis, "clicks", shards=3)
    token = (await kinesis.list_shards(StreamName="clicks", MaxResults=1))["NextToken"]
    body = base64.b64decode(token).replace(b'"a":"0"', b'"a":"not a shard"')
    await fails_with("InvalidArgumentException", kinesis.list_shards(NextToken=base64.b64encode(body).decode()))
    sneaky = base64.b64encode(b'{"a":"\\u0000","t":1.8e9,"s":"","c":0}').decode()
    await fails_with("InvalidArgumentException", kinesis.list_streams(NextToken=sneaky))
