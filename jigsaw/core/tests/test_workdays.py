from datetime import UTC, date, datetime, timedelta

import pytest

from jigsaw.core.dates import UK
from jigsaw.core.workdays import (
    add_working_days,
    due_within_working_days,
    end_of_uk_day,
    is_bank_holiday,
    is_working_day,
    working_days_between,
)


def test_weekends_are_not_working_days():
    assert is_working_day(date(2024, 3, 8))  # Friday
    assert not is_working_day(date(2024, 3, 9))
    assert not is_working_day(date(2024, 3, 10))


@pytest.mark.parametrize(
    "day",
    [
        date(2024, 3, 29),  # Good Friday
        date(2024, 4, 1),  # Easter Monday
        date(2024, 5, 6),  # Early May
        date(2024, 12, 25),
        date(2024, 12, 26),
        date(2023, 5, 8),  # the coronation: a one-off, from the maintained list
        date(2020, 12, 28),  # Boxing Day substitute when it falls on a Saturday
    ],
)
def test_bank_holidays_in_england(day):
    assert is_bank_holiday(day)
    assert not is_working_day(day)


def test_scottish_only_holiday_is_a_working_day_in_england():
    assert is_working_day(date(2024, 1, 2))  # 2 January is a holiday in Scotland only


def test_day_zero_is_the_trigger_day():
    assert add_working_days(date(2024, 3, 5), 0) == date(2024, 3, 5)
    assert add_working_days(date(2024, 3, 5), 1) == date(2024, 3, 6)
    # A Friday trigger: the next working day is Monday.
    assert add_working_days(date(2024, 3, 8), 1) == date(2024, 3, 11)
    # A Saturday trigger counts from the Monday.
    assert add_working_days(date(2024, 3, 9), 1) == date(2024, 3, 11)


def test_ten_working_days_over_easter():
    # Thu 21 Mar 2024 + 10 WD: Good Friday and Easter Monday are skipped.
    assert add_working_days(date(2024, 3, 21), 10) == date(2024, 4, 8)
    assert working_days_between(date(2024, 3, 21), date(2024, 4, 8)) == 10


def test_ten_working_days_with_one_bank_holiday():
    # Fri 3 May 2024 + 10 WD with Mon 6 May a bank holiday.
    assert add_working_days(date(2024, 5, 3), 10) == date(2024, 5, 20)


def test_christmas_and_new_year():
    assert add_working_days(date(2024, 12, 24), 1) == date(2024, 12, 27)
    assert add_working_days(date(2024, 12, 24), 3) == date(2024, 12, 31)
    assert add_working_days(date(2024, 12, 24), 4) == date(2025, 1, 2)  # skips 1 January


def test_negative_and_between_are_inverse():
    start = date(2024, 1, 1)
    for n in (0, 1, 5, 15, 45, 300):
        end = add_working_days(start, n)
        assert working_days_between(start, end) == n
        assert add_working_days(end, -n) <= start
    assert working_days_between(date(2024, 4, 8), date(2024, 3, 21)) == -10


def test_between_counts_match_a_day_by_day_count():
    a = date(2023, 11, 17)
    for span in range(0, 120, 7):
        b = a + timedelta(days=span + 3)
        slow = sum(1 for i in range(1, (b - a).days + 1) if is_working_day(a + timedelta(days=i)))
        assert working_days_between(a, b) == slow


def test_due_within_one_working_day_is_the_end_of_the_next_working_day_uk_time():
    # 23:30 UK time on Friday 5 July 2024 (22:30 UTC): still Friday in the UK.
    at = datetime(2024, 7, 5, 22, 30, tzinfo=UTC)
    due = due_within_working_days(at, 1)
    assert due.tzinfo is UTC
    assert due.astimezone(UK).date() == date(2024, 7, 8)
    assert (due.astimezone(UK).hour, due.astimezone(UK).minute) == (23, 59)
    assert due == datetime(2024, 7, 8, 22, 59, 59, 999999, tzinfo=UTC)  # BST


def test_due_today_in_winter():
    due = due_within_working_days(datetime(2024, 1, 13, 9, 0, tzinfo=UTC), 0)
    assert due == datetime(2024, 1, 13, 23, 59, 59, 999999, tzinfo=UTC)


def test_due_needs_an_aware_datetime():
    with pytest.raises(ValueError, match="aware"):
        due_within_working_days(datetime(2024, 1, 13, 9, 0), 1)


def test_far_past_and_far_future_do_not_fail():
    assert add_working_days(date(1, 1, 2), 3) == date(1, 1, 5)
    assert end_of_uk_day(date.max) == datetime.max.replace(tzinfo=UTC)
