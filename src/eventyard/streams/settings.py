"""A stream's settings: retention, encryption, enhanced monitoring, capacity mode, record size, warm
throughput, record distribution; and the account's settings.

Changes AWS applies asynchronously (retention, encryption, mode) put the stream in UPDATING until
its transition time has passed (``core.py``); the new value is in force at once, so a shorter
retention hides older records from the next read, as AWS's trim would soon after.
"""

from __future__ import annotations

from typing import Any

from eventyard.service import RequestContext
from eventyard.streams.core import StreamCore
from eventyard.streams.errors import (
    InvalidArgumentException,
    ResourceInUseException,
    retention_too_long,
    retention_too_short,
)
from eventyard.streams.lifecycle import check_warm_throughput
from eventyard.streams.model import ALL_METRICS, ON_DEMAND, Stream

MIN_RETENTION_HOURS = 24
MAX_RETENTION_HOURS = 8760
#: How long an enabled MinimumThroughputBillingCommitment must at least last.
COMMITMENT_SECONDS = 24 * 3600.0


def _check_retention(hours: int) -> None:
    if hours < MIN_RETENTION_HOURS:
        raise retention_too_short(hours)
    if hours > MAX_RETENTION_HOURS:
        raise retention_too_long(hours)


def _metrics(names: list[str]) -> set[str]:
    return set(ALL_METRICS) if "ALL" in names else set(names)


class Settings(StreamCore):
    async def _change(self, stream: Stream, changes: dict[str, Any], *, updating: bool = True) -> None:
        if updating:
            now = self.now()
            changes = {**changes, "status": "UPDATING", "settles_at": self.settles_at(now)}
        await self.catalogue.update(stream.id, changes)
        self.forget(stream)

    # --- retention -------------------------------------------------------------------------------

    async def increase_stream_retention_period(self, context: RequestContext, request: dict[str, Any]) -> Any:
        stream = await self.active_stream(context, request)
        hours = int(request["RetentionPeriodHours"])
        _check_retention(hours)
        if hours < stream.retention_hours:
            raise InvalidArgumentException(
                f"Requested retention period ({hours} hours) for stream {stream.name} can not be shorter than"
                f" existing retention period ({stream.retention_hours} hours). Use DecreaseRetentionPeriod API."
            )
        await self._change(stream, {"retention_hours": hours})
        return {}

    async def decrease_stream_retention_period(self, context: RequestContext, request: dict[str, Any]) -> Any:
        stream = await self.active_stream(context, request)
        hours = int(request["RetentionPeriodHours"])
        _check_retention(hours)
        if hours > stream.retention_hours:
            raise InvalidArgumentException(
                f"Requested retention period ({hours} hours) for stream {stream.name} can not be longer than"
                f" existing retention period ({stream.retention_hours} hours). Use IncreaseRetentionPeriod API."
            )
        await self._change(stream, {"retention_hours": hours})
        return {}

    # --- encryption (stored and shown; records are kept as they came) ----------------------------

    async def start_stream_encryption(self, context: RequestContext, request: dict[str, Any]) -> Any:
        stream = await self.active_stream(context, request)
        if request["EncryptionType"] != "KMS":
            raise InvalidArgumentException("StartStreamEncryption only supports EncryptionType KMS.")
        await self._change(stream, {"encryption": "KMS", "key_id": request["KeyId"]})
        return {}

    async def stop_stream_encryption(self, context: RequestContext, request: dict[str, Any]) -> Any:
        stream = await self.active_stream(context, request)
        if request["EncryptionType"] != "KMS":
            raise InvalidArgumentException("StopStreamEncryption only supports EncryptionType KMS.")
        await self._change(stream, {"encryption": "NONE", "key_id": None})
        return {}

    # --- enhanced monitoring ---------------------------------------------------------------------

    async def enable_enhanced_monitoring(self, context: RequestContext, request: dict[str, Any]) -> Any:
        stream = await self.active_stream(context, request)
        wanted = set(stream.metrics) | _metrics(request["ShardLevelMetrics"])
        return await self._monitor(stream, wanted)

    async def disable_enhanced_monitoring(self, context: RequestContext, request: dict[str, Any]) -> Any:
        stream = await self.active_stream(context, request)
        wanted = set(stream.metrics) - _metrics(request["ShardLevelMetrics"])
        return await self._monitor(stream, wanted)

    async def _monitor(self, stream: Stream, wanted: set[str]) -> dict[str, Any]:
        desired = [name for name in ALL_METRICS if name in wanted]
        await self._change(stream, {"metrics": desired}, updating=False)
        return {
            "StreamName": stream.name,
            "StreamARN": stream.arn,
            "CurrentShardLevelMetrics": list(stream.metrics),
            "DesiredShardLevelMetrics": desired,
        }

    # --- capacity mode, record size, warm throughput, distribution -------------------------------

    async def update_stream_mode(self, context: RequestContext, request: dict[str, Any]) -> Any:
        stream = await self.active_stream(context, request)
        mode = request["StreamModeDetails"]["StreamMode"]
        if mode == stream.mode:
            raise InvalidArgumentException(
                f"Stream {stream.name} under account {stream.account} is already in {mode} capacity mode."
            )
        if mode != ON_DEMAND and await self.queues.count(stream.id):
            raise ResourceInUseException(
                f"Stream {stream.name} under account {stream.account} has queues: delete them with DeleteQueue"
                " before switching it to PROVISIONED mode."
            )
        warm = check_warm_throughput(request.get("WarmThroughputMiBps"), mode)
        await self._change(stream, {"mode": mode, "warm_mibps": warm if mode == ON_DEMAND else None})
        return {}

    async def update_max_record_size(self, context: RequestContext, request: dict[str, Any]) -> Any:
        stream = await self.active_stream(context, request)
        await self._change(stream, {"max_record_kib": int(request["MaxRecordSizeInKiB"])})
        return {}

    async def update_stream_warm_throughput(self, context: RequestContext, request: dict[str, Any]) -> Any:
        stream = await self.active_stream(context, request)
        self._require_on_demand(stream, "UpdateStreamWarmThroughput")
        target = check_warm_throughput(int(request["WarmThroughputMiBps"]), ON_DEMAND) or 0
        await self._change(stream, {"warm_mibps": target})
        return {
            "StreamARN": stream.arn,
            "StreamName": stream.name,
            "WarmThroughput": {"TargetMiBps": target, "CurrentMiBps": target},
        }

    async def update_stream_record_distribution_strategy(self, context: RequestContext, request: dict[str, Any]) -> Any:
        stream = await self.active_stream(context, request)
        self._require_on_demand(stream, "UpdateStreamRecordDistributionStrategy")
        await self._change(stream, {"distribution": request["RecordDistributionStrategy"]}, updating=False)
        return {}

    def _require_on_demand(self, stream: Stream, operation: str) -> None:
        if stream.mode != ON_DEMAND:
            raise InvalidArgumentException(
                f"{operation} is only supported for streams in ON_DEMAND mode; stream {stream.name} under account"
                f" {stream.account} is in {stream.mode} mode."
            )

    # --- account settings ------------------------------------------------------------------------

    async def describe_account_settings(self, context: RequestContext, request: dict[str, Any]) -> Any:
        return {"MinimumThroughputBillingCommitment": await self._commitment(context)}

    async def update_account_settings(self, context: RequestContext, request: dict[str, Any]) -> Any:
        wanted = request["MinimumThroughputBillingCommitment"]["Status"]
        status, started, ended, earliest = await self.catalogue.account_settings(context.account, context.region)
        now = self.now()
        if wanted == "ENABLED":
            if status != "ENABLED":
                started, ended, earliest = now, None, now + COMMITMENT_SECONDS
            status = "ENABLED"
        elif status == "ENABLED":
            status, ended = ("DISABLED", now) if earliest is None or now >= earliest else ("ENABLED", earliest)
        await self.catalogue.set_account_settings(context.account, context.region, status, started, ended, earliest)
        return {"MinimumThroughputBillingCommitment": await self._commitment(context)}

    async def _commitment(self, context: RequestContext) -> dict[str, Any]:
        status, started, ended, earliest = await self.catalogue.account_settings(context.account, context.region)
        now = self.now()
        if status == "ENABLED" and ended is not None:
            status = "ENABLED_UNTIL_EARLIEST_ALLOWED_END" if now < ended else "DISABLED"
        shown: dict[str, Any] = {"Status": status}
        for key, value in (("StartedAt", started), ("EndedAt", ended), ("EarliestAllowedEndAt", earliest)):
            if value is not None:
                shown[key] = value
        return shown
