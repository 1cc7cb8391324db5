"""The seam the execution side builds on: resolving a machine, version or alias ARN, and deleting
a machine whose executions still run. On every store; durable across a restart on SQLite."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import pytest

import eventyard
from eventyard.clock import VirtualClock
from eventyard.service import RequestContext
from eventyard.workflows.catalogue import DELETING, finish_deleting_in, pick_version, resolve_in
from tests.workflows.service.helpers import ROLE, create, definition, fails_with, machine_arn

CONTEXT = RequestContext()


async def _two_versions(sfn: Any, name: str) -> str:
    arn = (await create(sfn, name, definition(1), publish=True))["stateMachineArn"]
    await sfn.update_state_machine(stateMachineArn=arn, definition=definition(2), publish=True)
    return str(arn)


async def test_resolve_names_the_machine_its_current_revision(yard: eventyard.Yard) -> None:
    sfn = yard.client("stepfunctions")
    arn = await _two_versions(sfn, "current")
    revision = (await sfn.describe_state_machine(stateMachineArn=arn))["revisionId"]
    resolved = await yard.services["stepfunctions"].resolve(CONTEXT, arn)  # type: ignore[attr-defined]
    assert resolved.state_machine_arn == arn and resolved.version_arn is None and resolved.alias_arn is None
    assert resolved.definition == definition(2) and resolved.revision_id == revision
    assert (resolved.name, resolved.type, resolved.role_arn, resolved.status) == ("current", "STANDARD", ROLE, "ACTIVE")
    assert resolved.logging_configuration == {"level": "OFF", "includeExecutionData": False}
    assert resolved.tracing_configuration == {"enabled": False}


async def test_resolve_a_version_gives_its_frozen_configuration(yard: eventyard.Yard) -> None:
    sfn = yard.client("stepfunctions")
    arn = await _two_versions(sfn, "frozen")
    await sfn.update_state_machine(stateMachineArn=arn, definition=definition(3))
    resolved = await yard.services["stepfunctions"].catalogue.resolve(CONTEXT, f"{arn}:1")  # type: ignore[attr-defined]
    assert resolved.state_machine_arn == arn and resolved.version_arn == f"{arn}:1"
    assert resolved.definition == definition(1) and resolved.revision_id is None


async def test_resolve_an_alias_routes_by_weight_with_an_injected_draw(yard: eventyard.Yard) -> None:
    sfn = yard.client("stepfunctions")
    arn = await _two_versions(sfn, "canary")
    await sfn.create_state_machine_alias(
        name="live",
        routingConfiguration=[
            {"stateMachineVersionArn": f"{arn}:1", "weight": 90},
            {"stateMachineVersionArn": f"{arn}:2", "weight": 10},
        ],
    )
    catalogue = yard.services["stepfunctions"].catalogue  # type: ignore[attr-defined]
    draws = itertools.cycle([0.0, 0.899, 0.9, 0.999])
    catalogue.choose = lambda: next(draws)
    picked = [(await catalogue.resolve(CONTEXT, f"{arn}:live")).version_arn for _ in range(4)]
    assert picked == [f"{arn}:1", f"{arn}:1", f"{arn}:2", f"{arn}:2"]
    resolved = await catalogue.resolve(CONTEXT, f"{arn}:live")
    assert resolved.alias_arn == f"{arn}:live" and resolved.state_machine_arn == arn


def test_pick_version_never_takes_a_version_of_weight_zero() -> None:
    routing = [{"stateMachineVersionArn": "v1", "weight": 0}, {"stateMachineVersionArn": "v2", "weight": 100}]
    assert {pick_version(routing, draw / 100) for draw in range(100)} == {"v2"}


async def test_resolve_raises_aws_errors_for_each_kind_of_arn(yard: eventyard.Yard) -> None:
    sfn = yard.client("stepfunctions")
    arn = await _two_versions(sfn, "errors")
    catalogue = yard.services["stepfunctions"].catalogue  # type: ignore[attr-defined]
    for missing in (machine_arn("none"), f"{arn}:9", f"{arn}:nope"):
        await fails_with(
            "StateMachineDoesNotExist",
            catalogue.resolve(CONTEXT, missing),
            f"State Machine Does Not Exist: '{missing}'",
        )
    await fails_with("InvalidArn", catalogue.resolve(CONTEXT, "bad"), "Invalid Arn: 'Invalid ARN prefix: bad'")
    elsewhere = RequestContext(account="111111111111")
    await fails_with("StateMachineDoesNotExist", catalogue.resolve(elsewhere, arn))


async def test_resolve_in_runs_inside_a_job(yard: eventyard.Yard) -> None:
    sfn = yard.client("stepfunctions")
    arn = await _two_versions(sfn, "in-job")
    resolved = await yard.db.write(lambda c: resolve_in(c, "000000000000", "us-east-1", f"{arn}:2"))
    assert resolved.version_arn == f"{arn}:2" and resolved.definition == definition(2)


async def test_a_machine_with_running_executions_stays_deleting_until_they_end(yard: eventyard.Yard) -> None:
    sfn = yard.client("stepfunctions")
    service: Any = yard.services["stepfunctions"]
    arn = await _two_versions(sfn, "busy")
    service.running_executions = lambda c, machine: machine == arn
    await sfn.delete_state_machine(stateMachineArn=arn)
    described = await sfn.describe_state_machine(stateMachineArn=arn)
    assert described["status"] == DELETING
    assert (await service.resolve(CONTEXT, arn)).status == DELETING
    await fails_with("StateMachineDoesNotExist", sfn.describe_state_machine(stateMachineArn=f"{arn}:1"))
    await fails_with("StateMachineDeleting", sfn.update_state_machine(stateMachineArn=arn, definition=definition(5)))
    await fails_with("StateMachineDeleting", sfn.publish_state_machine_version(stateMachineArn=arn))
    await fails_with("StateMachineDeleting", create(sfn, "busy", definition(2)))
    assert await yard.db.write(lambda c: finish_deleting_in(c, arn)) is True
    await fails_with("StateMachineDoesNotExist", sfn.describe_state_machine(stateMachineArn=arn))
    assert await yard.db.write(lambda c: finish_deleting_in(c, arn)) is False


async def test_the_catalogue_survives_a_restart(tmp_path: Path) -> None:
    url = f"{tmp_path}/yard.db"
    clock = VirtualClock(start=1_800_000_000.0)
    async with eventyard.open(url, clock=clock) as yard:
        sfn = yard.client("stepfunctions")
        arn = await _two_versions(sfn, "lasting")
        await sfn.create_state_machine_alias(
            name="prod", routingConfiguration=[{"stateMachineVersionArn": f"{arn}:2", "weight": 100}]
        )
        await sfn.create_activity(name="work")
    async with eventyard.open(url, clock=clock) as yard:
        sfn = yard.client("stepfunctions")
        assert (await sfn.describe_state_machine(stateMachineArn=f"{arn}:2"))["definition"] == definition(2)
        resolved = await yard.services["stepfunctions"].resolve(CONTEXT, f"{arn}:prod")  # type: ignore[attr-defined]
        assert resolved.version_arn == f"{arn}:2"
        assert [a["name"] for a in (await sfn.list_activities())["activities"]] == ["work"]
        assert (await sfn.update_state_machine(stateMachineArn=arn, definition=definition(9), publish=True))[
            "stateMachineVersionArn"
        ] == f"{arn}:3"


@pytest.mark.parametrize(
    "arn", ["arn:aws:states:us-east-1:000000000000:stateMachine:", "arn:aws:states:::stateMachine:x"]
)
async def test_malformed_state_machine_arns_are_invalid(yard: eventyard.Yard, arn: str) -> None:
    await fails_with("InvalidArn", yard.client("stepfunctions").describe_state_machine(stateMachineArn=arn))
