from datetime import UTC, date, datetime

import pytest

from jigsaw.core.dates import DateFormatError, parse_date, parse_instant, uk_date


def test_parse_date_reads_iso_dates() -> None:
    assert parse_date("2007-04-09") == date(2007, 4, 9)


@pytest.mark.parametrize("text", ["2007-02-30", "2007-13-01", "09/04/2007", "2007-4-9", "", "x"])
def test_parse_date_refuses_what_is_not_a_date(text: str) -> None:
    with pytest.raises(DateFormatError, match="is not a date in the form YYYY-MM-DD"):
        parse_date(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2007-04-09T14:00:00Z", datetime(2007, 4, 9, 14, 0, tzinfo=UTC)),
        ("2007-04-09T14:00:00z", datetime(2007, 4, 9, 14, 0, tzinfo=UTC)),
        ("2007-04-09T14:00:00+02:00", datetime(2007, 4, 9, 12, 0, tzinfo=UTC)),
        # No zone: UK local time, so BST (UTC+1) in summer and GMT in winter.
        ("2007-07-01T12:00", datetime(2007, 7, 1, 11, 0, tzinfo=UTC)),
        ("2007-07-01T12:00:00", datetime(2007, 7, 1, 11, 0, tzinfo=UTC)),
        ("2007-01-15T12:00:00", datetime(2007, 1, 15, 12, 0, tzinfo=UTC)),
        ("  2007-01-15T12:00:00Z ", datetime(2007, 1, 15, 12, 0, tzinfo=UTC)),
    ],
)
def test_parse_instant_gives_aware_utc(text: str, expected: datetime) -> None:
    value = parse_instant(text, end_of_day=False)
    assert value == expected
    assert value.utcoffset() is not None
    assert value.utcoffset().total_seconds() == 0  # type: ignore[union-attr]


def test_a_date_alone_is_the_start_of_that_uk_day() -> None:
    assert parse_instant("2007-07-01", end_of_day=False) == datetime(2007, 6, 30, 23, tzinfo=UTC)
    assert parse_instant("2007-01-15", end_of_day=False) == datetime(2007, 1, 15, 0, tzinfo=UTC)


def test_a_date_alone_at_end_of_day_is_the_last_moment_of_that_uk_day() -> None:
    summer = parse_instant("2007-07-01", end_of_day=True)
    assert summer == datetime(2007, 7, 1, 22, 59, 59, 999999, tzinfo=UTC)
    winter = parse_instant("2007-01-15", end_of_day=True)
    assert winter == datetime(2007, 1, 15, 23, 59, 59, 999999, tzinfo=UTC)


def test_end_of_day_on_the_days_the_clocks_change() -> None:
    # 25 March 2007: clocks went forward at 01:00 GMT, so the day ends at 23:00 UTC.
    assert parse_instant("2007-03-25", end_of_day=True) == datetime(
        2007, 3, 25, 22, 59, 59, 999999, tzinfo=UTC
    )
    # 28 October 2007: clocks went back, so the day ends at midnight UTC.
    assert parse_instant("2007-10-28", end_of_day=True) == datetime(
        2007, 10, 28, 23, 59, 59, 999999, tzinfo=UTC
    )


@pytest.mark.parametrize(
    "text", ["2007-02-30T10:00:00Z", "yesterday", "2007-04-09 at 2pm", "2007-04-09T25:00"]
)
def test_parse_instant_refuses_what_is_not_iso_8601(text: str) -> None:
    with pytest.raises(DateFormatError):
        parse_instant(text, end_of_day=False)


@pytest.mark.parametrize(
    ("text", "end_of_day"),
    [
        ("0001-01-01T00:00:00+01:00", False),
        ("9999-12-31T23:00:00-05:00", False),
        ("9999-12-31", True),
    ],
)
def test_dates_at_the_edge_of_the_calendar_are_format_errors_not_crashes(
    text: str, end_of_day: bool
) -> None:
    with pytest.raises(DateFormatError):
        parse_instant(text, end_of_day=end_of_day)


def test_uk_date_is_the_calendar_day_in_the_uk() -> None:
    assert uk_date(datetime(2007, 6, 30, 23, 30, tzinfo=UTC)) == date(2007, 7, 1)
    assert uk_date(datetime(2007, 12, 31, 23, 30, tzinfo=UTC)) == date(2007, 12, 31)
