"""Mocked task responses in Step Functions Local's format, which users' existing tests are written in.

::

    {
      "StateMachines": {
        "Checkout": {"TestCases": {"HappyPath": {"Charge": "ChargeOk", "Notify": "Sent"}}}
      },
      "MockedResponses": {
        "ChargeOk": {"0": {"Return": {"StatusCode": 200, "Payload": {"charged": true}}}},
        "Flaky":    {"0-1": {"Throw": {"Error": "Lambda.TooManyRequestsException", "Cause": "slow down"}},
                     "2": {"Return": {"ok": true}}}
      }
    }

An execution runs a test case when it is started on ``<state machine ARN>#<test case>`` (or, from
the command line, ``--mock-config FILE --test-case NAME``). A Task state the test case names gets
the mocked response of its attempt instead of calling anything: the keys of a mocked response are
zero-based attempt numbers (a state's first try is 0, its first retry 1) or inclusive ranges
(``"1-2"``), consecutive from 0; each holds exactly one of ``Return`` (any JSON: the task's result)
or ``Throw`` (``Error`` and ``Cause``: the task fails with them). An attempt past the last one
defined is an error. A ``.waitForTaskToken`` task with a mock does not wait: its task token is
generated and the mocked response is its outcome. States the test case does not name call their
real integration.
"""

from __future__ import annotations

import os
import pathlib
import re
from dataclasses import dataclass
from typing import Any

import orjson

from eventyard.workflows.errors import StatesError

ENVIRONMENT = "SFN_MOCK_CONFIG"
_RANGE = re.compile(r"^(\d+)(?:-(\d+))?$")


class MockConfigError(ValueError):
    """The mock configuration is not one Step Functions Local would accept (the message says why)."""


@dataclass(frozen=True, slots=True)
class MockedAttempt:
    returned: Any = None
    error: str | None = None
    cause: str | None = None
    throws: bool = False

    def outcome(self) -> Any:
        if self.throws:
            raise StatesError(self.error or "States.TaskFailed", self.cause or "")
        return self.returned


class MockConfig:
    """A parsed mock configuration: test cases by state machine name, responses by attempt."""

    def __init__(self, document: Any) -> None:
        if not isinstance(document, dict):
            raise MockConfigError("the mock configuration must be a JSON object")
        machines = document.get("StateMachines", {})
        responses = document.get("MockedResponses", {})
        if not isinstance(machines, dict) or not isinstance(responses, dict):
            raise MockConfigError("StateMachines and MockedResponses must be objects")
        self.responses = {name: _attempts(name, value) for name, value in responses.items()}
        self.cases: dict[tuple[str, str], dict[str, str]] = {}
        for machine, body in machines.items():
            cases = (body or {}).get("TestCases", {}) if isinstance(body, dict) else None
            if not isinstance(cases, dict):
                raise MockConfigError(f"state machine {machine}: TestCases must be an object")
            for case, states in cases.items():
                if not isinstance(states, dict):
                    raise MockConfigError(f"test case {machine}/{case} must map state names to mocked responses")
                for state, response in states.items():
                    if response not in self.responses:
                        raise MockConfigError(
                            f"test case {machine}/{case}: state {state} names {response!r}, not in MockedResponses"
                        )
                self.cases[(machine, case)] = dict(states)

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> MockConfig:
        try:
            document = orjson.loads(pathlib.Path(path).read_bytes())
        except orjson.JSONDecodeError as error:
            raise MockConfigError(f"{path} is not JSON: {error}") from None
        return cls(document)

    @classmethod
    def from_environment(cls) -> MockConfig | None:
        path = os.environ.get(ENVIRONMENT)
        return cls.load(path) if path else None

    def has_case(self, machine: str, case: str) -> bool:
        return (machine, case) in self.cases

    def attempt(self, machine: str, case: str, state: str, attempt: int) -> MockedAttempt | None:
        """The mocked response of ``state``'s attempt ``attempt`` in a test case; None: not mocked."""
        states = self.cases.get((machine, case))
        if states is None or state not in states:
            return None
        attempts = self.responses[states[state]]
        if attempt >= len(attempts):
            raise StatesError(
                "States.Runtime",
                f"The mocked response {states[state]!r} of state '{state}' has no attempt {attempt} "
                f"(it defines {len(attempts)}).",
            )
        return attempts[attempt]


def _attempts(name: str, value: Any) -> list[MockedAttempt]:
    if not isinstance(value, dict) or not value:
        raise MockConfigError(f"mocked response {name} must map attempt numbers to responses")
    spans: list[tuple[int, int, MockedAttempt]] = []
    for key, response in value.items():
        found = _RANGE.match(str(key))
        if found is None:
            raise MockConfigError(f"mocked response {name}: {key!r} is not an attempt number or a range like 1-2")
        first = int(found.group(1))
        last = int(found.group(2)) if found.group(2) is not None else first
        if last < first:
            raise MockConfigError(f"mocked response {name}: the range {key!r} runs backwards")
        spans.append((first, last, _response(name, key, response)))
    spans.sort(key=lambda span: span[0])
    attempts: list[MockedAttempt] = []
    for first, last, response in spans:
        if first != len(attempts):
            raise MockConfigError(
                f"mocked response {name}: attempts must be consecutive from 0 (missing {len(attempts)})"
            )
        attempts += [response] * (last - first + 1)
    return attempts


def _response(name: str, key: str, response: Any) -> MockedAttempt:
    if not isinstance(response, dict) or len({"Return", "Throw"} & set(response)) != 1 or len(response) != 1:
        raise MockConfigError(f"mocked response {name}[{key}] must hold exactly one of Return or Throw")
    if "Return" in response:
        return MockedAttempt(returned=response["Return"])
    thrown = response["Throw"]
    if not isinstance(thrown, dict) or not isinstance(thrown.get("Error"), str):
        raise MockConfigError(f"mocked response {name}[{key}]: Throw needs an Error (and may have a Cause)")
    return MockedAttempt(error=thrown["Error"], cause=thrown.get("Cause"), throws=True)


class MockedTasks:
    """A TaskInvoker that answers the test case's mocked states and hands the rest to ``fallback``."""

    def __init__(self, config: MockConfig, machine: str, case: str, fallback: Any) -> None:
        if not config.has_case(machine, case):
            raise MockConfigError(f"the mock configuration has no test case {case!r} for state machine {machine!r}")
        self.config = config
        self.machine = machine
        self.case = case
        self.fallback = fallback
        self.handles_deadlines = getattr(fallback, "handles_deadlines", False)

    async def invoke(self, request: Any) -> Any:
        attempt = int((request.attempt or {}).get("retry", 0))
        mocked = self.config.attempt(self.machine, self.case, request.state_name, attempt)
        if mocked is None:
            return await self.fallback.invoke(request)
        return mocked.outcome()
