"""The GOV.UK date input (day, month, year boxes) read and checked as the Design System says:
one message naming the date and what is wrong, and which boxes to mark."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

DATE_PARTS = ("day", "month", "year")


@dataclass(frozen=True)
class DateProblem:
    message: str
    parts: list[str] = field(default_factory=list)  # the boxes to mark, in order


def date_from_parts(
    day: str, month: str, year: str, *, what: str, today: date, required: bool = False
) -> date | DateProblem | None:
    """The date, what is wrong with it, or None when no box is filled and none had to be.
    `what` names the date in messages: "Date of birth", "The date of the visit"."""
    given = {"day": day.strip(), "month": month.strip(), "year": year.strip()}
    if not any(given.values()):
        if required:
            return DateProblem(f"Enter {what[:1].lower()}{what[1:]}", list(DATE_PARTS))
        return None
    missing = [part for part in DATE_PARTS if not given[part]]
    if missing:
        return DateProblem(f"{what} must include a {' and '.join(missing)}", missing)
    not_numbers = [part for part in DATE_PARTS if not given[part].isdigit()]
    if not_numbers:
        return DateProblem(f"{what} must be a real date", not_numbers)
    if len(given["year"]) != 4:
        return DateProblem("Year must include 4 numbers", ["year"])
    try:
        value = date(int(given["year"]), int(given["month"]), int(given["day"]))
    except ValueError:
        month_ok = 1 <= int(given["month"]) <= 12
        return DateProblem(f"{what} must be a real date", ["day"] if month_ok else ["month"])
    if value > today:
        return DateProblem(f"{what} must be today or in the past", list(DATE_PARTS))
    return value


def year_alone(day: str, month: str, year: str, *, today: date) -> int | DateProblem | None:
    """The year of birth when only the year box is filled (a caller who knows a child is "about
    eight, born 2018"): searched as a year rather than refused as a date without a day and month.
    None when a day or month is given, or no year."""
    if day.strip() or month.strip() or not year.strip():
        return None
    text = year.strip()
    if not (text.isdigit() and len(text) == 4):
        return DateProblem("Year must include 4 numbers", ["year"])
    if not 1900 <= int(text) <= today.year:
        return DateProblem(f"Year of birth must be between 1900 and {today.year}", ["year"])
    return int(text)
