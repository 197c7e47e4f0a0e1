"""Working days: Monday to Friday less bank holidays in England.

Bank holidays come from the maintained `holidays` package (England's list, including one-off days
such as coronations and jubilees), never from a hand-typed list.

Convention: **day 0 is the day of the trigger.** "Within n working days" of something that
happened on day 0 means by the end of the n-th working day after day 0, whatever day 0 itself
was (a referral on a Saturday is due by the end of Monday with n = 1). Days are UK calendar days
(Europe/London), so a referral at 23:30 on a summer evening belongs to that UK day, not the next
UTC one.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache

import holidays

from jigsaw.core.dates import UK

_SATURDAY = 5


@lru_cache(maxsize=512)
def _bank_holidays(year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("GB", subdiv="ENG", years=year))


def is_bank_holiday(d: date) -> bool:
    return d in _bank_holidays(d.year)


def is_working_day(d: date) -> bool:
    return d.weekday() < _SATURDAY and not is_bank_holiday(d)


def add_working_days(start: date, n: int) -> date:
    """The n-th working day after `start` (before it, for negative n); `start` itself never
    counts, so n = 0 gives `start`."""
    step = 1 if n >= 0 else -1
    day, left = start, abs(n)
    while left:
        day += timedelta(days=step)
        if is_working_day(day):
            left -= 1
    return day


def working_days_between(a: date, b: date) -> int:
    """Working days after `a` up to and including `b` (negative when b is before a), so that
    `working_days_between(a, add_working_days(a, n)) == n`."""
    if b < a:
        return -working_days_between(b, a)
    count, day = 0, a
    # Whole weeks first: each has exactly five weekdays, less its bank holidays.
    weeks = (b - a).days // 7
    if weeks:
        end = a + timedelta(weeks=weeks)
        count += weeks * 5 - sum(
            1
            for year in range(a.year, end.year + 1)
            for h in _bank_holidays(year)
            if a < h <= end and h.weekday() < _SATURDAY
        )
        day = end
    while day < b:
        day += timedelta(days=1)
        if is_working_day(day):
            count += 1
    return count


def end_of_uk_day(d: date) -> datetime:
    """The last instant (microsecond) of a UK calendar day, as an aware UTC datetime."""
    if d >= date.max - timedelta(days=1):  # no room for the next day: the end of time will do
        return datetime.max.replace(tzinfo=UTC)
    start_next = datetime.combine(d + timedelta(days=1), time(0, 0), tzinfo=UK)
    return (start_next - timedelta(microseconds=1)).astimezone(UTC)


def due_within_working_days(at: datetime, n: int) -> datetime:
    """When something that became due at the instant `at` must be done "within n working days":
    the end of the n-th working day after `at`'s UK date, as an aware UTC datetime. n = 0 is the
    end of that same UK day ("today")."""
    if at.tzinfo is None:
        raise ValueError("a due date needs an aware datetime")
    return end_of_uk_day(add_working_days(at.astimezone(UK).date(), n))
