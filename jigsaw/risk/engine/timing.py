"""Calendar arithmetic the rules share: months, ages, due dates, and dates as people say them."""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache

from jigsaw.core.dates import UK, uk_date
from jigsaw.core.workdays import add_working_days, due_within_working_days, end_of_uk_day

__all__ = [
    "add_months",
    "age_phrase",
    "day_phrase",
    "deadline_after_days",
    "deadline_after_months",
    "deadline_after_working_days",
    "end_of_uk_day",
    "months_old",
    "start_of_uk_day",
    "uk_date",
    "within_months",
    "years_old",
]

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def add_months(d: date, months: int) -> date:
    """The same day of the month `months` later (earlier if negative); the 31st becomes the last
    day of a shorter month. Clamped to the calendar's range rather than failing on odd input."""
    index = d.year * 12 + d.month - 1 + months
    year, month = divmod(index, 12)
    if year < 1:
        return date.min
    if year > 9999:
        return date.max
    return date(year, month + 1, min(d.day, _month_days(year, month + 1)))


_DAYS_IN_MONTH = (0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def _month_days(year: int, month: int) -> int:
    """`calendar.monthrange(year, month)[1]`, without the weekday it also works out."""
    return 29 if month == 2 and calendar.isleap(year) else _DAYS_IN_MONTH[month]


def within_months(earlier: date, later: date, months: int) -> bool:
    """True when `later` is no more than `months` calendar months after `earlier`."""
    return earlier <= later <= add_months(earlier, months)


def months_old(born: date, on: date) -> int | None:
    """Completed months of age on a date; None before birth. A child born on the 31st turns a
    month older on the last day of a shorter month."""
    if on < born:
        return None
    months = (on.year - born.year) * 12 + on.month - born.month
    if add_months(born, months) > on:
        months -= 1
    return months


def years_old(born: date, on: date) -> int | None:
    months = months_old(born, on)
    return None if months is None else months // 12


def _article(n: int) -> str:
    return "an" if str(n).startswith("8") or n in (11, 18) else "a"


def age_phrase(born: date, on: date) -> str:
    """An age as a practitioner says it: "a 10-week-old", "a 4-month-old", "a 3-year-old".

    Days in the first week, weeks up to 13 weeks, months up to 2 years, then years.
    """
    days = (on - born).days
    months = months_old(born, on) or 0
    if days < 7:
        value, unit = days, "day"
    elif days < 13 * 7:
        value, unit = days // 7, "week"
    elif months < 24:
        value, unit = months, "month"
    else:
        value, unit = months // 12, "year"
    return f"{_article(value)} {value}-{unit}-old"


def day_phrase(d: date) -> str:
    """A date as written in a chronology: "11 Dec 2006"."""
    return f"{d.day} {_MONTHS[d.month - 1]} {d.year}"


@lru_cache(maxsize=65536)
def start_of_uk_day(d: date) -> datetime:
    # The zone conversion costs; rules ask for the same few days again and again.
    return datetime.combine(d, time(0, 0), tzinfo=UK).astimezone(UTC)


def deadline_after_working_days(at: datetime, n: int) -> datetime:
    """The end of the n-th working day after the UK date of `at`."""
    if at.tzinfo is None:
        return due_within_working_days(at, n)  # which says why not
    return _working_days_end(uk_date(at), n)


@lru_cache(maxsize=65536)
def _working_days_end(day: date, n: int) -> datetime:
    # Counting working days is the costly part of a due date, and the same few days recur.
    return end_of_uk_day(add_working_days(day, n))


def deadline_after_months(at: datetime, months: int) -> datetime:
    """The end of the UK day `months` calendar months after the UK date of `at`."""
    return end_of_uk_day(add_months(uk_date(at), months))


def deadline_after_days(at: datetime, days: int) -> datetime:
    return end_of_uk_day(uk_date(at) + timedelta(days=days))
