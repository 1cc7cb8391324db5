"""``eventyard workflow run|validate``: the interpreter and the validator from the command line.

    eventyard workflow run order.asl.json --input '{"id": 7}' [--history]
    eventyard workflow run order.asl.json --input @input.json
    eventyard workflow run order.asl.json --mock-config mocks.json --test-case HappyPath
    eventyard workflow validate order.asl.json

``run`` executes the definition in-process on a VirtualClock that jumps over waits, and prints one
JSON object ``{status, output, error, cause}`` (plus ``history`` with ``--history``). Task states
run against mocked responses in Step Functions Local's format (``--mock-config``, see
:mod:`eventyard.workflows.mocks`); the state machine's name in that file is the definition file's
name up to its first dot (``order`` for ``order.asl.json``) unless ``--name-of-machine`` says
otherwise. Exit status: 0 when the execution SUCCEEDED, 3 when it FAILED, TIMED_OUT or was ABORTED
(the result is printed either way), 1 for an invalid definition, 2 for a wrong command line.
``validate`` prints what ValidateStateMachineDefinition answers: ``{result, diagnostics}``.
"""

from __future__ import annotations

import argparse
import asyncio
import pathlib
import sys
from typing import Any, TextIO

import orjson

from eventyard.clock import VirtualClock
from eventyard.errors import InvalidDefinition
from eventyard.workflows.interpreter import Interpreter, new_execution_info

EXIT_OK = 0
EXIT_INVALID = 1
EXIT_USAGE = 2
EXIT_NOT_SUCCEEDED = 3


def add_commands(subparsers: argparse._SubParsersAction) -> None:
    """Register ``workflow`` with its ``run`` and ``validate`` subcommands."""
    workflow = subparsers.add_parser("workflow", help="run or validate an Amazon States Language definition")
    commands = workflow.add_subparsers(dest="workflow_command", required=True)
    run = commands.add_parser("run", help="run a definition in-process and print its result")
    run.add_argument("definition", help="path of the state machine definition (JSON)")
    run.add_argument("--input", default="{}", help="execution input: JSON text, or @file")
    run.add_argument("--name", default=None, help="execution name (default: a UUID)")
    run.add_argument("--history", action="store_true", help="include the execution history")
    run.add_argument("--mock-config", metavar="FILE", help="mocked task responses (Step Functions Local's format)")
    run.add_argument("--test-case", metavar="NAME", help="the test case of --mock-config to run")
    run.add_argument("--name-of-machine", metavar="NAME", help="the state machine's name in --mock-config")
    run.set_defaults(handler=run_command)
    validate = commands.add_parser("validate", help="check a definition as CreateStateMachine would")
    validate.add_argument("definition", help="path of the state machine definition (JSON)")
    validate.set_defaults(handler=validate_command)


def run_command(args: argparse.Namespace, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    try:
        definition = _read_text(args.definition)
        input_value = _read_input(args.input)
    except (OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    machine_name = args.name_of_machine or pathlib.Path(args.definition).name.split(".")[0] or "workflow"
    try:
        tasks = _mocked_tasks(args, machine_name)
    except (OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    try:
        _validate(definition)
        result = asyncio.run(
            _run(definition, input_value, machine_name, args.name, with_history=args.history, tasks=tasks)
        )
    except InvalidDefinition as exc:
        print(f"error: {exc.code}: {exc.message}", file=sys.stderr)
        return EXIT_INVALID
    out.write(orjson.dumps(result, option=orjson.OPT_INDENT_2).decode() + "\n")
    return EXIT_OK if result["status"] == "SUCCEEDED" else EXIT_NOT_SUCCEEDED


def _mocked_tasks(args: argparse.Namespace, machine_name: str) -> Any:
    if not getattr(args, "mock_config", None):
        if getattr(args, "test_case", None):
            raise ValueError("--test-case needs --mock-config")
        return None
    from eventyard.workflows.mocks import MockConfig, MockedTasks
    from eventyard.workflows.tasks import CallableTasks

    if not args.test_case:
        raise ValueError("--mock-config needs --test-case")
    return MockedTasks(MockConfig.load(args.mock_config), machine_name, args.test_case, CallableTasks())


def validate_command(args: argparse.Namespace, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    try:
        definition = _read_text(args.definition)
    except OSError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    from eventyard.workflows import validate

    found = validate.diagnostics(definition)
    failed = any(item.get("severity") == "ERROR" for item in found)
    response = {"result": "FAIL" if failed else "OK", "diagnostics": found}
    out.write(orjson.dumps(response, option=orjson.OPT_INDENT_2).decode() + "\n")
    return EXIT_INVALID if failed else EXIT_OK


async def _run(
    definition: str, input_value: Any, machine_name: str, name: str | None, *, with_history: bool, tasks: Any = None
) -> dict[str, Any]:
    clock = VirtualClock(auto_advance=True)
    info = new_execution_info(machine_name, name, input=input_value, start_time=clock.now())
    result = await Interpreter(definition, clock=clock, tasks=tasks).run(input_value, info=info)
    return result.to_json(with_history=with_history)


def _validate(definition: str) -> None:
    from eventyard.workflows.validate import validate_definition

    validate_definition(definition)


def _read_text(path: str) -> str:
    return pathlib.Path(path).read_text()


def _read_input(text: str) -> Any:
    if text.startswith("@"):
        text = pathlib.Path(text[1:]).read_text()
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        raise ValueError(f"--input is not valid JSON: {exc}") from None


def main(argv: list[str] | None = None) -> int:
    """``python -m eventyard.workflows.cli workflow run ...``: the commands without the main CLI."""
    parser = argparse.ArgumentParser(prog="eventyard")
    add_commands(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    handler = args.handler
    code: int = handler(args)
    return code


if __name__ == "__main__":
    sys.exit(main())
