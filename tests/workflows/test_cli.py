"""``eventyard workflow run|validate`` called through its functions, and once as a module."""

from __future__ import annotations

import argparse
import io
import json
import pathlib
import subprocess
import sys

import pytest

from eventyard.workflows.cli import add_commands, main

WAITING = {
    "StartAt": "Hold",
    "States": {
        "Hold": {"Type": "Wait", "Seconds": 86400, "Next": "Done"},
        "Done": {"Type": "Pass", "Parameters": {"got.$": "$.n"}, "End": True},
    },
}


def _parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="eventyard")
    add_commands(parser.add_subparsers(dest="command", required=True))
    return parser.parse_args(argv)


def _invoke(argv: list[str]) -> tuple[int, dict]:
    args = _parse(argv)
    out = io.StringIO()
    code = args.handler(args, out)
    return code, json.loads(out.getvalue()) if out.getvalue() else {}


@pytest.fixture
def definition_file(tmp_path: pathlib.Path) -> pathlib.Path:
    path = tmp_path / "waiting.asl.json"
    path.write_text(json.dumps(WAITING))
    return path


def test_run_prints_result_without_waiting_a_day(definition_file: pathlib.Path) -> None:
    code, body = _invoke(["workflow", "run", str(definition_file), "--input", '{"n": 3}'])
    assert code == 0
    assert body == {"status": "SUCCEEDED", "output": {"got": 3}, "error": None, "cause": None}


def test_run_reads_input_from_a_file_and_can_print_history(
    definition_file: pathlib.Path, tmp_path: pathlib.Path
) -> None:
    (tmp_path / "in.json").write_text('{"n": "x"}')
    code, body = _invoke(["workflow", "run", str(definition_file), "--input", f"@{tmp_path / 'in.json'}", "--history"])
    assert code == 0
    assert body["output"] == {"got": "x"}
    assert body["history"][0]["type"] == "ExecutionStarted"


def test_failed_execution_is_printed_and_exits_non_zero(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "fail.json"
    path.write_text(json.dumps({"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "E", "Cause": "C"}}}))
    code, body = _invoke(["workflow", "run", str(path)])
    assert code == 3
    assert body == {"status": "FAILED", "output": None, "error": "E", "cause": "C"}


def test_invalid_definition_exits_non_zero(tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"StartAt": "Nowhere", "States": {"A": {"Type": "Pass", "End": True}}}))
    code, _ = _invoke(["workflow", "run", str(path)])
    assert code == 1
    assert "InvalidDefinition" in capsys.readouterr().err


def test_bad_input_json_is_a_usage_error(definition_file: pathlib.Path) -> None:
    code, _ = _invoke(["workflow", "run", str(definition_file), "--input", "{nope"])
    assert code == 2


def test_validate_prints_diagnostics(definition_file: pathlib.Path, tmp_path: pathlib.Path) -> None:
    code, body = _invoke(["workflow", "validate", str(definition_file)])
    assert (code, body["result"], body["diagnostics"]) == (0, "OK", [])
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"StartAt": "Nowhere", "States": {"A": {"Type": "Pass", "End": True}}}))
    code, body = _invoke(["workflow", "validate", str(path)])
    assert code == 1
    assert body["result"] == "FAIL"
    assert body["diagnostics"][0]["severity"] == "ERROR"


def test_main_runs_the_commands(definition_file: pathlib.Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["workflow", "run", str(definition_file), "--input", '{"n": 1}']) == 0
    assert json.loads(capsys.readouterr().out)["output"] == {"got": 1}


def test_module_entry_point(definition_file: pathlib.Path) -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "eventyard.workflows.cli",
            "workflow",
            "run",
            str(definition_file),
            "--input",
            '{"n": 2}',
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert json.loads(done.stdout)["output"] == {"got": 2}


MOCKED = {
    "StartAt": "Charge",
    "States": {
        "Charge": {
            "Type": "Task",
            "Resource": "arn:aws:states:::lambda:invoke",
            "Parameters": {"FunctionName": "charge", "Payload.$": "$"},
            "Retry": [{"ErrorEquals": ["Lambda.TooManyRequestsException"], "MaxAttempts": 3, "IntervalSeconds": 1}],
            "OutputPath": "$.Payload",
            "End": True,
        }
    },
}
MOCKS = {
    "StateMachines": {"checkout": {"TestCases": {"Flaky": {"Charge": "FlakyCharge"}, "Broke": {"Charge": "Broke"}}}},
    "MockedResponses": {
        "FlakyCharge": {
            "0-1": {"Throw": {"Error": "Lambda.TooManyRequestsException", "Cause": "slow down"}},
            "2": {"Return": {"StatusCode": 200, "Payload": {"charged": True}}},
        },
        "Broke": {"0": {"Throw": {"Error": "Payment.Declined", "Cause": "no funds"}}},
    },
}


def test_run_answers_tasks_from_a_step_functions_local_mock_config(tmp_path: pathlib.Path) -> None:
    definition, mocks = tmp_path / "checkout.asl.json", tmp_path / "mocks.json"
    definition.write_text(json.dumps(MOCKED))
    mocks.write_text(json.dumps(MOCKS))
    command = ["workflow", "run", str(definition), "--mock-config", str(mocks), "--history"]
    code, body = _invoke([*command, "--test-case", "Flaky"])
    assert (code, body["status"], body["output"]) == (0, "SUCCEEDED", {"charged": True})
    assert [e["type"] for e in body["history"]].count("TaskFailed") == 2
    code, body = _invoke([*command, "--test-case", "Broke"])
    assert (code, body["status"], body["error"]) == (3, "FAILED", "Payment.Declined")


def test_a_mock_config_that_skips_an_attempt_is_refused(tmp_path: pathlib.Path) -> None:
    definition, mocks = tmp_path / "checkout.asl.json", tmp_path / "mocks.json"
    definition.write_text(json.dumps(MOCKED))
    broken = {**MOCKS, "MockedResponses": {**MOCKS["MockedResponses"], "Broke": {"1": {"Return": {}}}}}
    mocks.write_text(json.dumps(broken))
    code, _ = _invoke(["workflow", "run", str(definition), "--mock-config", str(mocks), "--test-case", "Broke"])
    assert code == 2
