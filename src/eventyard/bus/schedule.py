"""EventBridge rule schedules: ``rate(...)`` and ``cron(...)`` expressions, and when they fire.

PutRule accepts a ``ScheduleExpression`` on the default bus. AWS rejects anything it cannot read with
``ValidationException`` "Parameter ScheduleExpression is not valid." and the same text is raised here
for every syntax error, so the gateway needs no knowledge of schedules.

Rules followed (EventBridge user guide, "Cron expressions reference" and "Rate expressions", plus
AWS-validated LocalStack cases):

* ``rate(value unit)``: one space, ``value`` a positive integer, ``unit`` lower case ``minute``,
  ``hour``, ``day`` when the value is 1 and ``minutes``, ``hours``, ``days`` otherwise. No spaces
  inside the parentheses, none around the expression; seconds, years and upper case are rejected.
* ``cron(Minutes Hours Day-of-month Month Day-of-week Year)``, all UTC. Wildcards per field as the
  reference table lists them: ``, - * /`` everywhere except day-of-week (``, - * ? L #``) and
  day-of-month (``, - * ? / L W``). Exactly one of day-of-month and day-of-week is ``?``. Day-of-week
  runs 1-7 with 1 = Sunday (or SUN-SAT); months 1-12 or JAN-DEC (names in any case, as Quartz reads
  them); years 1970-2199. A ``#`` expression must stand alone in day-of-week. Ranges may wrap
  (``FRI-MON``, ``22-2``) as in Quartz, except for years.

Next firing times are found field by field (year, month, day, hour, minute), never minute by minute,
so an expression that fires once a year or never (``cron(0 0 30 FEB ? *)``) costs at most a few
thousand set look-ups.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from eventyard.errors import ValidationException

INVALID_SCHEDULE = "Parameter ScheduleExpression is not valid."

FIRST_YEAR = 1970
LAST_YEAR = 2199

_RATE = re.compile(r"rate\(([0-9]+) (minute|minutes|hour|hours|day|days)\)")
_CRON = re.compile(r"cron\((.*)\)", re.DOTALL)
_UNIT_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}
_MONTH_NAMES = {name.upper(): n for n, name in enumerate(calendar.month_abbr) if name}
_DAY_NAMES = {"SUN": 1, "MON": 2, "TUE": 3, "WED": 4, "THU": 5, "FRI": 6, "SAT": 7}


def _invalid() -> ValidationException:
    return ValidationException(INVALID_SCHEDULE)


class Schedule:
    """A parsed schedule expression; ``next_after`` tells when it fires next."""

    expression: str

    def next_after(self, t: float, anchor: float | None = None) -> float | None:
        """The first firing time strictly after epoch seconds ``t``; None when the schedule is exhausted."""
        raise NotImplementedError


@dataclass(frozen=True)
class RateSchedule(Schedule):
    """``rate(value unit)``: a firing every ``period`` seconds.

    AWS starts counting a rate schedule when the rule is created (or enabled), so firings fall at
    ``anchor + k * period`` for k = 1, 2, ...: the first one a full period after the anchor. The
    caller passes the rule's creation/enable time as ``anchor``; without one the firings are aligned
    on multiples of the period since the epoch, which keeps a stateless caller deterministic.
    """

    expression: str
    period: int

    def next_after(self, t: float, anchor: float | None = None) -> float | None:
        base = 0.0 if anchor is None else anchor
        if t < base:
            return base + self.period
        steps = int((t - base) // self.period) + 1
        return base + steps * self.period


@dataclass(frozen=True)
class DaySpec:
    """Which days of a month a cron expression allows (day-of-month or day-of-week form).

    ``days`` are plain day numbers (day-of-month) or weekday numbers 1-7 (day-of-week); ``last``
    is ``L`` (last day of month, or Saturday in day-of-week); ``last_weekday`` is ``LW``;
    ``nearest_weekday`` holds the ``nW`` days; ``last_of_weekday`` the ``nL`` weekdays and
    ``nth_weekday`` the ``n#k`` pairs. ``any`` marks ``*``/``?``.
    """

    by_weekday: bool
    any: bool = False
    days: frozenset[int] = frozenset()
    last: bool = False
    last_weekday: bool = False
    nearest_weekday: frozenset[int] = frozenset()
    last_of_weekday: frozenset[int] = frozenset()
    nth_weekday: frozenset[tuple[int, int]] = frozenset()

    def days_in(self, year: int, month: int) -> list[int]:
        """The sorted days of ``year``-``month`` this spec allows."""
        first_weekday, length = calendar.monthrange(year, month)  # Monday = 0
        if self.any:
            return list(range(1, length + 1))
        chosen: set[int] = set()
        if self.by_weekday:
            # Quartz numbering: Sunday = 1 ... Saturday = 7; Python's monthrange gives Monday = 0.
            first = (first_weekday + 1) % 7 + 1
            weekdays = set(self.days) | ({7} if self.last else set())
            for day in range(1, length + 1):
                weekday = (first - 1 + day - 1) % 7 + 1
                if weekday in weekdays:
                    chosen.add(day)
                if weekday in self.last_of_weekday and day + 7 > length:
                    chosen.add(day)
                if (weekday, (day - 1) // 7 + 1) in self.nth_weekday:
                    chosen.add(day)
            return sorted(chosen)
        chosen.update(d for d in self.days if d <= length)
        if self.last:
            chosen.add(length)
        if self.last_weekday:
            chosen.add(_nearest_weekday(year, month, length, length))
        for day in self.nearest_weekday:
            if day <= length:
                chosen.add(_nearest_weekday(year, month, day, length))
        return sorted(chosen)


def _nearest_weekday(year: int, month: int, day: int, length: int) -> int:
    """The weekday (Mon-Fri) nearest ``day`` without leaving the month, as Quartz's ``W`` defines it."""
    weekday = calendar.weekday(year, month, day)  # Monday = 0 ... Sunday = 6
    if weekday == 5:  # Saturday: Friday before, or Monday after when the 1st is a Saturday
        return day - 1 if day > 1 else day + 2
    if weekday == 6:  # Sunday: Monday after, or Friday before when it is the last day
        return day + 1 if day < length else day - 2
    return day


@dataclass(frozen=True)
class CronSchedule(Schedule):
    """``cron(...)``: firings at whole UTC minutes matching every field."""

    expression: str
    minutes: tuple[int, ...]
    hours: tuple[int, ...]
    months: tuple[int, ...]
    years: tuple[int, ...]
    day_spec: DaySpec

    def next_after(self, t: float, anchor: float | None = None) -> float | None:
        """The first whole minute strictly after ``t`` that the expression allows (``anchor`` is unused)."""
        start_minute = int(t // 60) + 1
        if start_minute * 60 < _EPOCH_FIRST:
            start_minute = _EPOCH_FIRST // 60
        start = datetime.fromtimestamp(start_minute * 60, UTC)
        for year in self.years:
            if year < start.year:
                continue
            for month in self.months:
                if (year, month) < (start.year, start.month):
                    continue
                same_month = (year, month) == (start.year, start.month)
                for day in self.day_spec.days_in(year, month):
                    if same_month and day < start.day:
                        continue
                    same_day = same_month and day == start.day
                    for hour in self.hours:
                        if same_day and hour < start.hour:
                            continue
                        same_hour = same_day and hour == start.hour
                        for minute in self.minutes:
                            if same_hour and minute < start.minute:
                                continue
                            fire = datetime(year, month, day, hour, minute, tzinfo=UTC)
                            return fire.timestamp()
        return None


_EPOCH_FIRST = int(datetime(FIRST_YEAR, 1, 1, tzinfo=UTC).timestamp())


def parse_schedule(expression: str) -> Schedule:
    """Parse a PutRule ``ScheduleExpression``; ValidationException with AWS's text when it is not valid."""
    if not isinstance(expression, str) or len(expression) > 256:
        raise _invalid()
    rate = _RATE.fullmatch(expression)
    if rate is not None:
        return _parse_rate(expression, int(rate.group(1)), rate.group(2))
    cron = _CRON.fullmatch(expression)
    if cron is not None:
        return _parse_cron(expression, cron.group(1))
    raise _invalid()


def _parse_rate(expression: str, value: int, unit: str) -> RateSchedule:
    plural = unit.endswith("s")
    if value < 1 or plural == (value == 1):
        raise _invalid()
    return RateSchedule(expression, value * _UNIT_SECONDS[unit.rstrip("s")])


@dataclass(frozen=True)
class _Field:
    low: int
    high: int
    names: dict[str, int]
    wraps: bool = True


_MINUTE = _Field(0, 59, {})
_HOUR = _Field(0, 23, {})
_DOM = _Field(1, 31, {})
_MONTH = _Field(1, 12, _MONTH_NAMES)
_DOW = _Field(1, 7, _DAY_NAMES)
_YEAR = _Field(FIRST_YEAR, LAST_YEAR, {}, wraps=False)


def _parse_cron(expression: str, body: str) -> CronSchedule:
    fields = body.split(" ")
    if len(fields) != 6 or any(not f or f != f.strip() for f in fields):
        raise _invalid()
    minute, hour, dom, month, dow, year = (f.upper() for f in fields)
    if (dom == "?") == (dow == "?"):
        raise _invalid()
    day_spec = _parse_dom(dom) if dow == "?" else _parse_dow(dow)
    return CronSchedule(
        expression,
        minutes=_values(minute, _MINUTE),
        hours=_values(hour, _HOUR),
        months=_values(month, _MONTH),
        years=_values(year, _YEAR),
        day_spec=day_spec,
    )


def _number(token: str, field: _Field) -> int:
    if token in field.names:
        return field.names[token]
    if not token.isdigit():
        raise _invalid()
    value = int(token)
    if not field.low <= value <= field.high:
        raise _invalid()
    return value


def _span(low: int, high: int, field: _Field) -> list[int]:
    """Values from ``low`` to ``high`` inclusive, wrapping past the field's end when ``low > high``."""
    if low <= high:
        return list(range(low, high + 1))
    if not field.wraps:
        raise _invalid()
    return list(range(low, field.high + 1)) + list(range(field.low, high + 1))


def _item_values(item: str, field: _Field) -> list[int]:
    """One comma-separated item of a plain field: ``*``, ``n``, ``a-b``, each optionally ``/step``."""
    base, slash, step_text = item.partition("/")
    step = 1
    if slash:
        if not step_text.isdigit() or not 1 <= int(step_text) <= max(field.high, 1):
            raise _invalid()
        step = int(step_text)
    if base == "*":
        span = list(range(field.low, field.high + 1))
    elif "-" in base:
        low_text, _, high_text = base.partition("-")
        span = _span(_number(low_text, field), _number(high_text, field), field)
    else:
        start = _number(base, field)
        # ``n/step`` runs from n to the end of the field, like ``n-max/step``.
        span = list(range(start, field.high + 1)) if slash else [start]
    return span[::step]


def _values(text: str, field: _Field) -> tuple[int, ...]:
    if text == "?" or not text:
        raise _invalid()
    values: set[int] = set()
    for item in text.split(","):
        values.update(_item_values(item, field))
    return tuple(sorted(values))


def _parse_dom(text: str) -> DaySpec:
    if text == "*":
        return DaySpec(by_weekday=False, any=True)
    days: set[int] = set()
    nearest: set[int] = set()
    last = last_weekday = False
    for item in text.split(","):
        if item == "L":
            last = True
        elif item == "LW":
            last_weekday = True
        elif item.endswith("W"):
            nearest.add(_number(item[:-1], _DOM))
        else:
            days.update(_item_values(item, _DOM))
    return DaySpec(
        by_weekday=False,
        days=frozenset(days),
        last=last,
        last_weekday=last_weekday,
        nearest_weekday=frozenset(nearest),
    )


def _parse_dow(text: str) -> DaySpec:
    if text == "*":
        return DaySpec(by_weekday=True, any=True)
    items = text.split(",")
    if "#" in text:
        # AWS: "If you use a '#' character, you can define only one expression in the day-of-week field."
        if len(items) != 1:
            raise _invalid()
        weekday_text, _, nth_text = text.partition("#")
        if not nth_text.isdigit() or not 1 <= int(nth_text) <= 5:
            raise _invalid()
        return DaySpec(by_weekday=True, nth_weekday=frozenset({(_number(weekday_text, _DOW), int(nth_text))}))
    days: set[int] = set()
    last_of: set[int] = set()
    last = False
    for item in items:
        if "/" in item:
            raise _invalid()
        if item == "L":
            last = True
        elif item.endswith("L"):
            last_of.add(_number(item[:-1], _DOW))
        else:
            days.update(_item_values(item, _DOW))
    return DaySpec(by_weekday=True, days=frozenset(days), last=last, last_of_weekday=frozenset(last_of))


def scheduled_event(rule_arn: str, account: str, region: str, fire_time: float, event_id: str) -> dict:
    """The "Scheduled Event" EventBridge delivers when a schedule fires, keys in AWS's order.

    ``time`` is the scheduled time (whole seconds, UTC, ``YYYY-MM-DDTHH:MM:SSZ``), not the moment the
    engine got round to it, so a late delivery still says which firing it is.
    """
    stamp = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(seconds=int(fire_time // 1))
    return {
        "version": "0",
        "id": event_id,
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": account,
        "time": stamp.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": region,
        "resources": [rule_arn],
        "detail": {},
    }
