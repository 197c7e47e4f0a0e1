"""Days and instants as plain integers, and the calendar of the synthetic local authority.

A day is a proleptic Gregorian ordinal (`date.toordinal()`); an instant is a minute count,
`day * 1440 + minute_of_day`, in UTC. Integers keep millions of events cheap to make, compare and
sort; they become ISO 8601 text only when written out, through cached tables.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from datetime import date

import holidays

MINUTES_PER_DAY = 1440
_HHMM: tuple[str, ...] = tuple(f"T{h:02d}:{m:02d}:00Z" for h in range(24) for m in range(60))
_DAY_ISO: dict[int, str] = {}


def day_iso(day: int) -> str:
    text = _DAY_ISO.get(day)
    if text is None:
        text = date.fromordinal(day).isoformat()
        _DAY_ISO[day] = text
    return text


def instant_iso(minute: int) -> str:
    return day_iso(minute // MINUTES_PER_DAY) + _HHMM[minute % MINUTES_PER_DAY]


def weekday(day: int) -> int:
    """Monday is 0 (ordinal 1, 1 January of year 1, was a Monday)."""
    return (day - 1) % 7


def add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February in a year that has none
        return day.replace(year=day.year + years, day=28)


def age_on(dob: int, day: int) -> int:
    """Age in whole years on a day."""
    born, then = date.fromordinal(dob), date.fromordinal(day)
    return then.year - born.year - ((then.month, then.day) < (born.month, born.day))


def years_to_days(years: float) -> int:
    return round(years * 365.25)


def _in_term(day: date) -> bool:
    """Approximate English school terms: holidays fall in much the same weeks every year."""
    m, d = day.month, day.day
    return not (
        (m == 7 and d >= 23)
        or m == 8
        or (m == 9 and d <= 3)
        or (m == 10 and d >= 25)
        or (m == 11 and d <= 1)
        or (m == 12 and d >= 20)
        or (m == 1 and d <= 4)
        or (m == 2 and 14 <= d <= 22)
        or (m == 3 and d >= 29)
        or (m == 4 and d <= 14)
        or (m == 5 and d >= 25)
        or (m == 6 and d <= 1)
    )


class Calendar:
    """The three-year window events fall in, with its working days and school days."""

    def __init__(self, start: date, years: int = 3) -> None:
        self.start_date = start
        self.end_date = add_years(start, years)
        self.start = start.toordinal()
        self.end = self.end_date.toordinal()  # exclusive
        self.start_min = self.start * MINUTES_PER_DAY
        self.end_min = self.end * MINUTES_PER_DAY
        span = range(start.year - 2, self.end_date.year + 3)
        bank = holidays.country_holidays("GB", subdiv="ENG", years=span)
        self.bank_holidays = frozenset(d.toordinal() for d in bank)
        lo, hi = self.start - 800, self.end + 800
        self.working_days: list[int] = [
            d for d in range(lo, hi) if weekday(d) < 5 and d not in self.bank_holidays
        ]
        self.school_days: list[int] = [
            d
            for d in range(self.start, self.end)
            if weekday(d) < 5 and d not in self.bank_holidays and _in_term(date.fromordinal(d))
        ]
        # Events are bucketed by calendar month of occurrence so each bucket can be sorted alone.
        self._first_month = start.year * 12 + start.month - 1
        last = self.end_date.year * 12 + self.end_date.month - 1
        self.buckets = last - self._first_month + 1
        self._bucket: list[int] = []
        for d in range(self.start, self.end):
            when = date.fromordinal(d)
            self._bucket.append(when.year * 12 + when.month - 1 - self._first_month)

    def bucket(self, day: int) -> int:
        return self._bucket[day - self.start]

    def add_working_days(self, day: int, n: int) -> int:
        """The working day `n` working days after `day` (the day itself does not count)."""
        i = bisect_right(self.working_days, day) - 1
        return self.working_days[i + n]

    def next_working_day(self, day: int) -> int:
        """`day` itself if it is a working day, else the next one."""
        return self.working_days[bisect_left(self.working_days, day)]

    def school_days_between(self, first: int, last: int) -> list[int]:
        """School days in [first, last)."""
        lo = bisect_left(self.school_days, first)
        hi = bisect_left(self.school_days, last)
        return self.school_days[lo:hi]

    def school_day_after(self, day: int, n: int) -> int | None:
        """The school day `n` school days after `day` (a school day), if still in the window."""
        i = bisect_left(self.school_days, day) + n
        return self.school_days[i] if i < len(self.school_days) else None


def reception_year(dob: int) -> int:
    """The calendar year in September of which a child born on `dob` starts reception."""
    born = date.fromordinal(dob)
    return born.year + (5 if born.month >= 9 else 4)
