"""Topic and subscription names and ARNs, read with SNS's own refusals.

A topic is ``arn:aws:sns:<region>:<account>:<name>``; a subscription is its topic's ARN followed
by ``:<uuid>``. SNS checks an ARN's shape before it looks anything up, and says so in its own words
(AWS-recorded): ``Invalid parameter: TopicArn Reason: An ARN must have at least 6 elements, not 1``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from eventyard import arn
from eventyard.service import RequestContext
from eventyard.topics.errors import InvalidParameter, invalid

#: A phone number as SNS takes one: digits, an optional leading ``+``, single ``-``, ``.``, ``/`` or
#: spaces between digits (``+12/34-567.890``; not ``+15--551234567``, ``+1555.`` or ``/+1555``).
PHONE = re.compile(r"^\+?[0-9]+(?:[-./ ][0-9]+)*$")

_NAME = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
_FIFO_NAME = re.compile(r"^[A-Za-z0-9_-]{1,251}\.fifo$")


@dataclass(frozen=True, slots=True)
class TopicName:
    """Where a topic lives and what it is called; ``arn`` is its ARN."""

    account: str
    region: str
    name: str

    @property
    def arn(self) -> str:
        return arn.build("sns", self.region, self.account, self.name)

    @property
    def fifo(self) -> bool:
        return self.name.endswith(".fifo")


def check_topic_name(name: str, fifo: bool) -> None:
    """CreateTopic's rule: letters, digits, ``-`` and ``_``, 1 to 256 characters; FIFO topics, and
    only they, end with ``.fifo``."""
    if not (_FIFO_NAME if fifo else _NAME).match(name):
        raise invalid("Topic Name")


def _parts(text: str, member: str) -> list[str]:
    parts = str(text).split(":")
    if len(parts) < 6 or parts[0] != "arn":
        raise invalid(f"{member} Reason: An ARN must have at least 6 elements, not {len(parts)}")
    return parts


def topic_name(text: str, context: RequestContext | None = None, member: str = "TopicArn") -> TopicName:
    """The topic ``text`` names; SNS's refusal for what is not a topic ARN, or one in another region
    than the caller's (AWS answers ``Invalid parameter: TopicArn`` there)."""
    parts = _parts(text, member)
    if parts[2] != "sns" or len(parts) != 6 or not parts[5]:
        raise invalid(member)
    if context is not None and parts[3] != context.region:
        raise invalid(member)
    return TopicName(parts[4], parts[3], parts[5])


def subscription_topic(text: str, member: str = "SubscriptionArn") -> TopicName:
    """The topic of subscription ARN ``text``; ``Invalid parameter: SubscriptionId`` when it has no id part."""
    parts = _parts(text, member)
    if len(parts) < 7 or not parts[6]:
        raise InvalidParameter("Invalid parameter: SubscriptionId")
    return TopicName(parts[4], parts[3], parts[5])


def phone_number(text: str) -> bool:
    """Whether SNS takes ``text`` as a phone number (at most 15 digits, see :data:`PHONE`)."""
    return PHONE.match(text) is not None and sum(ch.isdigit() for ch in text) <= 15
