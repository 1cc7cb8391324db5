"""The event source mapping operations of the Lambda API, as a mixin of the functions service.

CreateEventSourceMapping, GetEventSourceMapping, ListEventSourceMappings, UpdateEventSourceMapping
and DeleteEventSourceMapping for SQS queues and Kinesis streams. Each writes the mapping and arms
its control timer in one transaction (see :mod:`.engine`), and answers with the state AWS answers
at that moment: ``Creating`` (``Disabled`` when created disabled), ``Enabling``, ``Disabling``,
``Updating``, ``Deleting``; the timer then settles it. The function, the queue and the stream are
looked up through their services' own operations (GetFunction, GetQueueUrl, DescribeStreamSummary).
"""

from __future__ import annotations

import base64
import uuid as uuids
from collections.abc import Sequence
from functools import partial
from typing import TYPE_CHECKING, Any, ClassVar

from eventyard.errors import EventyardError
from eventyard.functions.mappings import config as configs
from eventyard.functions.mappings import store
from eventyard.functions.mappings.engine import MappingJob
from eventyard.functions.mappings.errors import (
    NO_FUNCTION,
    NO_QUEUE,
    InvalidParameterValue,
    ResourceConflict,
    not_found,
)
from eventyard.service import RequestContext, Service
from eventyard.storage.base import Migration

if TYPE_CHECKING:
    from eventyard.yard import Yard

#: The members of GetEventSourceMapping's answer that a configuration holds, in AWS's order.
SHOWN = (
    "StartingPosition",
    "StartingPositionTimestamp",
    "BatchSize",
    "MaximumBatchingWindowInSeconds",
    "ParallelizationFactor",
    "FilterCriteria",
    "ScalingConfig",
    "DestinationConfig",
    "MaximumRecordAgeInSeconds",
    "BisectBatchOnFunctionError",
    "MaximumRetryAttempts",
    "TumblingWindowInSeconds",
    "FunctionResponseTypes",
)
MAX_ITEMS = 100
MIGRATIONS = store.MIGRATIONS


class MappingOperations(Service):
    """Event source mappings: mix into the functions service (whose ``migrations`` add these)."""

    migrations: ClassVar[Sequence[Migration]] = MIGRATIONS

    def __init__(self, yard: Yard) -> None:
        super().__init__(yard)
        self.mapping_job = MappingJob(yard)
        yard.kernel.register(self.mapping_job)

    # --- the operations -------------------------------------------------------------------------

    async def create_event_source_mapping(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        source = str(request.get("EventSourceArn") or "")
        kind = _kind(source)
        function_arn, function_name, role = await self._function(context, str(request["FunctionName"]))
        fifo = await self._check_source(context, kind, source)
        now = self.yard.clock.now()
        config = configs.initial(kind, request, now)
        configs.check_batch_size(kind, fifo, int(config["BatchSize"]))
        enabled = request.get("Enabled", True) is not False
        state = "Creating" if enabled else "Disabled"
        config.update(State=state, StateTransitionReason=configs.REASON[kind], LastModified=now, _Role=role)
        if kind == "kinesis":
            config["LastProcessingResult"] = "No records processed"
        mapping = store.Mapping(
            str(uuids.uuid4()), context.account, context.region, function_arn, source, state, config, now
        )

        def create(c: Any) -> None:
            for other in store.find(c, context.account, context.region, source_arn=source):
                if other.function_arn == function_arn:
                    raise ResourceConflict(_conflict(kind, source, function_name, other.uuid))
            store.insert(c, mapping)
            if enabled:
                self.mapping_job.arm(c, mapping.uuid)

        await self.yard.db.write(create)
        return render(mapping)

    async def get_event_source_mapping(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        mapping = await self.yard.db.read(partial(store.get, uuid=str(request["UUID"])))
        if mapping is None or (mapping.account, mapping.region) != (context.account, context.region):
            raise not_found()
        return render(mapping)

    async def list_event_source_mappings(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        source = request.get("EventSourceArn")
        name = request.get("FunctionName")
        found = await self.yard.db.read(
            partial(store.find, account=context.account, region=context.region, source_arn=source)
        )
        if name:
            arn, _, _ = await self._function(context, str(name), listing=True)
            found = [m for m in found if m.function_arn == arn or m.function_arn.startswith(arn + ":")]
        start = _read_marker(request.get("Marker"))
        size = int(request.get("MaxItems") or MAX_ITEMS)
        page = found[start : start + size]
        answer: dict[str, Any] = {"EventSourceMappings": [render(m) for m in page]}
        if start + size < len(found):
            answer["NextMarker"] = base64.urlsafe_b64encode(str(start + size).encode()).decode()
        return answer

    async def update_event_source_mapping(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        uuid = str(request["UUID"])
        existing = await self.yard.db.read(partial(store.get, uuid=uuid))
        if existing is None or (existing.account, existing.region) != (context.account, context.region):
            raise not_found()
        function: tuple[str, str, str] | None = None
        if request.get("FunctionName"):
            function = await self._function(context, str(request["FunctionName"]))
        fifo = existing.kind == "sqs" and existing.source_arn.endswith(".fifo")
        now = self.yard.clock.now()

        def update(c: Any) -> store.Mapping:
            mapping = store.get(c, uuid, for_update=True)
            if mapping is None or mapping.state == "Deleting":
                raise not_found()
            config = configs.merged(mapping.kind, mapping.config, request)
            configs.check_batch_size(mapping.kind, fifo, int(config["BatchSize"]))
            if function is not None:
                mapping.function_arn, config["_Role"] = function[0], function[2]
            enabled = request.get("Enabled")
            active = mapping.state not in ("Disabled", "Disabling")
            if enabled is False and active:
                mapping.state = "Disabling"
            elif enabled is True and not active:
                mapping.state = "Enabling"
            elif active:
                mapping.state = "Updating"
            config.update(State=mapping.state, LastModified=now)
            mapping.config = config
            store.save(c, mapping)
            self.mapping_job.arm(c, uuid)
            return mapping

        return render(await self.yard.db.write(update))

    async def delete_event_source_mapping(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        uuid = str(request["UUID"])

        def delete(c: Any) -> store.Mapping:
            mapping = store.get(c, uuid, for_update=True)
            if mapping is None or (mapping.account, mapping.region) != (context.account, context.region):
                raise not_found()
            mapping.state = mapping.config["State"] = "Deleting"
            store.save(c, mapping)
            self.mapping_job.arm(c, uuid)
            return mapping

        return render(await self.yard.db.write(delete))

    # --- what a mapping refers to ----------------------------------------------------------------

    async def _function(self, context: RequestContext, name: str, *, listing: bool = False) -> tuple[str, str, str]:
        """(FunctionArn as the mapping keeps it, the function's name, its role) through GetFunction."""
        qualifier = _qualifier(name)
        try:
            answer = await self.yard.call("lambda", "GetFunction", {"FunctionName": name}, context, trusted=True)
        except EventyardError as error:
            if error.code == "ResourceNotFoundException":
                if listing:
                    raise
                raise InvalidParameterValue(NO_FUNCTION)
            raise
        found = answer["Configuration"]
        arn = str(found["FunctionArn"])
        unqualified = ":".join(arn.split(":")[:7])
        return (
            (f"{unqualified}:{qualifier}" if qualifier else unqualified),
            str(found["FunctionName"]),
            str(found.get("Role") or ""),
        )

    async def _check_source(self, context: RequestContext, kind: str, source: str) -> bool:
        """Whether the source exists (AWS's messages when not); True for a FIFO queue."""
        parts = source.split(":")
        try:
            if kind == "sqs":
                await self.yard.call(
                    "sqs",
                    "GetQueueUrl",
                    {"QueueName": parts[5], "QueueOwnerAWSAccountId": parts[4]},
                    context,
                    trusted=True,
                )
                return parts[5].endswith(".fifo")
            await self.yard.call("kinesis", "DescribeStreamSummary", {"StreamARN": source}, context, trusted=True)
        except EventyardError as error:
            if kind == "sqs":
                raise InvalidParameterValue(NO_QUEUE)
            if error.code == "ResourceNotFoundException":
                raise InvalidParameterValue(f"Stream not found: {source}")
            raise
        return False


def render(mapping: store.Mapping) -> dict[str, Any]:
    """GetEventSourceMapping's answer for ``mapping``."""
    config = mapping.config
    answer: dict[str, Any] = {"UUID": mapping.uuid}
    answer.update({member: config[member] for member in SHOWN if member in config})
    answer.update(
        EventSourceArn=mapping.source_arn,
        FunctionArn=mapping.function_arn,
        LastModified=config["LastModified"],
        State=config["State"],
        StateTransitionReason=config["StateTransitionReason"],
        EventSourceMappingArn=f"arn:aws:lambda:{mapping.region}:{mapping.account}:event-source-mapping:{mapping.uuid}",
    )
    if "LastProcessingResult" in config:
        answer["LastProcessingResult"] = config["LastProcessingResult"]
    return answer


def _kind(source: str) -> str:
    parts = source.split(":")
    if len(parts) >= 6 and parts[0] == "arn" and parts[2] == "sqs":
        return "sqs"
    if len(parts) >= 6 and parts[0] == "arn" and parts[2] == "kinesis" and parts[5].startswith("stream/"):
        return "kinesis"
    raise InvalidParameterValue(f"Unsupported event source type: {source}")


def _qualifier(name: str) -> str | None:
    parts = name.split(":")
    if parts[0] == "arn":
        return parts[7] if len(parts) > 7 else None
    if len(parts) >= 3 and parts[1] == "function":
        return parts[3] if len(parts) > 3 else None
    return parts[1] if len(parts) == 2 else None


def _conflict(kind: str, source: str, function_name: str, existing: str) -> str:
    if kind == "sqs":
        return (
            f'An event source mapping with SQS arn (" {source} ") and function (" {function_name} ") already exists.'
            f" Please update or delete the existing mapping with UUID {existing}"
        )
    return (
        f'The event source arn (" {source} ") and function (" {function_name} ") provided mapping already exists.'
        f" Please update or delete the existing mapping with UUID {existing}"
    )


def _read_marker(marker: Any) -> int:
    if not marker:
        return 0
    try:
        return max(0, int(base64.urlsafe_b64decode(str(marker).encode()).decode()))
    except ValueError:
        raise InvalidParameterValue("Invalid marker")
