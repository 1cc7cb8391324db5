"""Rule deliveries: the kernel job that takes matched events to their targets, with AWS's retry policy.

Deliveries to local queues are mostly written by PutEvents itself (staged, see ``events.py``) and
never come here. Every other (event, target) pair is a kernel timer of :class:`RuleDeliveries`,
written in the transaction that accepts the event and claimed by the node that wrote it, which
fires it as soon as that transaction commits; the kernel fires those a crash, another node or a
retry's back-off left behind. The timer's key names the rule and the target (``<rule ARN> <target
id> <unique id>``), its payload is the event as stored, its ``created`` time the ingestion time.

Timers of one firing that share a (rule, target) go out together where the target kind takes
batches. Each outcome goes through the kernel's delivery policy: RetryPolicy (MaximumRetryAttempts,
default 185; MaximumEventAgeInSeconds, default 86,400), then the target's DeadLetterConfig queue with
AWS's message attributes (RULE_ARN, TARGET_ARN, ERROR_CODE, ERROR_MESSAGE, RETRY_ATTEMPTS,
EXHAUSTED_RETRY_CONDITION), or dropped and counted when it has none.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import orjson

from eventyard import arn
from eventyard.bus.transform import payload_for
from eventyard.errors import ClientError
from eventyard.ids import new_id
from eventyard.kernel import Firing, Job, Timer
from eventyard.kernel.delivery import DeadLetter, Deliveries, GaveUp, RetryPolicy
from eventyard.service import RequestContext

if TYPE_CHECKING:
    from eventyard.bus.service import BusService

DEFAULT_RETRY_ATTEMPTS = 185
DEFAULT_EVENT_AGE = 86_400
OWNER = "events.delivery"


def delivery_key(rule_arn: str, target_id: str) -> str:
    """A new delivery's timer key (rule ARNs and target ids hold no spaces)."""
    return f"{rule_arn} {target_id} {new_id()}"


def _rule_and_target(key: str) -> tuple[str, str]:
    rule_arn, target_id, _ = key.split(" ", 2)
    return rule_arn, target_id


class RuleDeliveries(Job):
    owner = OWNER
    batch = 100
    concurrency = 16

    def __init__(self, bus: BusService) -> None:
        self.bus = bus
        self.yard = bus.yard
        self.policy = Deliveries(OWNER, bus.yard.kernel.metrics)

    async def fire(self, firing: Firing) -> None:
        groups: dict[tuple[str, str], list[Timer]] = {}
        for timer in firing.timers:
            groups.setdefault(_rule_and_target(timer.key), []).append(timer)
        for (rule_arn, target_id), timers in groups.items():
            await self._deliver(firing, rule_arn, target_id, timers)

    async def _deliver(self, firing: Firing, rule_arn: str, target_id: str, timers: list[Timer]) -> None:
        """Deliver timers that share one (rule, target); batched where the target kind takes batches."""
        where = arn.parse(rule_arn)
        found = await self.bus.target_of(where.account, where.region, rule_arn, target_id) if where else None
        if found is None:  # the rule or target was removed meanwhile: nothing to deliver to
            self.yard.kernel.metrics.count(OWNER, "dropped", len(timers))
            return
        rule, target = found
        policy = _retry_policy(target)
        dead_letter = self._dead_letter_for(rule_arn, target, timers)
        items: list[tuple[Timer, str, dict[str, Any]]] = []
        for timer in timers:
            event = orjson.loads(timer.payload)
            try:
                payload = payload_for(target, rule, timer.payload, event, timer.created)
            except Exception as problem:
                await self.policy.settle(firing, timer, problem, policy, dead_letter(timer))
                continue
            if payload is None:  # an InputPath that selects nothing: there is nothing to send
                continue
            items.append((timer, payload, event))
        if not items:
            return
        errors = await self._send(target, rule, [(payload, event) for _, payload, event in items])
        tracing = self.yard.trace.enabled
        steps = []
        for (timer, _, event), error in zip(items, errors, strict=True):
            await self.policy.settle(firing, timer, error, policy, dead_letter(timer))
            if tracing:
                steps.append((event["id"], "delivery", _outcome(rule_arn, target, timer, error, firing)))
        if steps:
            firing.also(lambda c: self.yard.trace.record(c, steps))  # the trace's step commits with the outcome

    async def _send(
        self, target: dict[str, Any], rule: dict[str, Any], items: list[tuple[str, dict[str, Any]]]
    ) -> list[Exception | None]:
        kind = self.yard.targets.kind_of(target["Arn"])
        if kind is None:  # PutTargets took it; no service of this yard delivers there
            refusal = ClientError(f"Target {target['Arn']} is not a supported target type.", code="ResourceNotFound")
            return [refusal] * len(items)
        if kind.batch is not None and len(items) > 1:
            try:
                return list(await kind.batch(target, items, rule))
            except Exception as error:
                return [error] * len(items)
        errors: list[Exception | None] = []
        for payload, event in items:
            try:
                await kind.deliver(target, payload, event, rule)
                errors.append(None)
            except Exception as error:
                errors.append(error)
        return errors

    def _dead_letter_for(self, rule_arn: str, target: dict[str, Any], timers: list[Timer]) -> Any:
        """``timer -> DeadLetter | None``: the target's DeadLetterConfig queue, with AWS's attributes."""
        queue_arn = (target.get("DeadLetterConfig") or {}).get("Arn")
        where = arn.parse_as(queue_arn, "sqs") if queue_arn else None
        if where is None:
            return lambda timer: None

        def for_timer(timer: Timer) -> DeadLetter:
            async def send(gave_up: GaveUp) -> None:
                code = getattr(gave_up.error, "code", type(gave_up.error).__name__)
                attributes = {
                    "RULE_ARN": rule_arn,
                    "TARGET_ARN": target["Arn"],
                    "ERROR_CODE": str(code),
                    "ERROR_MESSAGE": str(getattr(gave_up.error, "message", gave_up.error))[:256] or str(code),
                    "RETRY_ATTEMPTS": str(gave_up.retries),
                }
                if gave_up.exhausted:
                    attributes["EXHAUSTED_RETRY_CONDITION"] = gave_up.exhausted
                context = RequestContext(account=where.account, region=where.region, endpoint=self.yard.endpoint)
                request = {
                    "QueueUrl": f"{self.yard.endpoint}/{where.account}/{where.resource}",
                    "MessageBody": timer.payload,
                    "MessageAttributes": {k: {"DataType": "String", "StringValue": v} for k, v in attributes.items()},
                }
                await self.yard.call("sqs", "SendMessage", request, context)

            return send

        return for_timer


def _outcome(
    rule_arn: str, target: dict[str, Any], timer: Timer, error: Exception | None, firing: Firing
) -> dict[str, Any]:
    """A kernel delivery's step in the trace of its event: delivered, retrying, or failed and why."""
    step: dict[str, Any] = {"rule": rule_arn, "id": target["Id"], "arn": target["Arn"], "attempt": timer.attempts + 1}
    if error is None:
        return step | {"status": "delivered"}
    retrying = any(key == timer.key for key in firing.rearmed_keys())
    return step | {"status": "retrying" if retrying else "failed", "error": str(getattr(error, "message", error))}


def _retry_policy(target: dict[str, Any]) -> RetryPolicy:
    given = target.get("RetryPolicy") or {}
    return RetryPolicy(
        max_retries=given.get("MaximumRetryAttempts", DEFAULT_RETRY_ATTEMPTS),
        max_age=given.get("MaximumEventAgeInSeconds", DEFAULT_EVENT_AGE),
    )
