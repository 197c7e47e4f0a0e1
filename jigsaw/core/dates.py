"""Dates and times as agencies send them and as people ask for them.

ISO 8601 throughout. A time with no zone is UK local time (Europe/London, so BST in summer);
a date alone, where an instant is needed, means the start of that day UK time, or its end
for "as known on DATE" questions.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

UK = ZoneInfo("Europe/London")


class DateFormatError(ValueError):
    pass


def parse_date(text: str) -> date:
    try:
        if len(text) != 10:
            raise ValueError
        return date.fromisoformat(text)
    except ValueError:
        raise DateFormatError(f"'{text}' is not a date in the form YYYY-MM-DD") from None


def parse_instant(text: str, *, end_of_day: bool) -> datetime:
    """An ISO 8601 date or date-time as an aware UTC datetime.

    A date alone is the start (or, with end_of_day, the last microsecond) of that day in the UK.
    """
    text = text.strip()
    try:
        return _instant(text, end_of_day=end_of_day)
    except OverflowError:  # e.g. 9999-12-31 in a zone west of UTC
        raise DateFormatError(f"'{text}' is outside the range of dates Jigsaw can hold") from None


def _instant(text: str, *, end_of_day: bool) -> datetime:
    if len(text) == 10:
        day = parse_date(text)
        if end_of_day:
            local = datetime.combine(day + timedelta(days=1), time(0, 0), tzinfo=UK)
            return (local - timedelta(microseconds=1)).astimezone(UTC)
        return datetime.combine(day, time(0, 0), tzinfo=UK).astimezone(UTC)
    try:
        value = datetime.fromisoformat(text.replace("z", "Z"))
    except ValueError:
        raise DateFormatError(
            f"'{text}' is not an ISO 8601 date-time (e.g. 2007-04-09T14:00:00Z)"
        ) from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UK)
    return value.astimezone(UTC)


def uk_date(value: datetime) -> date:
    return value.astimezone(UK).date()
