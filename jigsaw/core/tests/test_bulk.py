from datetime import UTC, datetime, timedelta, timezone

import pytest

from jigsaw.core.bulk import aware_datetime


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        # SQLite's naive UTC text, with and without microseconds
        ("2023-11-01 13:12:00", datetime(2023, 11, 1, 13, 12, tzinfo=UTC)),
        ("2023-11-01 13:12:00.000123", datetime(2023, 11, 1, 13, 12, 0, 123, tzinfo=UTC)),
        # PostgreSQL's text, with its offset
        ("2023-11-01 13:12:00+00", datetime(2023, 11, 1, 13, 12, tzinfo=UTC)),
        (
            "2023-11-01 13:12:00-05:00",
            datetime(2023, 11, 1, 13, 12, tzinfo=timezone(timedelta(hours=-5))),
        ),
        ("2023-11-01T13:12:00Z", datetime(2023, 11, 1, 13, 12, tzinfo=UTC)),
        ("2023-11-01", datetime(2023, 11, 1, tzinfo=UTC)),
        # what a driver already converted
        (datetime(2023, 11, 1, 13, 12), datetime(2023, 11, 1, 13, 12, tzinfo=UTC)),
        (datetime(2023, 11, 1, 13, 12, tzinfo=UTC), datetime(2023, 11, 1, 13, 12, tzinfo=UTC)),
    ],
)
def test_aware_datetime_reads_each_form_as_the_orm_would(value, expected):
    got = aware_datetime(value)
    assert got == expected
    assert got.utcoffset() == expected.utcoffset()
