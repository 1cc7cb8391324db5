"""Subscription filter policies on the bus's pattern language: check, compile, and what they match.

A filter policy is an EventBridge event pattern in all but a few words (AWS's own messages show the
same parser underneath), so it is checked by :func:`~eventyard.bus.patterns.parse_pattern` in its
filter-policy form and compiled into the same :class:`RuleMachine` as rules are. On top, SNS's
limits (subscription-filter-policy-constraints):

- at most 5 keys (for a body policy, the top-level keys) in any one ``$or`` combination;
- at most 150 combinations: over the ``$or`` alternatives, the sum of, per alternative, the product
  of each key's number of values (times its nesting depth for a body policy);
- with ``FilterPolicyScope: MessageAttributes`` (the default) no nested objects.

What a policy sees: with ``MessageAttributes``, one field per message attribute (String as text,
Number as a number, String.Array as the array's values; Binary attributes are not matched); with
``MessageBody``, the message parsed as JSON (a message that is not a JSON object matches nothing).
"""

from __future__ import annotations

import json
from decimal import Decimal, InvalidOperation
from typing import Any

import orjson

from eventyard.bus.patterns import Pattern, parse_pattern
from eventyard.bus.patterns.tokens import MESSAGE_PREFIX
from eventyard.errors import InvalidEventPatternException
from eventyard.topics.errors import invalid, not_json

MAX_KEYS = 5
MAX_COMBINATIONS = 150
SCOPES = ("MessageAttributes", "MessageBody")


def parse_filter_policy(text: str, scope: str, *, creating: bool) -> Pattern | None:
    """The compiled policy, or None for ``""`` (no policy). ``creating``: in Subscribe's Attributes,
    whose refusals SNS words ``Attributes Reason: FilterPolicy: ...``."""
    if text == "":
        return None
    where = "Attributes Reason: " if creating else ""
    try:
        document = orjson.loads(text)
    except orjson.JSONDecodeError:
        raise not_json(f"{where}FilterPolicy", text)
    try:  # SNS reads the policy it stored, laid out compactly: its refusals quote and count on that
        pattern = parse_pattern(_compact(document), filter_policy=True)
    except InvalidEventPatternException as error:
        reason = error.message.removeprefix(MESSAGE_PREFIX)
        raise invalid(f"{where}FilterPolicy: {reason}")
    body = scope == "MessageBody"
    if not body and _nested(document):
        raise invalid(f"{where}Filter policy scope MessageAttributes does not support nested filter policy")
    for branch in pattern.branches:
        keys = {condition.path.split(".", 1)[0] for condition in branch} if body else branch
        if len(keys) > MAX_KEYS:
            raise invalid(f"{where}FilterPolicy: Filter policy can not have more than {MAX_KEYS} keys")
    if combinations(pattern, body) > MAX_COMBINATIONS:
        raise invalid(f"{where}FilterPolicy: Filter policy is too complex")
    return pattern


def _compact(document: Any) -> str:
    """A policy's document laid out without whitespace between its tokens (as SNS quotes it in its refusals)."""
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False)


def combinations(pattern: Pattern, body: bool) -> int:
    total = 0
    for branch in pattern.branches:
        product = 1
        for condition in branch:
            depth = condition.path.count(".") + 1 if body else 1
            product *= depth * len(condition.matchers)
        total += product
    return total


def _nested(document: Any) -> bool:
    if not isinstance(document, dict):
        return False
    for key, value in document.items():
        if key == "$or" and isinstance(value, list):
            if any(_nested(item) for item in value):
                return True
        elif isinstance(value, dict):
            return True
    return False


# --- what a policy is matched against ----------------------------------------------------------------


def attributes_document(attributes: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Message attributes as the fields a ``MessageAttributes`` policy reads."""
    document: dict[str, Any] = {}
    for name, attribute in attributes.items():
        kind = str(attribute.get("DataType", ""))
        value = attribute.get("StringValue")
        if value is None:  # Binary (and anything without text) is not matched
            continue
        if kind == "String.Array":
            try:
                items = orjson.loads(value)
            except orjson.JSONDecodeError:
                items = value
            document[name] = items if isinstance(items, list) else value
        elif kind.startswith("Number"):
            document[name] = _number(value)
        else:
            document[name] = value
    return document


def _number(text: str) -> Any:
    try:
        return int(text)
    except ValueError:
        pass
    try:
        number = Decimal(text)
    except InvalidOperation:
        return text
    return float(number) if number.is_finite() else text


def body_document(message: str) -> dict[str, Any] | None:
    """The message as a ``MessageBody`` policy reads it; None when it is not a JSON object."""
    if not message.lstrip().startswith("{"):
        return None
    try:
        document = orjson.loads(message)
    except orjson.JSONDecodeError:
        return None
    return document if isinstance(document, dict) else None
