"""AddPermission and RemovePermission: statements kept in the queue's ``Policy`` attribute.

Eventyard does not enforce IAM; the statements are stored and returned in the shape AWS writes
them (``Version`` 2008-10-17, ``Id`` = ``{queue arn}/SQSDefaultPolicy``, one statement per label,
``SQS:`` actions and ``arn:aws:iam::{account}:root`` principals), so tools that read the Policy back
see what AWS shows.
"""

from __future__ import annotations

import json
from typing import Any

from eventyard.queues.core import QueueCore
from eventyard.queues.errors import invalid_value
from eventyard.service import RequestContext

ACTIONS = frozenset(
    {
        "*",
        "SendMessage",
        "ReceiveMessage",
        "DeleteMessage",
        "ChangeMessageVisibility",
        "GetQueueAttributes",
        "GetQueueUrl",
        "ListDeadLetterSourceQueues",
        "PurgeQueue",
        "ListQueueTags",
    }
)


def _one_or_many(values: list[str]) -> str | list[str]:
    return values[0] if len(values) == 1 else values


class Permissions(QueueCore):
    async def add_permission(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        queue = await self.queue_at(context, request.get("QueueUrl"))
        label = str(request.get("Label", ""))
        accounts = list(request.get("AWSAccountIds") or [])
        actions = list(request.get("Actions") or [])
        for action in actions:
            if action not in ACTIONS:
                raise invalid_value(
                    "ActionName", f"SQS:{action}", "Only the queue owner is allowed to invoke this action."
                )
        policy = json.loads(queue.attributes.get("Policy") or "null") or {
            "Version": "2008-10-17",
            "Id": f"{queue.arn}/SQSDefaultPolicy",
            "Statement": [],
        }
        statements = policy.setdefault("Statement", [])
        if any(s.get("Sid") == label for s in statements):
            raise invalid_value("Label", label, "Already exists.")
        statements.append(
            {
                "Sid": label,
                "Effect": "Allow",
                "Principal": {"AWS": _one_or_many([f"arn:aws:iam::{a}:root" for a in accounts])},
                "Action": _one_or_many([f"SQS:{a}" for a in actions]),
                "Resource": queue.arn,
            }
        )
        await self._store_policy(queue, policy)
        return {}

    async def remove_permission(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        queue = await self.queue_at(context, request.get("QueueUrl"))
        label = str(request.get("Label", ""))
        policy = json.loads(queue.attributes.get("Policy") or "null") or {"Statement": []}
        statements = policy.get("Statement", [])
        kept = [s for s in statements if s.get("Sid") != label]
        if len(kept) == len(statements):
            raise invalid_value("Label", label, "can't find label.")
        policy["Statement"] = kept
        await self._store_policy(queue, policy if kept else None)
        return {}

    async def _store_policy(self, queue: Any, policy: dict[str, Any] | None) -> None:
        attributes = dict(queue.attributes)
        if policy is None:
            attributes.pop("Policy", None)
        else:
            attributes["Policy"] = json.dumps(policy, separators=(",", ":"))
        await self.catalogue.update_attributes(queue.id, attributes, self.now(), False)
        self.forget(queue)
