"""The bus on the kernel: an older database's outbox becomes kernel deliveries, and deliveries no
service can make are counted, not silently lost."""

from __future__ import annotations

from pathlib import Path

import eventyard
from eventyard.clock import VirtualClock
from tests.bus.bus_helpers import bodies, drain, entry, queue

_OLD_OUTBOX = """CREATE TABLE bus_deliveries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    account TEXT NOT NULL, region TEXT NOT NULL, rule_arn TEXT NOT NULL, target_id TEXT NOT NULL,
    event TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, ingested_at DOUBLE PRECISION NOT NULL,
    due_at DOUBLE PRECISION NOT NULL, claimed_until DOUBLE PRECISION NOT NULL DEFAULT 0)"""


async def test_an_outbox_left_by_an_earlier_release_is_delivered_after_the_upgrade(tmp_path: Path) -> None:
    clock = VirtualClock(start=1_800_000_000.0)
    path = str(tmp_path / "yard.db")
    async with eventyard.open(path, clock=clock) as yard:
        events, sqs = yard.client("events"), yard.client("sqs")
        url, arn = await queue(sqs, "kept")
        rule_arn = (await events.put_rule(Name="r", EventPattern='{"source": ["shop.orders"]}'))["RuleArn"]
        await events.put_targets(Rule="r", Targets=[{"Id": "q", "Arn": arn}])

        def downgrade(c) -> None:  # the database as the release before the kernel left it
            c.execute(_OLD_OUTBOX)
            c.execute(
                "INSERT INTO bus_deliveries (account, region, rule_arn, target_id, event, ingested_at, due_at)"
                " VALUES ('000000000000', 'us-east-1', ?, 'q', ?, ?, ?)",
                (rule_arn, '{"id": "old-1", "source": "shop.orders", "detail": {}}', clock.now(), clock.now()),
            )
            c.execute("DELETE FROM eventyard_migrations WHERE component = 'bus' AND version = 2")

        await yard.db.write(downgrade)
    async with eventyard.open(path, clock=clock) as yard:
        sqs = yard.client("sqs")
        assert [event["id"] for event in bodies(await drain(sqs, url, expect=1))] == ["old-1"]
        tables = await yard.db.read(
            lambda c: [r[0] for r in c.execute("SELECT name FROM sqlite_master WHERE name = 'bus_deliveries'")]
        )
        assert tables == []


async def test_a_target_no_service_delivers_to_is_counted_as_dropped(yard: eventyard.Yard) -> None:
    events = yard.client("events")
    await events.put_rule(Name="r", EventPattern='{"source": ["shop.orders"]}')
    await events.put_targets(Rule="r", Targets=[{"Id": "t", "Arn": "arn:aws:ssm:us-east-1:000000000000:document/x"}])
    await events.put_events(Entries=[entry(), entry()])
    await yard.run_until_idle()
    assert yard.kernel.metrics.get("events.delivery", "dropped") == 2
    lines = "\n".join(yard.kernel.metrics.render())
    assert 'eventyard_kernel_timers_total{job="events.delivery",outcome="dropped"} 2' in lines


async def test_a_target_that_stays_down_is_retried_for_the_events_age_in_no_time(
    yard: eventyard.Yard, clock: VirtualClock
) -> None:
    """Given an API destination nobody listens at, when an event is routed to it, then it is tried
    again with back-off until MaximumEventAgeInSeconds and dead-lettered, all on the virtual clock."""
    events, sqs = yard.client("events"), yard.client("sqs")
    dlq_url, dlq_arn = await queue(sqs, "letters")
    auth = {"ApiKeyAuthParameters": {"ApiKeyName": "k", "ApiKeyValue": "v"}}
    connection = await events.create_connection(Name="c", AuthorizationType="API_KEY", AuthParameters=auth)
    destination = await events.create_api_destination(
        Name="down", ConnectionArn=connection["ConnectionArn"], InvocationEndpoint="http://127.0.0.1:9/x",
        HttpMethod="POST",
    )  # fmt: skip
    target = {
        "Id": "d",
        "Arn": destination["ApiDestinationArn"],
        "DeadLetterConfig": {"Arn": dlq_arn},
        "RetryPolicy": {"MaximumRetryAttempts": 185, "MaximumEventAgeInSeconds": 3600},
    }
    await events.put_rule(Name="r", EventPattern='{"source": ["shop.orders"]}')
    await events.put_targets(Rule="r", Targets=[target])
    await events.put_events(Entries=[entry()])
    await yard.advance(2 * 3600)
    [letter] = await drain(sqs, dlq_url, expect=1)
    attributes = {k: v["StringValue"] for k, v in letter["MessageAttributes"].items()}
    assert attributes["EXHAUSTED_RETRY_CONDITION"] == "MaximumEventAgeInSeconds"
    assert 5 < int(attributes["RETRY_ATTEMPTS"]) < 185
    assert yard.kernel.metrics.get("events.delivery", "retried") == int(attributes["RETRY_ATTEMPTS"])
