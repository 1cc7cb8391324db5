"""Schedule expressions: what PutRule accepts, and when each rule fires (all times UTC)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from eventyard.bus.schedule import (
    INVALID_SCHEDULE,
    CronSchedule,
    RateSchedule,
    parse_schedule,
    scheduled_event,
)
from eventyard.errors import ValidationException

CASES = Path(__file__).parents[1] / "conformance" / "cases" / "events" / "schedule.json"


def at(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp()


def iso(t: float | None) -> str | None:
    return None if t is None else datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%d %H:%M")


def firings(expression: str, start: str, count: int = 3) -> list[str | None]:
    schedule = parse_schedule(expression)
    t: float | None = at(start)
    out: list[str | None] = []
    for _ in range(count):
        assert t is not None
        t = schedule.next_after(t)
        out.append(iso(t))
        if t is None:
            break
    return out


# --- the shared conformance cases ----------------------------------------------------------------


def _schedule_steps() -> list[tuple[str, bool]]:
    """(expression, accepted) for every PutRule step of schedule.json about the expression itself."""
    steps = []
    for case in json.loads(CASES.read_text()):
        for step in case["steps"]:
            expression = step.get("params", {}).get("ScheduleExpression")
            if step.get("call") != "PutRule" or expression is None:
                continue
            error = step.get("expect_error")
            if error is None:
                steps.append((expression, True))
            elif error.get("message_contains") == INVALID_SCHEDULE:
                steps.append((expression, False))
    return steps


@pytest.mark.parametrize(("expression", "accepted"), _schedule_steps())
def test_shared_schedule_case(expression: str, accepted: bool) -> None:
    if accepted:
        assert parse_schedule(expression).expression == expression
    else:
        with pytest.raises(ValidationException) as raised:
            parse_schedule(expression)
        assert raised.value.message == INVALID_SCHEDULE
        assert raised.value.code == "ValidationException"


def test_shared_cases_cover_both_outcomes() -> None:
    outcomes = {accepted for _, accepted in _schedule_steps()}
    assert outcomes == {True, False}


# --- what PutRule rejects --------------------------------------------------------------------------

RATE_REJECTED_BY_AWS = [  # AWS-validated list (LocalStack test_put_rule_with_invalid_schedule_rate)
    "rate(10 seconds)",
    "rate(10 years)",
    "rate(1 minutes)",
    "rate(1 hours)",
    "rate(1 days)",
    "rate(10 minute)",
    "rate(10 hour)",
    "rate(10 day)",
    "rate()",
    "rate(10)",
    "rate(10 minutess)",
    "rate(foo minutes)",
    "rate(0 minutes)",
    "rate(-10 minutes)",
    "rate(10 MINUTES)",
    "rate( 10 minutes )",
    " rate(10 minutes)",
]

CRON_REJECTED = [
    "cron(0 12 * * * *)",  # * in both day fields
    "cron(0 12 ? * ? *)",  # ? in both day fields
    "cron(0 12 * * ?)",  # five fields
    "cron(0 12 * * ? * *)",  # seven fields
    "cron(60 12 * * ? *)",
    "cron(0 24 * * ? *)",
    "cron(0 12 32 * ? *)",
    "cron(0 12 0 * ? *)",
    "cron(0 12 * 13 ? *)",
    "cron(0 12 ? * 0 *)",
    "cron(0 12 ? * 8 *)",
    "cron(0 12 * * ? 1969)",
    "cron(0 12 * * ? 2200)",
    "cron(0 12 ? * 3#1,6#3 *)",  # '#' must stand alone in day-of-week
    "cron(0 12 3#1 * ? *)",  # '#' only in day-of-week
    "cron(0 12 ? * 6#6 *)",
    "cron(0 12 ? * MON/2 *)",  # '/' is not a day-of-week wildcard
    "cron(0 12 ? * 2W *)",  # 'W' only in day-of-month
    "cron(L 12 * * ? *)",
    "cron(? 12 * * ? *)",
    "cron(0/0 * * * ? *)",
    "cron(0/60 * * * ? *)",
    "cron(0 12 * JANUARY ? *)",
    "cron(0 12 * * ? 2030-2026)",  # years do not wrap
    "cron(0  12 * * ? *)",
    "cron( 0 12 * * ? *)",
    "cron(0 12 * * ? *) ",
    "CRON(0 12 * * ? *)",
    "cron()",
    "",
    "every day",
]


@pytest.mark.parametrize("expression", RATE_REJECTED_BY_AWS + CRON_REJECTED)
def test_invalid_expression_is_rejected_with_aws_message(expression: str) -> None:
    with pytest.raises(ValidationException, match=r"^Parameter ScheduleExpression is not valid\.$"):
        parse_schedule(expression)


def test_expression_longer_than_the_model_allows_is_rejected() -> None:
    with pytest.raises(ValidationException):
        parse_schedule("cron(0 12 * * ? " + ",".join(["2030"] * 60) + ")")


@pytest.mark.parametrize(
    "expression",
    [
        "cron(0 10 * * ? *)",
        "cron(15 12 * * ? *)",
        "cron(0 8 1 * ? *)",
        "cron(0/10 * ? * MON-FRI *)",
        "cron(0/5 8-17 ? * MON-FRI *)",
        "cron(0/30 20-23 ? * MON-FRI *)",
        "cron(0/30 0-2 ? * MON-FRI *)",
        "cron(*/5 * * * ? *)",
        "cron(0 12 ? * mon-fri *)",  # names in any case, as Quartz reads them
        "cron(0 0 1 JAN,JUL ? 2026-2030)",
    ],
)
def test_documented_and_aws_accepted_expressions_parse(expression: str) -> None:
    assert isinstance(parse_schedule(expression), CronSchedule)


# --- rate ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expression", "period"),
    [
        ("rate(1 minute)", 60),
        ("rate(5 minutes)", 300),
        ("rate(1 hour)", 3600),
        ("rate(2 hours)", 7200),
        ("rate(1 day)", 86400),
        ("rate(3 days)", 259200),
    ],
)
def test_rate_period(expression: str, period: int) -> None:
    schedule = parse_schedule(expression)
    assert isinstance(schedule, RateSchedule)
    assert schedule.period == period


def test_rate_first_fires_one_period_after_the_anchor() -> None:
    schedule = parse_schedule("rate(5 minutes)")
    anchor = at("2026-03-01T10:02:17")
    assert schedule.next_after(anchor, anchor=anchor) == anchor + 300
    assert schedule.next_after(anchor - 1000, anchor=anchor) == anchor + 300


def test_rate_fires_strictly_after_t_on_the_anchor_grid() -> None:
    schedule = parse_schedule("rate(5 minutes)")
    anchor = 1000.0
    assert schedule.next_after(1300.0, anchor=anchor) == 1600.0  # a firing instant itself is not "after"
    assert schedule.next_after(1299.5, anchor=anchor) == 1300.0
    assert schedule.next_after(1000.0 + 300 * 10_000 + 1, anchor=anchor) == 1000.0 + 300 * 10_001


def test_rate_without_anchor_is_aligned_on_the_epoch() -> None:
    assert parse_schedule("rate(1 hour)").next_after(at("2026-03-01T10:02:17")) == at("2026-03-01T11:00:00")


# --- cron firing times ----------------------------------------------------------------------------


def test_weekdays_at_noon_skip_the_weekend() -> None:
    # 2026-11-27 is a Friday.
    assert firings("cron(0 12 ? * MON-FRI *)", "2026-11-27T13:00") == [
        "2026-11-30 12:00",
        "2026-12-01 12:00",
        "2026-12-02 12:00",
    ]


def test_every_fifteen_minutes_fires_strictly_after_t() -> None:
    assert firings("cron(0/15 * * * ? *)", "2026-01-01T13:07:30") == [
        "2026-01-01 13:15",
        "2026-01-01 13:30",
        "2026-01-01 13:45",
    ]
    assert firings("cron(0/15 * * * ? *)", "2026-01-01T13:15:00", 1) == ["2026-01-01 13:30"]
    assert firings("cron(0/15 * * * ? *)", "2026-12-31T23:59:59", 1) == ["2027-01-01 00:00"]


def test_slash_counts_from_its_start_value() -> None:
    assert firings("cron(1/10 * * * ? *)", "2026-01-01T13:52", 3) == [
        "2026-01-01 14:01",
        "2026-01-01 14:11",
        "2026-01-01 14:21",
    ]


def test_last_day_of_month_follows_leap_years() -> None:
    assert firings("cron(0 18 L * ? *)", "2028-01-31T19:00", 2) == ["2028-02-29 18:00", "2028-03-31 18:00"]
    assert firings("cron(0 18 L * ? *)", "2027-02-01T00:00", 1) == ["2027-02-28 18:00"]
    assert firings("cron(0 18 L * ? *)", "2100-02-01T00:00", 1) == ["2100-02-28 18:00"]  # 2100 is no leap year


def test_february_29th_fires_only_in_leap_years() -> None:
    assert firings("cron(0 0 29 FEB ? *)", "2025-01-01T00:00", 3) == [
        "2028-02-29 00:00",
        "2032-02-29 00:00",
        "2036-02-29 00:00",
    ]


def test_nth_weekday_of_month() -> None:
    # 6#3: the third Friday (6 = Friday, 1 = Sunday).
    assert firings("cron(0 9 ? * 6#3 *)", "2026-01-01T00:00") == [
        "2026-01-16 09:00",
        "2026-02-20 09:00",
        "2026-03-20 09:00",
    ]


def test_fifth_weekday_skips_months_without_one() -> None:
    # Mondays 2026: March has five (30th), April and May have four, June has five (29th).
    assert firings("cron(0 9 ? * MON#5 *)", "2026-03-01T00:00", 2) == ["2026-03-30 09:00", "2026-06-29 09:00"]


def test_last_weekday_of_month() -> None:
    # 5L: the last Thursday.
    assert firings("cron(0 8 ? * 5L *)", "2026-01-01T00:00") == [
        "2026-01-29 08:00",
        "2026-02-26 08:00",
        "2026-03-26 08:00",
    ]


def test_l_in_day_of_week_is_saturday() -> None:
    assert firings("cron(0 8 ? * L *)", "2026-01-01T00:00", 2) == ["2026-01-03 08:00", "2026-01-10 08:00"]


def test_nearest_weekday_moves_off_weekends() -> None:
    # 15 Feb 2026 is a Sunday -> Monday 16th; 15 Aug 2026 is a Saturday -> Friday 14th.
    assert firings("cron(0 8 15W * ? *)", "2026-01-01T00:00", 2) == ["2026-01-15 08:00", "2026-02-16 08:00"]
    assert firings("cron(0 8 15W * ? *)", "2026-08-01T00:00", 1) == ["2026-08-14 08:00"]


def test_nearest_weekday_never_leaves_the_month() -> None:
    # 1 Aug 2026 is a Saturday -> Monday 3rd (not Friday 31 July); 31 May 2026 is a Sunday -> Friday 29th.
    assert firings("cron(0 8 1W * ? *)", "2026-07-02T00:00", 1) == ["2026-08-03 08:00"]
    assert firings("cron(0 8 31W * ? *)", "2026-05-01T00:00", 1) == ["2026-05-29 08:00"]


def test_last_weekday_of_month_lw() -> None:
    # 31 Jan 2026 is a Saturday, 28 Feb 2026 a Saturday, 31 Mar 2026 a Tuesday.
    assert firings("cron(0 8 LW * ? *)", "2026-01-01T00:00") == [
        "2026-01-30 08:00",
        "2026-02-27 08:00",
        "2026-03-31 08:00",
    ]


def test_day_31_skips_short_months() -> None:
    assert firings("cron(0 0 31 * ? *)", "2026-04-01T00:00", 2) == ["2026-05-31 00:00", "2026-07-31 00:00"]


def test_day_of_week_one_is_sunday() -> None:
    assert firings("cron(0 0 ? * 1 *)", "2026-01-01T00:00", 1) == ["2026-01-04 00:00"]
    assert firings("cron(0 0 ? * SUN *)", "2026-01-01T00:00", 1) == ["2026-01-04 00:00"]


def test_ranges_lists_and_steps_combine() -> None:
    assert firings("cron(30 8-17/3 ? * TUE,THU *)", "2026-01-06T09:00", 5) == [
        "2026-01-06 11:30",
        "2026-01-06 14:30",
        "2026-01-06 17:30",
        "2026-01-08 08:30",
        "2026-01-08 11:30",
    ]


def test_ranges_wrap_around_the_end_of_a_field() -> None:
    assert firings("cron(0 22-1 ? * FRI-MON *)", "2026-01-02T21:00", 5) == [  # Friday 2 Jan 2026
        "2026-01-02 22:00",
        "2026-01-02 23:00",
        "2026-01-03 00:00",
        "2026-01-03 01:00",
        "2026-01-03 22:00",
    ]
    assert firings("cron(0 0 1 NOV-FEB ? *)", "2026-02-02T00:00", 2) == ["2026-11-01 00:00", "2026-12-01 00:00"]


def test_month_names_and_numbers_agree() -> None:
    assert firings("cron(0 0 1 MAR ? *)", "2026-01-01T00:00") == firings("cron(0 0 1 3 ? *)", "2026-01-01T00:00")


def test_year_field_limits_firings_and_exhausts() -> None:
    assert firings("cron(0 0 1 1 ? 2030)", "2026-06-01T00:00", 2) == ["2030-01-01 00:00", None]
    assert firings("cron(0 0 1 1 ? 2026/2)", "2026-06-01T00:00", 2) == ["2028-01-01 00:00", "2030-01-01 00:00"]
    assert firings("cron(0 0 1 1 ? *)", "2199-06-01T00:00", 1) == [None]


def test_impossible_date_never_fires() -> None:
    assert firings("cron(0 0 30 FEB ? *)", "2026-01-01T00:00", 1) == [None]


def test_time_before_1970_starts_at_the_first_allowed_year() -> None:
    assert iso(parse_schedule("cron(0 0 1 1 ? *)").next_after(-1e9)) == "1970-01-01 00:00"


# --- the Scheduled Event envelope ------------------------------------------------------------------


def test_scheduled_event_has_aws_shape_and_order() -> None:
    arn = "arn:aws:events:us-east-1:000000000000:rule/nightly"
    event = scheduled_event(arn, "000000000000", "us-east-1", at("2026-03-01T10:05:00") + 0.75, "e-1")
    assert list(event) == ["version", "id", "detail-type", "source", "account", "time", "region", "resources", "detail"]
    assert event == {
        "version": "0",
        "id": "e-1",
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": "000000000000",
        "time": "2026-03-01T10:05:00Z",
        "region": "us-east-1",
        "resources": [arn],
        "detail": {},
    }
