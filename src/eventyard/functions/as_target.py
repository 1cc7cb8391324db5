"""A function as an EventBridge rule target: the event (or what Input/InputPath/InputTransformer made
of it) is the payload of an asynchronous invoke (``InvocationType: Event``), as AWS delivers it.

The invoke is durable once accepted (see :mod:`.async_invokes`), so the rule's delivery is done when
Invoke answers 202; a function that does not exist is a refusal for good (the rule's dead-letter
queue), anything else is retried by the rule's RetryPolicy.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from eventyard import arn
from eventyard.service import RequestContext
from eventyard.targets import Rule, Target

if TYPE_CHECKING:
    from eventyard.functions.service import FunctionService


class FunctionTarget:
    """The ``arn:aws:lambda:...:function:...`` target kind, bound to one yard's functions service."""

    def __init__(self, functions: FunctionService) -> None:
        self.functions = functions

    async def deliver(self, target: Target, payload: str, event: dict[str, Any], rule: Rule) -> None:
        parts = arn.parse_as(target["Arn"], "lambda")
        assert parts is not None
        yard = self.functions.yard
        context = RequestContext(account=parts.account, region=parts.region, endpoint=yard.endpoint)
        request = {"FunctionName": target["Arn"], "InvocationType": "Event", "Payload": payload.encode("utf-8")}
        await yard.call("lambda", "Invoke", request, context, trusted=True)
