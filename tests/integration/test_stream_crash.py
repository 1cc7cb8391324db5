"""Kinesis under SIGKILL: every acknowledged record is still there after a restart, in its shard, with
its sequence number, in order; and sequence numbers go on increasing after the restart."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest

from tests.harness.server import ServerProcess

SHARDS = [f"shardId-00000000000{i}" for i in range(4)]


def _read_shard(client: Any, stream: str, shard: str) -> list[dict[str, Any]]:
    position = client.get_shard_iterator(StreamName=stream, ShardId=shard, ShardIteratorType="TRIM_HORIZON")[
        "ShardIterator"
    ]
    records: list[dict[str, Any]] = []
    while True:
        got = client.get_records(ShardIterator=position, Limit=10_000)
        records += got["Records"]
        if not got["Records"]:
            return records
        position = got["NextShardIterator"]


@pytest.mark.server
@pytest.mark.slow
def test_acknowledged_records_survive_sigkill_in_order(tmp_path: Path) -> None:
    server = ServerProcess(str(tmp_path / "yard.db")).start()
    setup = server.client("kinesis")
    setup.create_stream(StreamName="orders", ShardCount=len(SHARDS))

    lock = threading.Lock()
    acknowledged: dict[bytes, tuple[str, str]] = {}  # data -> (shard, sequence number)
    stop = threading.Event()
    refused: list[dict[str, Any]] = []

    def producer(client: Any, lane: int) -> None:
        call = 0
        while not stop.is_set():
            call += 1
            records = [
                {"PartitionKey": f"key-{lane}-{i % 7}", "Data": f"{lane}-{call}-{i}".encode()} for i in range(20)
            ]
            try:
                if call % 3:
                    answer = client.put_records(StreamName="orders", Records=records)
                    results = answer["Records"]
                else:  # PutRecord too: one record per call
                    single = client.put_record(StreamName="orders", **records[0])
                    records, results = records[:1], [single]
            except Exception:
                return
            with lock:
                for record, result in zip(records, results, strict=True):
                    # a record refused inside a successful PutRecords is not acknowledged (AWS: a
                    # per-record ErrorCode); the test says below what came back
                    if "ShardId" in result:
                        acknowledged[record["Data"]] = (result["ShardId"], result["SequenceNumber"])
                    else:
                        refused.append(result)

    clients = [server.client("kinesis") for _ in range(6)]  # made here: boto3 client creation is not thread-safe
    threads = [threading.Thread(target=producer, args=(clients[i], i)) for i in range(6)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 20
    while len(acknowledged) < 3000 and time.monotonic() < deadline:
        time.sleep(0.05)
    server.kill()
    stop.set()
    for thread in threads:
        thread.join()
    assert len(acknowledged) >= 3000, "the producers did not get going"
    documented = ("ProvisionedThroughputExceededException", "InternalFailure")  # PutRecords' per-record errors
    assert all(result.get("ErrorCode") in documented for result in refused), refused[:3]

    server.start()
    try:
        client = server.client("kinesis")
        found: dict[bytes, tuple[str, str]] = {}
        highest: dict[str, int] = {}
        for shard in SHARDS:
            records = _read_shard(client, "orders", shard)
            numbers = [int(r["SequenceNumber"]) for r in records]
            assert numbers == sorted(numbers) and len(set(numbers)) == len(numbers), f"{shard} out of order"
            highest[shard] = numbers[-1] if numbers else 0
            for record in records:
                found[record["Data"]] = (shard, record["SequenceNumber"])
        lost = [data for data in acknowledged if data not in found]
        assert not lost, f"{len(lost)} of {len(acknowledged)} acknowledged records lost, e.g. {lost[:3]}"
        moved = [data for data, where in acknowledged.items() if found[data] != where]
        assert not moved, f"{len(moved)} records changed shard or sequence number, e.g. {moved[:3]}"
        for shard in SHARDS:  # numbers go on increasing after the restart
            after = client.put_record(
                StreamName="orders",
                PartitionKey="k",
                Data=b"after",
                ExplicitHashKey=str(
                    int(
                        client.list_shards(StreamName="orders")["Shards"][int(shard[-1])]["HashKeyRange"][
                            "StartingHashKey"
                        ]
                    )
                ),
            )
            assert after["ShardId"] == shard and int(after["SequenceNumber"]) > highest[shard]
    finally:
        server.stop()
