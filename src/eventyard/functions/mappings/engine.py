"""The mappings' kernel job: state changes, and the pollers, as timers of ``lambda.mappings``.

Timers (owner :data:`OWNER`):

- ``<uuid>``: the mapping's control timer, armed by Create, Update and Delete. It finishes what
  the operation began: Creating, Enabling and Updating become Enabled (and the pollers are armed),
  Disabling becomes Disabled, Deleting removes the mapping. For a Kinesis mapping it fires again
  every :data:`SHARD_SCAN_SECONDS` to give new shards (after a reshard) a poller.
- ``<uuid>|<n>`` (SQS): poller ``n`` of ``MaximumConcurrency`` (or :data:`SQS_POLLERS`). Poller 0
  is armed with the mapping and keeps watching an idle queue; the others are armed when poller 0
  finds a full batch and sleep longer once the queue is drained, so an idle mapping costs about one
  poll a second.
- ``<uuid>|<shardId>`` (Kinesis): the shard's poller; its checkpoint is written in the same
  transaction that re-arms it. A child shard (after a reshard) gets its poller once its parents
  were read to their end: the parent's last firing wakes the control timer.

A timer is claimed by one node at a time, so each poller has one owner across PostgreSQL nodes, and
a node that dies mid-batch loses its claim: another node polls again (SQS redelivers what was not
deleted after its visibility timeout; Kinesis re-reads from the checkpoint). Each firing reads the
mapping first, so disabling or deleting one stops its pollers at their next firing.
"""

from __future__ import annotations

import logging
from functools import partial
from typing import TYPE_CHECKING, Any, ClassVar

from eventyard.errors import EventyardError
from eventyard.functions.mappings import store
from eventyard.functions.mappings.kinesis_poller import SHARD_END, KinesisPoller, ShardState
from eventyard.functions.mappings.sqs_poller import SqsPoller
from eventyard.kernel import Firing, Job
from eventyard.service import RequestContext

if TYPE_CHECKING:
    from eventyard.yard import Yard

log = logging.getLogger("eventyard.functions.mappings")

OWNER = "lambda.mappings"
#: SQS pollers of a mapping without ScalingConfig.MaximumConcurrency (AWS starts with five).
SQS_POLLERS = 5
#: How soon poller 0 looks at an idle queue again, and the other pollers.
IDLE_SECONDS = 1.0
IDLE_HELPER_SECONDS = 20.0
SHARD_SCAN_SECONDS = 60.0
#: States in which the pollers deliver (an update in progress keeps delivering, as on AWS).
DELIVERING = frozenset({"Enabled", "Updating"})
SETTLING = {"Creating": "Enabled", "Enabling": "Enabled", "Updating": "Enabled", "Disabling": "Disabled"}


def pollers_of(mapping: store.Mapping) -> int:
    scaling = mapping.config.get("ScalingConfig") or {}
    return int(scaling.get("MaximumConcurrency") or SQS_POLLERS)


class MappingJob(Job):
    owner: ClassVar[str] = OWNER
    concurrency: ClassVar[int] = 256

    def __init__(self, yard: Yard) -> None:
        self.yard = yard
        self.sqs = SqsPoller(yard)
        self.kinesis = KinesisPoller(yard)

    def arm(self, connection: Any, uuid: str, due: float | None = None) -> None:
        """Arm the mapping's control timer (inside the caller's transaction)."""
        self.yard.kernel.set(connection, OWNER, uuid, self.yard.clock.now() if due is None else due)

    async def fire(self, firing: Firing) -> None:
        timer = firing.timer
        uuid, _, part = timer.key.partition("|")
        mapping = await self.yard.db.read(partial(store.get, uuid=uuid))
        if mapping is None:
            return
        if not part:
            await self._control(firing, mapping)
        elif mapping.state not in DELIVERING:
            return  # disabled or going: the poller stops here
        elif mapping.kind == "sqs":
            await self._poll_queue(firing, mapping, int(part))
        else:
            await self._poll_shard(firing, mapping, part)

    # --- state changes --------------------------------------------------------------------------

    async def _control(self, firing: Firing, mapping: store.Mapping) -> None:
        now = firing.now
        if mapping.state == "Deleting":
            firing.also(partial(store.delete, uuid=mapping.uuid))
            return
        settled = SETTLING.get(mapping.state)
        if settled is not None:
            mapping.state = settled
            mapping.config["State"] = settled
            firing.also(partial(store.save, mapping=mapping))
        if mapping.state != "Enabled":
            return
        keys = await self._poller_keys(mapping)
        kernel = self.yard.kernel

        def arm_pollers(c: Any) -> None:
            for key in keys:
                kernel.ensure(c, OWNER, f"{mapping.uuid}|{key}", now)

        firing.also(arm_pollers)
        if mapping.kind == "kinesis":
            firing.rearm(firing.timer, now + SHARD_SCAN_SECONDS)

    async def _poller_keys(self, mapping: store.Mapping) -> list[str]:
        if mapping.kind == "sqs":
            return ["0"]  # poller 0 wakes the others when it finds a full batch
        shards = await self._shards(mapping)
        listed = set(shards)
        ended = await self.yard.db.read(partial(store.checkpoints_at, uuid=mapping.uuid, sequence_number=SHARD_END))
        # a shard is read once its parents (those still listed) were read to their end
        return [
            shard
            for shard, parents in shards.items()
            if shard not in ended and all(p in ended for p in parents if p in listed)
        ]

    async def _shards(self, mapping: store.Mapping) -> dict[str, list[str]]:
        """Each shard of the stream (ListShards) and its parents."""
        context = RequestContext(account=mapping.account, region=mapping.region, endpoint=self.yard.endpoint)
        shards: dict[str, list[str]] = {}
        request: dict[str, Any] = {"StreamARN": mapping.source_arn}
        try:
            while True:
                answer = await self.yard.call("kinesis", "ListShards", request, context, trusted=True)
                for shard in answer.get("Shards") or []:
                    parents = [shard.get("ParentShardId"), shard.get("AdjacentParentShardId")]
                    shards[shard["ShardId"]] = [p for p in parents if p]
                token = answer.get("NextToken")
                if not token:
                    return shards
                request = {"NextToken": token}
        except EventyardError:
            log.warning("mapping %s: cannot list the shards of %s", mapping.uuid, mapping.source_arn)
            return shards

    # --- pollers --------------------------------------------------------------------------------

    async def _poll_queue(self, firing: Firing, mapping: store.Mapping, index: int) -> None:
        timer = firing.timer
        if index >= pollers_of(mapping):
            return  # MaximumConcurrency was lowered
        window_started = float(timer.payload) if timer.payload else None
        try:
            polled = await self.sqs.poll(mapping, window_started)
        except EventyardError as error:  # the queue is gone or refuses: look again later
            log.warning("mapping %s: polling %s failed: %s", mapping.uuid, mapping.source_arn, error)
            firing.rearm(timer, firing.now + IDLE_HELPER_SECONDS, payload="")
            return
        now = firing.now
        if polled.window_until is not None:
            started = window_started if window_started is not None else now
            firing.rearm(timer, polled.window_until, payload=repr(started))
        elif polled.delivered:
            firing.rearm(timer, now, payload="")
            if index == 0 and polled.delivered >= int(mapping.config["BatchSize"]):
                self._wake_helpers(firing, mapping, now)
        else:
            firing.rearm(timer, now + (IDLE_SECONDS if index == 0 else IDLE_HELPER_SECONDS), payload="")

    def _wake_helpers(self, firing: Firing, mapping: store.Mapping, now: float) -> None:
        kernel = self.yard.kernel
        count = pollers_of(mapping)

        def wake(c: Any) -> None:
            for n in range(1, count):
                kernel.set(c, OWNER, f"{mapping.uuid}|{n}", now)

        firing.also(wake)

    async def _poll_shard(self, firing: Firing, mapping: store.Mapping, shard_id: str) -> None:
        timer = firing.timer
        checkpoint = await self.yard.db.read(partial(store.checkpoint, uuid=mapping.uuid, shard_id=shard_id))
        step = await self.kinesis.poll(mapping, shard_id, checkpoint, ShardState.load(timer.payload))
        if step.checkpoint is not None and step.checkpoint != checkpoint:
            firing.also(
                partial(store.set_checkpoint, uuid=mapping.uuid, shard_id=shard_id, sequence_number=step.checkpoint)
            )
        if step.result is not None and step.result != mapping.config.get("LastProcessingResult"):
            firing.also(partial(store.set_last_result, uuid=mapping.uuid, result=step.result))
        if step.again_at is not None:
            firing.rearm(timer, step.again_at, payload=step.state.dump())
        elif step.checkpoint == SHARD_END:  # read to its end: its children may start now
            firing.also(partial(self.arm, uuid=mapping.uuid))
