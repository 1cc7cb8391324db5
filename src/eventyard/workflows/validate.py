"""Create-time validation of Amazon States Language definitions, refusing exactly what AWS refuses.

CreateStateMachine, UpdateStateMachine and ValidateStateMachineDefinition all read a definition
through here. A problem is a :class:`Diagnostic` (code, message, location) worded as AWS words it;
CreateStateMachine joins them into one ``InvalidDefinition`` message::

    Invalid State Machine Definition: 'MISSING_TRANSITION_TARGET: Missing 'Next' target: pass3 at
    /States/pass1/Next, MISSING_TRANSITION_TARGET: State "pass2" is not reachable. at /States/pass2'

The rules, in the order they run: the JSON itself; the top-level fields; each scope (the machine,
each Parallel branch, each Map processor) with its states (validate_states and its siblings); and
last each scope's transitions: every ``Next``/``Default``/``StartAt`` names a state of the same
scope, every state is reachable, and the machine has a terminal state.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from eventyard.errors import InvalidDefinition, ValidationException
from eventyard.workflows.validate_report import (
    DUPLICATE_STATE_NAME,
    INVALID_JSON_DESCRIPTION,
    INVALID_STATE_NAME,
    MAX_SECONDS,
    MISSING_END_STATE,
    MISSING_TRANSITION_TARGET,
    SCHEMA,
    Diagnostic,
    Report,
    StateContext,
    check_fields,
    check_integer,
    check_object,
    check_string,
)
from eventyard.workflows.validate_states import check_state, state_is_terminal

MAX_DEFINITION_LENGTH = 1_048_576
MAX_STATE_NAME_LENGTH = 80

_MACHINE_FIELDS = frozenset({"Comment", "StartAt", "States", "TimeoutSeconds", "Version", "QueryLanguage"})
_SCOPE_FIELDS = frozenset({"Comment", "StartAt", "States"})
_QUERY_LANGUAGES = ["JSONPath", "JSONata"]
_NOT_AN_OBJECT = Diagnostic(SCHEMA, "Definition must be a valid JSON object")


class _JsonObject(dict[str, Any]):
    """A parsed JSON object that remembers keys written twice (a state name given twice)."""

    def __init__(self, pairs: list[tuple[str, Any]]) -> None:
        super().__init__()
        self.repeated: list[str] = []
        for key, value in pairs:
            if key in self:
                self.repeated.append(key)
            self[key] = value


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"Non-standard token '{name}'")


def _parse(definition: str) -> tuple[Any, Diagnostic | None]:
    """The JSON value of ``definition``, or the INVALID_JSON_DESCRIPTION diagnostic AWS gives instead."""
    try:
        return json.loads(definition, object_pairs_hook=_JsonObject, parse_constant=_refuse_constant), None
    except json.JSONDecodeError as error:
        source = f'[Source: (String)"{definition[:500]}"; line: {error.lineno}, column: {error.colno}]'
        return None, Diagnostic(INVALID_JSON_DESCRIPTION, f"{error.msg}\n at {source}", source)
    except ValueError as error:
        return None, Diagnostic(INVALID_JSON_DESCRIPTION, str(error), None)


class _Walker:
    """Walks the machine scope by scope, collecting diagnostics into one report."""

    def __init__(self, report: Report, machine: Mapping[str, Any], machine_type: str) -> None:
        self.report = report
        self.express = machine_type == "EXPRESS"
        declared = machine.get("QueryLanguage", "JSONPath")
        # Only the exact string "JSONPath" means JSONPath; AWS reads any other value as JSONata.
        self.machine_jsonata = declared != "JSONPath"
        self.state_names: set[str] = set()

    def check_machine(self, machine: Mapping[str, Any]) -> None:
        report = self.report
        check_fields(report, machine, _MACHINE_FIELDS, "/")
        self._check_query_language(machine, "/QueryLanguage")
        if "Comment" in machine:
            check_string(report, machine["Comment"], "/Comment")
        if "Version" in machine and machine["Version"] != "1.0":
            report.one_of(["1.0"], "/Version")
        if "TimeoutSeconds" in machine:
            check_integer(report, machine["TimeoutSeconds"], "/TimeoutSeconds", 0, MAX_SECONDS)
        self.check_scope(machine, "", frozenset(), top=True)

    def _check_query_language(self, holder: Mapping[str, Any], location: str) -> None:
        if "QueryLanguage" not in holder:
            return
        if not isinstance(holder["QueryLanguage"], str):
            self.report.wrong_type("STRING", location)
        elif holder["QueryLanguage"] not in _QUERY_LANGUAGES:
            self.report.one_of(_QUERY_LANGUAGES, location)

    def check_scope(self, scope: Any, location: str, extra_fields: frozenset[str], *, top: bool = False) -> None:
        """A ``{"StartAt", "States"}`` object: the machine (``location`` "") or a branch or processor."""
        report = self.report
        here = location or "/"
        if not check_object(report, scope, here):
            return
        if not top:
            check_fields(report, scope, _SCOPE_FIELDS | extra_fields, here)
        missing = [name for name in ("States", "StartAt") if name not in scope]
        if missing:
            report.required(missing, here)
        if "StartAt" in scope:
            check_string(report, scope["StartAt"], f"{location}/StartAt")
        states = scope.get("States")
        if states is None or not check_object(report, states, f"{location}/States"):
            return
        for name, state in states.items():
            self._check_named_state(name, state, f"{location}/States/{name}")
        for name in getattr(states, "repeated", ()):
            report.add(DUPLICATE_STATE_NAME, f"Duplicate State name: {name}", f"{location}/States/{name}")
        _check_transitions(report, scope, states, location, top=top)

    def _check_named_state(self, name: str, state: Any, location: str) -> None:
        report = self.report
        if len(name) > MAX_STATE_NAME_LENGTH:
            report.add(
                INVALID_STATE_NAME,
                f"Invalid State name: State '{name}' exceeds the {MAX_STATE_NAME_LENGTH}-character limit allowed "
                "by the service",
                location,
            )
        if name in self.state_names:
            report.add(DUPLICATE_STATE_NAME, f"Duplicate State name: {name}", location)
        self.state_names.add(name)
        if not check_object(report, state, location):
            return
        jsonata = self.machine_jsonata
        downgraded = False
        if "QueryLanguage" in state:
            declared = state["QueryLanguage"]
            downgraded = self.machine_jsonata and declared == "JSONPath"
            if downgraded:
                report.schema(
                    "'QueryLanguage' can not be 'JSONPath' if set to 'JSONata' for whole state machine", location
                )
            jsonata = declared != "JSONPath"
        context = StateContext(report, name, location, state, jsonata, self.check_scope)
        check_state(context, check_language=not downgraded)
        self._check_query_language(state, f"{location}/QueryLanguage")
        if self.express:
            self._check_express_integration(state, f"{location}/Resource")

    def _check_express_integration(self, state: Mapping[str, Any], location: str) -> None:
        """Express workflows cannot wait: no ``.sync`` job, no ``.waitForTaskToken`` callback, no activity.

        The texts are AWS-recorded, spaces included: only the callback's ends with a space before the
        location."""
        resource = state.get("Resource")
        if state.get("Type") != "Task" or not isinstance(resource, str):
            return
        if resource.endswith(".waitForTaskToken"):
            self.report.schema(
                "Express state machine does not support '.waitForTaskToken' service integration ", location
            )
        elif resource.endswith((".sync", ".sync:2")):
            self.report.schema("Express state machine does not support '.sync' service integration", location)
        elif resource.startswith("arn:") and resource.split(":")[2:3] == ["states"] and ":activity:" in resource:
            self.report.schema("Express state machine does not support Activity ARN", location)


def _targets(state: Mapping[str, Any], location: str) -> list[tuple[Any, str]]:
    """Every state name ``state`` can transition to, with the location of the field that names it."""
    found: list[tuple[Any, str]] = []
    state_type = state.get("Type")
    if "Next" in state and state_type not in ("Choice", "Succeed", "Fail"):
        found.append((state["Next"], f"{location}/Next"))
    if state_type == "Choice":
        rules = state.get("Choices")
        for index, rule in enumerate(rules if isinstance(rules, list) else []):
            if isinstance(rule, Mapping) and "Next" in rule:
                found.append((rule["Next"], f"{location}/Choices[{index}]/Next"))
        if "Default" in state:
            found.append((state["Default"], f"{location}/Default"))
    catchers = state.get("Catch")
    if state_type in ("Task", "Parallel", "Map") and isinstance(catchers, list):
        for index, catcher in enumerate(catchers):
            if isinstance(catcher, Mapping) and "Next" in catcher:
                found.append((catcher["Next"], f"{location}/Catch[{index}]/Next"))
    return found


def _check_transitions(
    report: Report, scope: Mapping[str, Any], states: Mapping[str, Any], location: str, *, top: bool
) -> None:
    """Targets exist in this scope, every state is reachable from StartAt, the machine can end.

    A machine with no terminal state at all gets MISSING_END_STATE alone (no reachability
    report); AWS asks this of the top-level scope only.
    """
    edges: dict[str, list[str]] = {}
    for name, state in states.items():
        edges[name] = []
        if not isinstance(state, Mapping):
            continue
        for target, where in _targets(state, f"{location}/States/{name}"):
            if not isinstance(target, str):
                continue
            if target in states:
                edges[name].append(target)
            else:
                report.add(MISSING_TRANSITION_TARGET, f"Missing 'Next' target: {target}", where)
    start = scope.get("StartAt")
    if isinstance(start, str) and start not in states:
        report.add(MISSING_TRANSITION_TARGET, f"Missing 'Next' target: {start}", f"{location}/StartAt")
    if top and not any(state_is_terminal(state) for state in states.values()):
        report.add(MISSING_END_STATE, "Workflow has no terminal state", None)
        return
    if not isinstance(start, str):  # a missing StartAt is reported alone (AWS-recorded): nothing is reachable from it
        return
    reached: set[str] = set()
    pending = [start] if isinstance(start, str) and start in states else []
    while pending:
        name = pending.pop()
        if name not in reached:
            reached.add(name)
            pending.extend(edges[name])
    for name in states:
        if name not in reached:
            report.add(MISSING_TRANSITION_TARGET, f'State "{name}" is not reachable.', f"{location}/States/{name}")


def check_definition(definition: str | Mapping[str, Any], machine_type: str = "STANDARD") -> list[Diagnostic]:
    """Every problem AWS would report in ``definition`` (JSON text or an already parsed object)
    for a state machine of ``machine_type`` (STANDARD or EXPRESS).

    Raises ValidationException for text longer than the 1,048,576 characters the API takes: AWS
    refuses that at the request level, before the definition is read.
    """
    if isinstance(definition, str):
        if len(definition) > MAX_DEFINITION_LENGTH:
            raise ValidationException(
                "1 validation error detected: Value at 'definition' failed to satisfy constraint: "
                f"Member must have length less than or equal to {MAX_DEFINITION_LENGTH}"
            )
        if not definition.strip():
            return [_NOT_AN_OBJECT]
        machine, problem = _parse(definition)
        if problem is not None:
            return [problem]
    else:
        machine = definition
    if not isinstance(machine, Mapping):
        return [_NOT_AN_OBJECT]
    report = Report()
    _Walker(report, machine, machine_type).check_machine(machine)
    return report.items


def diagnostics(definition: str | Mapping[str, Any], machine_type: str = "STANDARD") -> list[dict[str, str]]:
    """ValidateStateMachineDefinition's ``diagnostics``: ``severity``, ``code``, ``message``, ``location``."""
    return [diagnostic.as_dict() for diagnostic in check_definition(definition, machine_type)]


def invalid_definition_message(found: list[Diagnostic]) -> str:
    """CreateStateMachine's text for the errors found, joined as AWS joins them."""
    return "Invalid State Machine Definition: '" + ", ".join(item.render() for item in found) + "'"


def validate_definition(definition: str | Mapping[str, Any], machine_type: str = "STANDARD") -> None:
    """Raise InvalidDefinition, worded as CreateStateMachine's, unless AWS would accept ``definition``."""
    errors = [item for item in check_definition(definition, machine_type) if item.severity == "ERROR"]
    if errors:
        raise InvalidDefinition(invalid_definition_message(errors))
