"""A state machine definition parsed into the shapes the interpreter walks.

Parsing is the first step of parse -> validate -> evaluate: it reads the JSON (text or dict),
settles each state's query language (a state's ``QueryLanguage`` overrides the machine's, which
defaults to ``JSONPath``) and gathers the fields every state type shares. It does not judge the
definition: ``validate.validate_definition`` does, with AWS's messages. The raw state dict stays
on each :class:`State` so that type-specific modules read their own fields (``Seconds``,
``Choices``, ``ItemReader``...) without a parse layer per field.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import orjson

from eventyard.errors import InvalidDefinition

JSONPATH = "JSONPath"
JSONATA = "JSONata"


class _Absent:
    """Marks a field that is not in the definition, apart from one set to ``null``."""

    _instance: _Absent | None = None

    def __new__(cls) -> _Absent:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "ABSENT"

    def __bool__(self) -> bool:
        return False


ABSENT: Any = _Absent()


@dataclass(slots=True)
class Retrier:
    """One element of ``Retry`` with AWS's defaults (IntervalSeconds 1, MaxAttempts 3, BackoffRate 2)."""

    error_equals: tuple[str, ...]
    interval_seconds: Any = 1
    max_attempts: Any = 3
    backoff_rate: float = 2.0
    max_delay_seconds: Any = None
    jitter_strategy: str = "NONE"


@dataclass(slots=True)
class Catcher:
    """One element of ``Catch``: where to go, and how the error output reaches the next state."""

    error_equals: tuple[str, ...]
    next: str
    result_path: Any = ABSENT
    output: Any = ABSENT
    assign: Any = ABSENT


@dataclass(slots=True)
class State:
    """One state: the shared fields, parsed; everything else in ``raw``."""

    name: str
    type: str
    raw: dict[str, Any]
    query_language: str
    next: str | None = None
    end: bool = False
    input_path: Any = ABSENT
    output_path: Any = ABSENT
    parameters: Any = ABSENT
    result_selector: Any = ABSENT
    result_path: Any = ABSENT
    arguments: Any = ABSENT
    output: Any = ABSENT
    assign: Any = ABSENT
    retry: list[Retrier] = field(default_factory=list)
    catch: list[Catcher] = field(default_factory=list)
    branches: list[StateMachine] = field(default_factory=list)
    processor: StateMachine | None = None
    compiled: Any = None  # a type module's precomputed form of its fields (Choice rules ...)

    @property
    def jsonata(self) -> bool:
        return self.query_language == JSONATA


@dataclass(slots=True)
class StateMachine:
    """A machine or a nested one (a Parallel branch, a Map's ItemProcessor)."""

    start_at: str
    states: dict[str, State]
    query_language: str = JSONPATH
    timeout_seconds: Any = None
    comment: str | None = None
    processor_config: dict[str, Any] = field(default_factory=dict)
    raw: dict[str, Any] = field(default_factory=dict)


def load_definition(definition: str | bytes | dict[str, Any]) -> dict[str, Any]:
    """The definition as a dict; text that is not a JSON object is an InvalidDefinition."""
    if isinstance(definition, dict):
        return definition
    try:
        loaded = orjson.loads(definition)
    except orjson.JSONDecodeError as exc:
        raise InvalidDefinition(f"Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: {exc}'") from exc
    if not isinstance(loaded, dict):
        raise InvalidDefinition("Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: not a JSON object'")
    return loaded


def parse_definition(definition: str | bytes | dict[str, Any]) -> StateMachine:
    """Parse a whole definition. Raises InvalidDefinition only when it cannot be walked at all."""
    raw = load_definition(definition)
    return _parse_machine(raw, raw.get("QueryLanguage", JSONPATH), "")


def _parse_machine(raw: Any, inherited_language: str, where: str) -> StateMachine:
    if not isinstance(raw, dict) or not isinstance(raw.get("States"), dict) or not isinstance(raw.get("StartAt"), str):
        raise InvalidDefinition(
            "Invalid State Machine Definition: "
            f"'SCHEMA_VALIDATION_FAILED: StartAt and States are required at {where or '/'}'"
        )
    language = raw.get("QueryLanguage", inherited_language)
    states: dict[str, State] = {}
    for name, body in raw["States"].items():
        if not isinstance(body, dict):
            raise InvalidDefinition(
                f"Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED at {where}/States/{name}'"
            )
        states[name] = _parse_state(name, body, language, f"{where}/States/{name}")
    return StateMachine(
        start_at=raw["StartAt"],
        states=states,
        query_language=language,
        timeout_seconds=raw.get("TimeoutSeconds"),
        comment=raw.get("Comment"),
        processor_config=raw.get("ProcessorConfig") or {},
        raw=raw,
    )


def _parse_state(name: str, raw: dict[str, Any], machine_language: str, where: str) -> State:
    language = raw.get("QueryLanguage", machine_language)
    state = State(
        name=name,
        type=str(raw.get("Type")),
        raw=raw,
        query_language=language,
        next=raw.get("Next"),
        end=raw.get("End") is True,
        input_path=raw.get("InputPath", ABSENT),
        output_path=raw.get("OutputPath", ABSENT),
        parameters=raw.get("Parameters", ABSENT),
        result_selector=raw.get("ResultSelector", ABSENT),
        result_path=raw.get("ResultPath", ABSENT),
        arguments=raw.get("Arguments", ABSENT),
        output=raw.get("Output", ABSENT),
        assign=raw.get("Assign", ABSENT),
        retry=[_parse_retrier(r) for r in raw.get("Retry") or [] if isinstance(r, dict)],
        catch=[_parse_catcher(c) for c in raw.get("Catch") or [] if isinstance(c, dict)],
    )
    if state.type == "Parallel":
        state.branches = [
            _parse_machine(branch, language, f"{where}/Branches[{i}]")
            for i, branch in enumerate(raw.get("Branches") or [])
        ]
    elif state.type == "Map":
        processor = raw.get("ItemProcessor", raw.get("Iterator"))
        state.processor = _parse_machine(processor, language, f"{where}/ItemProcessor")
    return state


def _parse_retrier(raw: dict[str, Any]) -> Retrier:
    return Retrier(
        error_equals=tuple(raw.get("ErrorEquals") or ()),
        interval_seconds=raw.get("IntervalSeconds", 1),
        max_attempts=raw.get("MaxAttempts", 3),
        backoff_rate=float(raw.get("BackoffRate", 2.0)),
        max_delay_seconds=raw.get("MaxDelaySeconds"),
        jitter_strategy=raw.get("JitterStrategy", "NONE"),
    )


def _parse_catcher(raw: dict[str, Any]) -> Catcher:
    return Catcher(
        error_equals=tuple(raw.get("ErrorEquals") or ()),
        next=str(raw.get("Next")),
        result_path=raw.get("ResultPath", ABSENT),
        output=raw.get("Output", ABSENT),
        assign=raw.get("Assign", ABSENT),
    )


def iter_states(machine: StateMachine) -> list[State]:
    """Every state of a machine, nested branches and item processors included."""
    found: list[State] = []
    for state in machine.states.values():
        found.append(state)
        for branch in state.branches:
            found.extend(iter_states(branch))
        if state.processor is not None:
            found.extend(iter_states(state.processor))
    return found
