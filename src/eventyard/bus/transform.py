"""Target input: what EventBridge hands a rule's target, and PutTargets' checks on it.

A target gets exactly one of (AWS "Transforming target input", PutTargets ``Target``):

* nothing set: the whole event as compact JSON;
* ``Input``: that constant JSON text, verbatim;
* ``InputPath``: the JSON value the path selects from the event;
* ``InputTransformer``: ``InputTemplate`` with each ``<name>`` replaced by the value that
  ``InputPathsMap[name]`` selects, or by a predefined ``aws.events.*`` variable.

Substitution follows what AWS documents and what AWS-recorded deliveries show:

* A template whose first non-blank character is ``{``, ``[`` or ``"`` is JSON. There a placeholder
  outside a string literal becomes the value's JSON text (``"i-0123456789"``, ``12.5``, ``{...}``)
  and one inside a string literal becomes the value's text, JSON-escaped so the result stays valid
  JSON. Any other template is plain text and takes values as raw text.
* A path that selects nothing gives the empty string: nothing inside quotes, ``""`` outside
  (AWS-recorded: ``{"command": <command>}`` delivered ``{"command": ""}``).
* ``<aws.events.event>`` is the event without ``detail`` and with ``detail-type`` spelled
  ``detailType``; ``<aws.events.event.json>`` is the whole event. Both only as JSON object values.

JSONPath is EventBridge's subset: ``$`` then ``.name`` steps (names may hold dashes, underscores,
slashes), ``[n]`` indices and ``*``/``[*]`` wildcards; bracket notation with quotes is refused.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

import orjson

from eventyard.errors import ValidationException

RULE_ARN = "aws.events.rule-arn"
RULE_NAME = "aws.events.rule-name"
INGESTION_TIME = "aws.events.event.ingestion-time"
EVENT = "aws.events.event"
EVENT_JSON = "aws.events.event.json"
PREDEFINED = frozenset({RULE_ARN, RULE_NAME, INGESTION_TIME, EVENT, EVENT_JSON})
_JSON_OBJECT_ONLY = frozenset({EVENT, EVENT_JSON})

MAX_PATHS = 100
_PLACEHOLDER = re.compile(r"<([A-Za-z0-9_.\-]+)>")
_PATH_KEY = re.compile(r"[A-Za-z0-9_\-]+")
# AWS's order of the keys of <aws.events.event> (recorded delivery), detail left out.
_EVENT_VARIABLE_ORDER = ("id", "account", "detail-type", "time", "source", "region", "resources", "version")

_Selection = tuple[bool, Any]  # (found, value)
_Step = tuple[str, Any]  # ("key", name) | ("index", n) | ("all", None)


# --- delivery -------------------------------------------------------------------------------------


def payload_for(target: dict, rule: dict, text: str, event: dict, ingested_at: float) -> str | None:
    """What ``target`` of ``rule`` receives for ``event`` (stored as ``text``), as ``target_input`` says;
    without Input, InputPath or InputTransformer that is the event text as stored, not re-encoded."""
    if target.get("Input") is None and target.get("InputPath") is None and target.get("InputTransformer") is None:
        return text
    context = {"rule_arn": rule["Arn"], "rule_name": rule["Name"], "ingestion_time": ingested_at}
    return target_input(event, target, context=context)


def target_input(event: dict, target: dict, *, context: dict) -> str | None:
    """The payload text EventBridge delivers to ``target`` for ``event``.

    ``context`` carries ``rule_arn``, ``rule_name`` and ``ingestion_time`` (ISO-8601 text, or epoch
    seconds) for the predefined variables. Returns None when an ``InputPath`` selects nothing: AWS
    documents no payload for that case, so the engine should skip the delivery rather than invent one.
    """
    constant = target.get("Input")
    if constant is not None:
        return str(constant)
    path = target.get("InputPath")
    if path is not None:
        found, value = select(event, path)
        return to_json(value) if found else None
    transformer = target.get("InputTransformer")
    if transformer is not None:
        return transform(event, transformer, context=context)
    return to_json(event)


def transform(event: dict, transformer: dict, *, context: dict) -> str:
    """Fill ``InputTemplate`` from the event, ``InputPathsMap`` and the predefined variables."""
    template = transformer["InputTemplate"]
    paths = transformer.get("InputPathsMap") or {}
    values: dict[str, _Selection] = {name: select(event, path) for name, path in paths.items()}
    values.update(_predefined(event, context))
    return render(template, values)


def render(template: str, values: dict[str, _Selection]) -> str:
    """Substitute ``<name>`` placeholders, quoting by position when the template is JSON."""
    json_template = template.lstrip()[:1] in ("{", "[", '"')
    parts: list[str] = []
    in_string = False
    position = 0
    for match in _PLACEHOLDER.finditer(template):
        literal = template[position : match.start()]
        parts.append(literal)
        if json_template:
            in_string = _string_state_after(literal, in_string)
        parts.append(_substitute(values.get(match.group(1), (False, None)), json_template, in_string))
        position = match.end()
    parts.append(template[position:])
    return "".join(parts)


def _string_state_after(text: str, in_string: bool) -> bool:
    """Whether a JSON scan that starts inside/outside a string literal ends inside one."""
    escaped = False
    for char in text:
        if escaped:
            escaped = False
        elif char == "\\" and in_string:
            escaped = True
        elif char == '"':
            in_string = not in_string
    return in_string


def _substitute(selection: _Selection, json_template: bool, in_string: bool) -> str:
    found, value = selection
    if json_template and not in_string:
        return to_json(value) if found else '""'
    text = "" if not found else value if isinstance(value, str) else to_json(value)
    if not json_template:
        return text
    return json.dumps(text, ensure_ascii=False)[1:-1]


def _predefined(event: dict, context: dict) -> dict[str, _Selection]:
    ingestion = context.get("ingestion_time", event.get("time"))
    if isinstance(ingestion, int | float):
        ingestion = datetime.fromtimestamp(ingestion, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    envelope = {
        ("detailType" if key == "detail-type" else key): event[key] for key in _EVENT_VARIABLE_ORDER if key in event
    }
    for key, value in event.items():
        if key != "detail" and key not in _EVENT_VARIABLE_ORDER:
            envelope[key] = value
    return {
        RULE_ARN: (True, context.get("rule_arn", "")),
        RULE_NAME: (True, context.get("rule_name", "")),
        INGESTION_TIME: (True, ingestion),
        EVENT: (True, envelope),
        EVENT_JSON: (True, event),
    }


def to_json(value: Any) -> str:
    """Compact JSON as EventBridge delivers it (no spaces, non-ASCII kept as UTF-8)."""
    try:
        return orjson.dumps(value).decode()
    except TypeError:  # integers beyond 64 bits, which orjson refuses
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


# --- JSONPath ------------------------------------------------------------------------------------


def select(document: Any, path: str) -> _Selection:
    """Evaluate an EventBridge JSONPath: ``(True, value)``, or ``(False, None)`` when nothing matches.

    A wildcard makes the result the list of every match (possibly empty).
    """
    steps = compile_path(path)
    if steps is None:
        return False, None
    nodes = [document]
    many = False
    for kind, arg in steps:
        following: list[Any] = []
        for node in nodes:
            if kind == "key":
                if isinstance(node, dict) and arg in node:
                    following.append(node[arg])
            elif kind == "index":
                if isinstance(node, list) and arg < len(node):
                    following.append(node[arg])
            elif isinstance(node, dict):
                following.extend(node.values())
            elif isinstance(node, list):
                following.extend(node)
        many = many or kind == "all"
        nodes = following
    if many:
        return True, nodes
    return (True, nodes[0]) if nodes else (False, None)


@lru_cache(maxsize=4096)
def compile_path(path: str) -> tuple[_Step, ...] | None:
    """The steps of a supported JSONPath, or None when EventBridge would refuse it."""
    if not isinstance(path, str) or not path.startswith("$"):
        return None
    steps: list[_Step] = []
    i = 1
    while i < len(path):
        if path[i] == ".":
            end = i + 1
            while end < len(path) and path[end] not in ".[]":
                end += 1
            name = path[i + 1 : end]
            if not name:
                return None
            steps.append(("all", None) if name == "*" else ("key", name))
            i = end
        elif path[i] == "[":
            end = path.find("]", i)
            inside = path[i + 1 : end] if end > 0 else ""
            if inside == "*":
                steps.append(("all", None))
            elif inside.isdigit():
                steps.append(("index", int(inside)))
            else:
                return None
            i = end + 1
        else:
            return None
    return tuple(steps)


# --- PutTargets validation -----------------------------------------------------------------------


def validate_target_input(target: dict, *, position: int = 1) -> None:
    """PutTargets' checks on one target's Input / InputPath / InputTransformer.

    Every failure is a request-level ValidationException, as AWS answers these (not a per-target
    FailedEntries row). ``position`` is the target's 1-based place in ``Targets``, used in the
    model-constraint messages.
    """
    target_id = target.get("Id", "")
    given = [key for key in ("Input", "InputPath", "InputTransformer") if target.get(key) is not None]
    if len(given) > 1:
        raise ValidationException(
            f"Only one of Input, InputPath, or InputTransformer must be provided for target {target_id}."
        )
    if target.get("Input") is not None:
        try:
            json.loads(target["Input"])
        except ValueError:
            raise ValidationException(f"JSON syntax error in input for target {target_id}")
    if target.get("InputPath") is not None and compile_path(target["InputPath"]) is None:
        raise ValidationException(f"InputPath for target {target_id} is invalid.")
    if target.get("InputTransformer") is not None:
        validate_input_transformer(target["InputTransformer"], target_id=target_id, position=position)


def validate_input_transformer(transformer: dict, *, target_id: str = "", position: int = 1) -> None:
    """PutTargets' checks on an InputTransformer, with AWS's messages."""
    paths = transformer.get("InputPathsMap") or {}
    where = f"targets.{position}.member.inputTransformer.inputPathsMap"
    if len(paths) > MAX_PATHS:
        raise ValidationException(
            f"1 validation error detected: Value '{_java_map(paths)}' at '{where}' failed to satisfy constraint: "
            f"Member must have length less than or equal to {MAX_PATHS}"
        )
    for key in paths:
        if not _PATH_KEY.fullmatch(key) or len(key) > 256:
            raise ValidationException(
                f"1 validation error detected: Value '{_java_map(paths)}' at '{where}' failed to satisfy constraint: "
                "Map keys must satisfy constraint: [Member must satisfy regular expression pattern: [A-Za-z0-9\\_\\-]+]"
            )
    for path in paths.values():
        if compile_path(path) is None:
            raise ValidationException(f"InputPath for target {target_id} is invalid.")
    template = transformer.get("InputTemplate", "")
    object_template = template.lstrip().startswith("{")
    for name in _PLACEHOLDER.findall(template):
        if name not in paths and name not in PREDEFINED:
            raise ValidationException(f"InputTemplate for target {target_id} contains invalid placeholder {name}.")
        if name in _JSON_OBJECT_ONLY and not object_template:
            raise ValidationException(
                f"InputTemplate for target {target_id} contains placeholder {name} valid only for JSON template."
            )
    if template.lstrip()[:1] in ("{", "[", '"') and not _valid_json_shape(template):
        raise ValidationException(f"Input for target {target_id} is not a valid JSON text.")


def _valid_json_shape(template: str) -> bool:
    """Whether a JSON template stays JSON whatever its values are.

    Unquoted placeholders are tried as a number, which is legal wherever a value is and illegal
    as an object key (AWS: "The placeholder cannot be used as an object key").
    """
    probe = {name: (True, 0) for name in _PLACEHOLDER.findall(template)}
    try:
        json.loads(render(template, probe))
    except ValueError:
        return False
    return True


def _java_map(paths: dict) -> str:
    """A map as AWS's model-validation messages print it: ``{key=value, ...}``."""
    return "{" + ", ".join(f"{key}={value}" for key, value in paths.items()) + "}"
