from __future__ import annotations

from datetime import date

import pytest

from jigsaw.core.date_input import DateProblem, date_from_parts

TODAY = date(2008, 1, 15)


@pytest.mark.parametrize(
    ("parts", "expected"),
    [
        (("", "", ""), None),
        (("9", "4", "2007"), date(2007, 4, 9)),
        (("", "4", ""), DateProblem("Date of birth must include a day and year", ["day", "year"])),
        (("9", "x", "2007"), DateProblem("Date of birth must be a real date", ["month"])),
        (("9", "4", "07"), DateProblem("Year must include 4 numbers", ["year"])),
        (("31", "2", "2007"), DateProblem("Date of birth must be a real date", ["day"])),
        (("1", "13", "2007"), DateProblem("Date of birth must be a real date", ["month"])),
        (("16", "1", "2008"),
         DateProblem("Date of birth must be today or in the past", ["day", "month", "year"])),
    ],
)  # fmt: skip
def test_each_problem_is_named_with_the_boxes_to_mark(parts, expected) -> None:
    assert date_from_parts(*parts, what="Date of birth", today=TODAY) == expected


def test_a_required_date_left_empty_asks_for_it() -> None:
    problem = date_from_parts("", "", "", what="The date of the visit", today=TODAY, required=True)
    assert problem == DateProblem("Enter the date of the visit", ["day", "month", "year"])
