"""Subscription operations: Subscribe, ConfirmSubscription, Unsubscribe, attributes and listings.

- SQS, Lambda, SMS and Firehose subscriptions of the topic's own account are confirmed at once; HTTP/S
  and email ones wait for ConfirmSubscription with the token SNS sends them (an HTTP/S endpoint gets
  a ``SubscriptionConfirmation`` POST with a ``SubscribeURL`` it may simply GET). Until then Subscribe
  answers ``pending confirmation`` unless ``ReturnSubscriptionArn`` is true, and listings show the
  ARN as ``PendingConfirmation``.
- Subscribe is idempotent per (topic, protocol, endpoint) while the attributes given agree with the
  subscription's (AWS-recorded): a different value is ``Subscription already exists with different
  attributes``.
- FIFO topics take SQS subscriptions only; a FIFO queue cannot subscribe to a standard topic.
- Unsubscribing an HTTP/S subscription sends the endpoint an ``UnsubscribeConfirmation``.
"""

from __future__ import annotations

import re
from typing import Any

from eventyard import arn as arns
from eventyard.ids import new_id, new_uuid, random_hex
from eventyard.service import RequestContext
from eventyard.topics import store
from eventyard.topics import subscription_attributes as sub_attributes
from eventyard.topics.core import TopicCore
from eventyard.topics.delivery import OWNER as DELIVERIES
from eventyard.topics.envelope import SUBSCRIPTION_CONFIRMATION, UNSUBSCRIBE_CONFIRMATION, Notification
from eventyard.topics.errors import SUBSCRIPTION_NOT_FOUND, InvalidParameter, NotFound, invalid
from eventyard.topics.names import phone_number, subscription_topic, topic_name
from eventyard.topics.publishing import timestamp
from eventyard.topics.store import Subscription, Topic

PROTOCOLS = ("http", "https", "email", "email-json", "sms", "sqs", "application", "lambda", "firehose")
CONFIRMED_BY_OWNER = ("http", "https", "email", "email-json")
PAGE = 100
PENDING = "pending confirmation"
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")
_TOKEN = re.compile(r"^[0-9a-f]+$")


def _check_endpoint(protocol: str, endpoint: str | None, topic: Topic) -> str:
    text = endpoint or ""
    if protocol == "sqs":
        queue = arns.parse_as(text, "sqs")
        if queue is None or not queue.resource:
            raise invalid("SQS endpoint ARN")
        if queue.resource.endswith(".fifo") and not topic.fifo:
            raise invalid(
                "Invalid parameter: Endpoint Reason: FIFO SQS Queues can not be subscribed to standard SNS topics"
            )
    elif protocol == "lambda":
        if arns.parse_as(text, "lambda") is None:
            raise invalid("Lambda endpoint ARN")
    elif protocol in ("http", "https"):
        if not text.lower().startswith(f"{protocol}://"):
            raise invalid("Endpoint must match the specified protocol")
    elif protocol in ("email", "email-json"):
        if not _EMAIL.match(text):
            raise invalid("Email address")
    elif protocol == "sms":
        if not phone_number(text):
            raise InvalidParameter(f"Invalid SMS endpoint: {text}")
    elif protocol == "firehose":
        if arns.parse_as(text, "firehose") is None:
            raise invalid("Firehose endpoint ARN")
    elif protocol == "application":  # platform applications are not served: no endpoint can exist
        raise invalid("Endpoint Reason: Endpoint does not exist for endpoint arn")
    if topic.fifo and protocol != "sqs":
        raise invalid(f"Invalid protocol type: {protocol}. FIFO topics support SQS subscriptions only")
    return text


class SubscriptionOperations(TopicCore):
    async def subscribe(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        topic_name(str(request.get("TopicArn", "")), context)
        protocol = str(request.get("Protocol", ""))
        if protocol not in PROTOCOLS:
            raise invalid(f"Amazon SNS does not support this protocol string: {protocol}")
        topic = await self.topic_at(context, request.get("TopicArn"))
        endpoint = _check_endpoint(protocol, request.get("Endpoint"), topic)
        given = {str(k): str(v) for k, v in (request.get("Attributes") or {}).items()}
        pending = protocol in CONFIRMED_BY_OWNER
        sub = Subscription(
            arn=f"{topic.arn}:{new_uuid()}", topic_arn=topic.arn, account=context.account, region=context.region,
            protocol=protocol, endpoint=endpoint, owner=context.account, pending=pending,
            token=random_hex(1152) if pending else None, created_at=self.now(),
        )  # fmt: skip
        scope = given.get("FilterPolicyScope")
        for name in sorted(given, key=lambda n: n == "FilterPolicy"):  # the scope first: the policy depends on it
            kept = sub_attributes.check(name, given[name], sub, fifo_topic=topic.fifo, creating=True, scope=scope)
            if kept is not None:
                sub.attributes[name] = kept
        if not pending:
            sub.attributes["_authenticated"] = "true"
        confirmation = self._confirmation(context, topic, sub) if pending and protocol in ("http", "https") else None
        kernel = self.yard.kernel

        def job(c: Any) -> tuple[Subscription | None, list[Any]]:
            existing = store.find_subscription(c, topic.arn, protocol, endpoint)
            if existing is not None:
                return existing, []
            store.insert_subscription(c, sub)
            if confirmation is None:
                return None, []
            return None, kernel.add_claimed(c, DELIVERIES, [confirmation], self.now())

        existing, timers = await self.write(job)
        if existing is not None:
            for name, value in given.items():
                kept = sub_attributes.check(name, value, existing, fifo_topic=topic.fifo, creating=True, scope=scope)
                if sub_attributes.effective(existing, name) != (kept or sub_attributes.DEFAULTS.get(name, "")):
                    raise invalid("Attributes Reason: Subscription already exists with different attributes")
            sub = existing
        else:
            self.catalogue.subscriptions_changed(topic.arn)
            kernel.fire_now(timers)
        if sub.pending and not request.get("ReturnSubscriptionArn"):
            return {"SubscriptionArn": PENDING}
        return {"SubscriptionArn": sub.arn}

    def _confirmation(self, context: RequestContext, topic: Topic, sub: Subscription) -> tuple[str, str]:
        """The SubscriptionConfirmation an HTTP/S endpoint is sent, as a delivery timer (key, payload)."""
        notification = Notification(
            kind=SUBSCRIPTION_CONFIRMATION, message_id=new_uuid(), topic_arn=topic.arn,
            message=f"You have chosen to subscribe to the topic {topic.arn}.\n"
            "To confirm the subscription, visit the SubscribeURL included in this message.",
            timestamp=timestamp(self.now()), endpoint=context.endpoint, token=sub.token,
            signature_version=topic.attributes.get("SignatureVersion", "1"),
        )  # fmt: skip
        return f"{sub.arn} {new_id()}", notification.dumps()

    async def confirm_subscription(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        try:
            name = topic_name(str(request.get("TopicArn", "")), context)
        except InvalidParameter:
            raise invalid("Topic")
        token = str(request.get("Token", ""))
        if not _TOKEN.match(token):  # not even hexadecimal: SNS words it so; a wrong one is "Token" below
            raise InvalidParameter("Invalid token")
        authenticate = str(request.get("AuthenticateOnUnsubscribe") or "").lower() == "true"

        def job(c: Any) -> Subscription | None:
            sub = store.by_token(c, name.account, name.region, token)
            if sub is None:
                return None
            if sub.pending:
                sub.pending = False
                sub.attributes["_authenticated"] = "true" if authenticate else "false"
                store.update_subscription(c, sub)
            return sub

        sub = await self.write(job)
        if sub is None:
            raise invalid("Token")
        self.catalogue.subscriptions_changed(sub.topic_arn)
        return {"SubscriptionArn": sub.arn}

    async def unsubscribe(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        arn = str(request.get("SubscriptionArn", ""))
        topic = subscription_topic(arn)
        kernel = self.yard.kernel
        now = self.now()

        def job(c: Any) -> list[Any]:
            sub = store.get_subscription(c, arn)
            if sub is None or not store.delete_subscription(c, arn):
                return []
            if sub.protocol not in ("http", "https") or sub.pending:
                return []
            # the subscription is gone: the goodbye carries the endpoint it goes to
            goodbye = Notification(
                kind=UNSUBSCRIBE_CONFIRMATION, message_id=new_uuid(), topic_arn=sub.topic_arn,
                message=f"You have chosen to deactivate subscription {sub.arn}.\n"
                "To cancel this operation and restore the subscription, visit the SubscribeURL included in this "
                "message.",
                timestamp=timestamp(now), endpoint=context.endpoint, token=random_hex(1152),
                to=[sub.protocol, sub.endpoint, sub.account, sub.region],
            )  # fmt: skip
            return kernel.add_claimed(c, DELIVERIES, [(f"{sub.arn} {new_id()}", goodbye.dumps())], now)

        timers = await self.write(job)
        self.catalogue.subscriptions_changed(topic.arn)
        kernel.fire_now(timers)
        return {}

    async def get_subscription_attributes(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        sub = await self.subscription_at(request.get("SubscriptionArn"))
        topic = await self.topic_of(sub.topic_arn)
        policy = topic.attributes.get("DeliveryPolicy") if topic is not None else None
        return {"Attributes": sub_attributes.shown(sub, policy)}

    async def set_subscription_attributes(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        arn = str(request.get("SubscriptionArn", ""))
        subscription_topic(arn)
        name = str(request.get("AttributeName", ""))
        value = str(request.get("AttributeValue") or "")
        topic_arn = arn.rsplit(":", 1)[0]
        topic = await self.topic_of(topic_arn)

        def job(c: Any) -> None:
            sub = store.get_subscription(c, arn)
            if sub is None:
                raise NotFound(SUBSCRIPTION_NOT_FOUND)
            kept = sub_attributes.check(name, value, sub, fifo_topic=bool(topic and topic.fifo), creating=False)
            if kept is None:
                sub.attributes.pop(name, None)
            else:
                sub.attributes[name] = kept
            store.update_subscription(c, sub)

        await self.write(job)
        self.catalogue.subscriptions_changed(topic_arn)
        return {}

    async def list_subscriptions(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        return await self._page(context, None, request.get("NextToken"))

    async def list_subscriptions_by_topic(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        topic = await self.topic_at(context, request.get("TopicArn"))
        return await self._page(context, topic.arn, request.get("NextToken"))

    async def _page(self, context: RequestContext, topic_arn: str | None, token: Any) -> dict[str, Any]:
        after = str(token or "")
        subs = await self.read(
            lambda c: store.page_subscriptions(
                c, topic_arn=topic_arn, account=context.account, region=context.region, after=after, limit=PAGE + 1
            )
        )
        listed = subs[:PAGE]
        answer: dict[str, Any] = {
            "Subscriptions": [
                {"SubscriptionArn": "PendingConfirmation" if sub.pending else sub.arn, "Owner": sub.owner,
                 "Protocol": sub.protocol, "Endpoint": sub.endpoint, "TopicArn": sub.topic_arn}
                for sub in listed
            ]
        }  # fmt: skip
        if len(subs) > PAGE:
            answer["NextToken"] = subs[PAGE - 1].arn
        return answer
