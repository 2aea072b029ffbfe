"""Dates the way the council counts them: working days, and days, weeks and months
added the way the Rust SDK adds them (a month added to 31 January is 28 or 29
February), so a Python plugin and a Rust one plan the same dates.

In the sandbox, working days come from the host (the council's nation's bank
holidays); natively (``pytest``) they are Monday to Friday less the bank holidays
a test sets with ``waymark_sdk.testing.bank_holidays``.
"""

from __future__ import annotations

import calendar as _calendar
import datetime
from typing import Set

from .contract import Date, PolicyError

# The longest run of non-working days a calendar may have (a generous Christmas).
LONGEST_BREAK_DAYS = 31

try:  # In the component: the host's calendar and log.
    from wit_world.imports import host as _host  # type: ignore[import-not-found]
    from wit_world.imports import types as _wit  # type: ignore[import-not-found]
except ImportError:  # Natively: weekends and the test's bank holidays.
    _host = None
    _wit = None

_native_bank_holidays: Set[Date] = set()
_native_log: list = []


def is_working_day(day: Date) -> bool:
    """Whether the council works on ``day`` (weekends and bank holidays it does not)."""
    if _host is not None:
        return bool(_host.is_working_day(_wit.Date(day.year, day.month, day.day)))
    return day.weekday() < 5 and day not in _native_bank_holidays


def next_working_day_from(day: Date) -> Date:
    """``day`` if it is a working day, else the next one."""
    candidate = day
    for _ in range(LONGEST_BREAK_DAYS + 1):
        if is_working_day(candidate):
            return candidate
        candidate = add_days(candidate, 1)
    raise PolicyError(
        f"the council's calendar has no working day in the {LONGEST_BREAK_DAYS} days from "
        f"{day.isoformat()}; check its bank holidays"
    )


def add_working_days(day: Date, n: int) -> Date:
    current = day
    for _ in range(n):
        current = next_working_day_from(add_days(current, 1))
    return current


def add_days(day: Date, n: int) -> Date:
    try:
        return day + datetime.timedelta(days=n)
    except OverflowError:
        raise _out_of_range(day, n, "days") from None


def add_weeks(day: Date, n: int) -> Date:
    return add_days(day, 7 * n)


def add_months(day: Date, n: int) -> Date:
    """``n`` calendar months later, the day clamped to the month's last."""
    months = day.year * 12 + (day.month - 1) + n
    year, month0 = divmod(months, 12)
    if not datetime.MINYEAR <= year <= datetime.MAXYEAR:
        raise _out_of_range(day, n, "months")
    last = _calendar.monthrange(year, month0 + 1)[1]
    return datetime.date(year, month0 + 1, min(day.day, last))


_WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
_MONTHS = [
    "January", "February", "March", "April", "May", "June", "July", "August",
    "September", "October", "November", "December",
]


def describe(day: Date) -> str:
    """A date as people write it: "Monday 5 January 2026"."""
    return f"{_WEEKDAYS[day.weekday()]} {day.day} {_MONTHS[day.month - 1]} {day.year}"


def log(message: str) -> None:
    """A line for the decision log. Never personal data; long lines are cut."""
    if _host is not None:
        _host.log(message)
    else:
        _native_log.append(message)


def _out_of_range(day: Date, n: int, unit: str) -> PolicyError:
    return PolicyError(f"{day.isoformat()} plus {n} {unit} is past the end of the calendar")
