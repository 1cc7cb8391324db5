"""Amazon SQS: :class:`QueueService` joins the operation groups and owns the queue catalogue operations.

Every method takes the request as botocore's model names it (already checked against the model
by the gateway or the in-process client) and returns the response as boto3 shows it.
Queue URLs are ``{endpoint}/{account}/{name}``; ARNs ``arn:aws:sqs:{region}:{account}:{name}``.
"""

from __future__ import annotations

import base64
import json
import re
from typing import Any

from eventyard.queues import attributes as queue_attributes
from eventyard.queues.as_target import QueueTarget
from eventyard.queues.engine import QueueEngine, RetentionSweep
from eventyard.queues.errors import (
    InvalidParameterValue,
    PurgeQueueInProgress,
    QueueDoesNotExist,
    QueueNameExists,
    invalid_value,
)
from eventyard.queues.moves import MessageMoves, MoveTasks
from eventyard.queues.permissions import Permissions
from eventyard.queues.receiving import Receiving
from eventyard.queues.sending import Sending
from eventyard.queues.settling import Settling
from eventyard.queues.store import MIGRATIONS, Queue
from eventyard.service import RequestContext

_NAME = re.compile(r"^[A-Za-z0-9_-]{1,80}$")
_FIFO_NAME = re.compile(r"^[A-Za-z0-9_-]{1,75}\.fifo$")
PURGE_WINDOW = 60.0
MAX_TAGS = 50


class QueueService(Sending, Receiving, Settling, MoveTasks, Permissions):
    """SQS in-process: every operation of botocore's ``sqs`` model."""

    name = "sqs"
    migrations = MIGRATIONS

    def __init__(self, yard: Any) -> None:
        super().__init__(yard)
        self.engine = QueueEngine(yard.db, self.waiters)
        self.retention = RetentionSweep(self.catalogue, yard.kernel)
        self.moving = MessageMoves(self)
        yard.kernel.register(self.retention)
        yard.kernel.register(self.moving)
        target = QueueTarget(self)
        yard.targets.register("sqs", "", target.deliver, batch=target.deliver_batch, stage=target.stage)

    async def start(self) -> None:
        await self.engine.start()
        await self.retention.arm()
        await self.yard.db.write(self.moving.reconcile)

    async def stop(self) -> None:
        await self.engine.stop()

    # --- create, find, list, delete --------------------------------------------------------------

    async def create_queue(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        name = str(request.get("QueueName", ""))
        given = dict(request.get("Attributes") or {})
        fifo = str(given.get("FifoQueue", "false")).lower() == "true"
        if fifo and not _FIFO_NAME.match(name):
            raise InvalidParameterValue(
                "The name of a FIFO queue can only include alphanumeric characters, hyphens, or underscores, "
                "must end with .fifo suffix and be 1 to 80 in length."
            )
        if not fifo and not _NAME.match(name):
            raise InvalidParameterValue(
                "Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length"
            )
        clean = queue_attributes.normalize(given, fifo=fifo, creating=True)
        await self._check_redrive(context, name, fifo, clean)
        wanted = {**queue_attributes.defaults(fifo), **clean}
        tags = {str(k): str(v) for k, v in (request.get("tags") or {}).items()}
        queue, created = await self.catalogue.create(
            context.account, context.region, name, fifo, wanted, tags, self.now()
        )
        if not created:
            for attribute, value in clean.items():
                if queue.attributes.get(attribute, "") != value:
                    raise QueueNameExists(
                        f"A queue already exists with the same name and a different value for attribute {attribute}"
                    )
        self.remember(queue)
        return {"QueueUrl": queue.url(context.endpoint)}

    async def get_queue_url(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        account = request.get("QueueOwnerAWSAccountId") or context.account
        queue = await self.find(account, context.region, str(request.get("QueueName", "")))
        if queue is None:
            raise QueueDoesNotExist()
        return {"QueueUrl": queue.url(context.endpoint)}

    async def list_queues(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        prefix = str(request.get("QueueNamePrefix") or "")
        limit = request.get("MaxResults")
        if limit is not None and not 1 <= int(limit) <= 1000:
            raise invalid_value("MaxResults", limit, "MaxResults must be an integer between 1 and 1000.")
        after = _read_token(request.get("NextToken"))
        page = int(limit) if limit is not None else 1000
        queues = await self.catalogue.page(context.account, context.region, prefix, after, page + 1)
        answer: dict[str, Any] = {}
        if queues[:page]:
            answer["QueueUrls"] = [q.url(context.endpoint) for q in queues[:page]]
        if limit is not None and len(queues) > page:
            answer["NextToken"] = _make_token(queues[page - 1].name)
        return answer

    async def delete_queue(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        queue = await self.queue_at(context, request.get("QueueUrl"))
        await self.catalogue.delete(queue.id)
        self.forget(queue)
        self.wake(queue.id)
        return {}

    async def purge_queue(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        queue = await self.queue_at(context, request.get("QueueUrl"))
        if not await self.catalogue.purge(queue.id, self.now(), PURGE_WINDOW):
            raise PurgeQueueInProgress(
                f"Only one PurgeQueue operation on {queue.name} is allowed every {int(PURGE_WINDOW)} seconds."
            )
        return {}

    # --- attributes ------------------------------------------------------------------------------

    async def get_queue_attributes(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        queue = await self.queue_at(context, request.get("QueueUrl"))
        names = queue_attributes.requested_names(request.get("AttributeNames"))
        if names == []:
            return {}
        shown = {k: v for k, v in queue.attributes.items() if v != ""}
        if "KmsMasterKeyId" not in shown:  # AWS shows the key reuse period only while a KMS key is set
            shown.pop("KmsDataKeyReusePeriodSeconds", None)
        shown["QueueArn"] = queue.arn
        shown["CreatedTimestamp"] = str(int(queue.created_at))
        shown["LastModifiedTimestamp"] = str(int(queue.modified_at))
        if names is None or any(n in queue_attributes.COUNTERS for n in names):
            counts = await self.catalogue.counters(queue.id, self.now())
            shown.update(zip(queue_attributes.COUNTERS, (str(c) for c in counts), strict=True))
        if names is not None:
            shown = {n: shown[n] for n in names if n in shown}
        return {"Attributes": queue_attributes.ordered(shown)} if shown else {}

    async def set_queue_attributes(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        queue = await self.queue_at(context, request.get("QueueUrl"))
        given = dict(request.get("Attributes") or {})
        clean = queue_attributes.normalize(given, fifo=queue.fifo, creating=False)
        await self._check_redrive(context, queue.name, queue.fifo, clean)
        merged = {**queue.attributes, **clean}
        for optional in queue_attributes.OPTIONAL_ATTRIBUTES:
            if merged.get(optional) == "":
                del merged[optional]
        retention_changed = merged["MessageRetentionPeriod"] != queue.attributes["MessageRetentionPeriod"]
        await self.catalogue.update_attributes(queue.id, merged, self.now(), retention_changed)
        self.forget(queue)
        return {}

    async def _check_redrive(self, context: RequestContext, name: str, fifo: bool, clean: dict[str, str]) -> None:
        """A RedrivePolicy must name an existing queue of the same type that allows this source."""
        policy = queue_attributes.redrive_policy(clean)
        if policy is None:
            return
        raw = clean["RedrivePolicy"]
        target = await self.queue_by_arn(policy.dead_letter_target_arn)
        if target is None:
            raise invalid_value("RedrivePolicy", raw, "Dead letter target does not exist.")
        if target.fifo != fifo:
            raise invalid_value("RedrivePolicy", raw, "Dead-letter queue must be same type of queue as the source.")
        source_arn = f"arn:aws:sqs:{context.region}:{context.account}:{name}"
        if not queue_attributes.allows_source(target.attributes, source_arn):
            raise invalid_value(
                "RedrivePolicy", raw, "Queue is not allowed to use the specified queue as a dead letter queue."
            )

    # --- tags ------------------------------------------------------------------------------------

    async def tag_queue(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        queue = await self.queue_at(context, request.get("QueueUrl"))
        tags = {**queue.tags, **{str(k): str(v) for k, v in (request.get("Tags") or {}).items()}}
        if len(tags) > MAX_TAGS:
            raise InvalidParameterValue(f"Too many tags added for queue {queue.name}.")
        await self.catalogue.update_tags(queue.id, tags)
        self.forget(queue)
        return {}

    async def untag_queue(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        queue = await self.queue_at(context, request.get("QueueUrl"))
        removed = set(request.get("TagKeys") or [])
        await self.catalogue.update_tags(queue.id, {k: v for k, v in queue.tags.items() if k not in removed})
        self.forget(queue)
        return {}

    async def list_queue_tags(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        queue = await self.queue_at(context, request.get("QueueUrl"))
        return {"Tags": dict(queue.tags)} if queue.tags else {}

    # --- dead-letter sources ---------------------------------------------------------------------

    async def list_dead_letter_source_queues(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        queue = await self.queue_at(context, request.get("QueueUrl"))
        limit = request.get("MaxResults")
        if limit is not None and not 1 <= int(limit) <= 1000:
            raise invalid_value("MaxResults", limit, "MaxResults must be an integer between 1 and 1000.")
        after = _read_token(request.get("NextToken"))
        sources = [
            q
            for q in await self.catalogue.all_in(queue.account, queue.region)
            if q.name > after and _targets(q, queue.arn)
        ]
        page = int(limit) if limit is not None else 1000
        answer: dict[str, Any] = {"queueUrls": [q.url(context.endpoint) for q in sources[:page]]}
        if limit is not None and len(sources) > page:
            answer["NextToken"] = _make_token(sources[page - 1].name)
        return answer


def _targets(queue: Queue, dlq_arn: str) -> bool:
    policy = queue_attributes.redrive_policy(queue.attributes)
    return policy is not None and policy.dead_letter_target_arn == dlq_arn


def _make_token(last_name: str) -> str:
    return base64.urlsafe_b64encode(json.dumps({"after": last_name}).encode("utf-8")).decode("ascii")


def _read_token(token: Any) -> str:
    if not token:
        return ""
    try:
        return str(json.loads(base64.urlsafe_b64decode(str(token).encode("ascii")))["after"])
    except (ValueError, KeyError, TypeError):
        raise InvalidParameterValue("Invalid or expired next token.")
