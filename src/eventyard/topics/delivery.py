"""Subscription deliveries: the kernel job that takes notifications to HTTP/S, Lambda and queues.

Deliveries to local queues are mostly written by Publish itself (staged, see ``publishing.py``)
and never come here. Every other (notification, subscription) pair is a kernel timer of
:class:`TopicDeliveries`, written in the publishing transaction and claimed by the node that wrote
it, which fires it as soon as that transaction commits; the kernel fires those a crash, another
node or a retry's back-off left behind. Its key is ``<subscription ARN> <unique id>``, its payload the
:class:`~eventyard.topics.envelope.Notification`, its ``created`` time the publish time.

Each attempt's outcome goes through the kernel's delivery policy with SNS's retry schedule
(:mod:`.delivery_policy`). A client-side error (the queue or function does not exist, an HTTP
4xx other than 429) is not retried (AWS: "Amazon SNS doesn't retry the message delivery" for
client-side errors); then the message goes to the subscription's RedrivePolicy dead-letter queue,
as the subscriber would have received it, or is dropped and counted.

How each protocol is reached:

- ``sqs``: the queue service's SendMessage (a queue elsewhere in the yard, or a staging that failed);
- ``lambda``: ``Invoke`` with ``InvocationType: Event`` and the SNS event; a yard without the
  functions service answers as AWS does for a missing function (ResourceNotFoundException);
- ``http``/``https``: a POST with SNS's headers and the delivery policy's Content-Type;
- ``email``, ``email-json``, ``sms``: nothing is sent from here (no mail or phone network): such
  deliveries count as delivered;
- ``firehose``: the yard serves no Firehose, so the delivery fails as for a missing stream.
"""

from __future__ import annotations

import asyncio
import logging
import urllib.error
import urllib.request
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

import orjson

from eventyard import arn as arns
from eventyard.api import ServiceNotServed
from eventyard.errors import ClientError, ResourceNotFoundException
from eventyard.kernel import Firing, Job, Timer
from eventyard.kernel.delivery import DeadLetter, Deliveries, GaveUp, RetryPolicy
from eventyard.service import RequestContext
from eventyard.topics import delivery_policy
from eventyard.topics.envelope import NOTIFICATION, Envelopes, Notification, presign
from eventyard.topics.store import Subscription

if TYPE_CHECKING:
    from eventyard.topics.service import TopicService

log = logging.getLogger("eventyard.topics")

OWNER = "sns.delivery"
USER_AGENT = "Amazon Simple Notification Service Agent"
HTTP_TIMEOUT = 15.0

#: ``async (url, headers, body) -> HTTP status``; raises on a network failure.
Poster = Callable[[str, dict[str, str], bytes], Awaitable[int]]


def _post_blocking(url: str, headers: dict[str, str], body: bytes) -> int:
    request = urllib.request.Request(url, data=body, method="POST", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=HTTP_TIMEOUT) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


async def http_post(url: str, headers: dict[str, str], body: bytes) -> int:
    return await asyncio.to_thread(_post_blocking, url, headers, body)


class HttpError(Exception):
    """An HTTP/S endpoint answered 5xx or 429 (SNS retries these)."""


class TopicDeliveries(Job):
    owner = OWNER
    batch = 100
    concurrency = 16

    def __init__(self, service: TopicService) -> None:
        self.service = service
        self.yard = service.yard
        self.policy = Deliveries(OWNER, service.yard.kernel.metrics)
        self.post: Poster = http_post

    async def fire(self, firing: Firing) -> None:
        await asyncio.gather(*(self._one(firing, timer) for timer in firing.timers))

    async def _one(self, firing: Firing, timer: Timer) -> None:
        subscription_arn = timer.key.split(" ", 1)[0]
        notification = Notification.loads(timer.payload)
        confirming = notification.kind != NOTIFICATION
        if notification.to is not None:  # an UnsubscribeConfirmation: the subscription is gone
            protocol, endpoint, account, region = notification.to
            sub: Subscription | None = Subscription(
                subscription_arn, notification.topic_arn, account, region, protocol, endpoint, account
            )
        else:
            sub = await self.service.catalogue.subscription(subscription_arn)
        if sub is None or (sub.pending and not confirming):  # unsubscribed meanwhile: nothing to deliver to
            self.yard.kernel.metrics.count(OWNER, "dropped")
            return
        policy = await self._retry_policy(sub)
        try:
            await self.deliver(sub, notification)
            error: Exception | None = None
        except Exception as problem:
            error = problem
        dead_letter = None if confirming else self._dead_letter(sub, notification)
        await self.policy.settle(firing, timer, error, policy, dead_letter)

    async def _retry_policy(self, sub: Subscription) -> RetryPolicy:
        if sub.protocol not in ("http", "https"):
            return delivery_policy.MANAGED
        topic = await self.service.topic_of(sub.topic_arn)
        topic_policy = topic.attributes.get("DeliveryPolicy") if topic is not None else None
        return delivery_policy.http_retry(topic_policy, sub.attributes.get("DeliveryPolicy"))[0]

    # --- one attempt per protocol -------------------------------------------------------------------

    async def deliver(self, sub: Subscription, n: Notification) -> None:
        envelopes = Envelopes(n, self.service.signer)
        protocol = sub.protocol
        await presign([(envelopes, {protocol})], self.service.signer)
        if protocol == "sqs":
            await self._send_to_queue(sub.endpoint, sub, n, envelopes)
        elif protocol == "lambda":
            await self._invoke(sub, envelopes)
        elif protocol in ("http", "https"):
            await self._post(sub, n, envelopes)
        elif protocol == "firehose":
            raise ResourceNotFoundException(f"Firehose {sub.endpoint} not found.")
        # email, email-json, sms: there is no network to send them on

    async def _send_to_queue(self, queue_arn: str, sub: Subscription, n: Notification, envelopes: Envelopes) -> None:
        from eventyard.topics.publishing import queue_address, sqs_message

        context, url = queue_address(self.yard.endpoint, queue_arn)
        topic_fifo = n.sequence is not None
        message = sqs_message(n, envelopes, sub, topic_fifo)
        if not queue_arn.endswith(".fifo"):
            message.pop("MessageDeduplicationId", None)
            if topic_fifo:
                message.pop("MessageGroupId", None)
        elif "MessageGroupId" not in message:
            message["MessageGroupId"] = n.group_id or "sns"
            message["MessageDeduplicationId"] = n.dedup_id or n.message_id
        await self.yard.call("sqs", "SendMessage", {"QueueUrl": url, **message}, context, trusted=True)

    async def _invoke(self, sub: Subscription, envelopes: Envelopes) -> None:
        parts = arns.parse(sub.endpoint)
        context = RequestContext(
            account=parts.account if parts else sub.account, region=parts.region if parts else sub.region,
            endpoint=self.yard.endpoint,
        )  # fmt: skip
        request = {"FunctionName": sub.endpoint, "InvocationType": "Event", "Payload": envelopes.lambda_event(sub.arn)}
        try:
            await self.yard.call("lambda", "Invoke", request, context, trusted=True)
        except ServiceNotServed:
            raise ResourceNotFoundException(f"Function not found: {sub.endpoint}")

    async def _post(self, sub: Subscription, n: Notification, envelopes: Envelopes) -> None:
        topic = await self.service.topic_of(sub.topic_arn)
        topic_policy = topic.attributes.get("DeliveryPolicy") if topic is not None else None
        _, content_type = delivery_policy.http_retry(topic_policy, sub.attributes.get("DeliveryPolicy"))
        raw = n.kind == NOTIFICATION and sub.attributes.get("RawMessageDelivery") == "true"
        body = n.message_for(sub.protocol) if raw else envelopes.json(sub.protocol, sub.arn)
        headers = {
            "Content-Type": content_type,
            "User-Agent": USER_AGENT,
            "Accept-Encoding": "gzip,deflate",  # as SNS asks (AWS-recorded); only the status is read
            "x-amz-sns-message-type": n.kind,
            "x-amz-sns-message-id": n.message_id,
            "x-amz-sns-topic-arn": n.topic_arn,
        }
        if n.kind == NOTIFICATION:
            headers["x-amz-sns-subscription-arn"] = sub.arn
        if raw:
            headers["x-amz-sns-rawdelivery"] = "true"
        status = await self.post(sub.endpoint, headers, body.encode("utf-8"))
        if status >= 500 or status == 429:
            raise HttpError(f"HTTP {status} from {sub.endpoint}")
        if status >= 400:
            raise ClientError(f"HTTP {status} from {sub.endpoint}", code=str(status))

    # --- dead letters -------------------------------------------------------------------------------

    def _dead_letter(self, sub: Subscription, n: Notification) -> DeadLetter | None:
        redrive = sub.attributes.get("RedrivePolicy")
        if not redrive:
            return None
        queue_arn = str(orjson.loads(redrive).get("deadLetterTargetArn", ""))

        async def send(gave_up: GaveUp) -> None:
            log.info("sns: %s to the dead-letter queue after %d retries: %s", sub.arn, gave_up.retries, gave_up.error)
            await self._send_to_queue(queue_arn, sub, n, Envelopes(n, self.service.signer))

        return send
