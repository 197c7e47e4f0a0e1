"""Record a visit: when it was, whether the child was seen and seen alone (if not, why not), the
child's own words, who else was there and why the visit was made, on one page that works without
JavaScript (the questions that depend on an answer are revealed by it, and checked here whatever
the browser showed). Saved as the local authority's `home_visit` event; the worker is told
straight away if the visit raised or changed one of the child's flags.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from jigsaw.access.need_to_know import NoAccess, viewer_of
from jigsaw.casework.services import CaseworkError, form_key, once
from jigsaw.casework.views.child import child_not_found
from jigsaw.casework.visits import (
    ADULT_NAME_MAX,
    ADULTS_MAX,
    PURPOSES,
    TEXT_MAX,
    FlagChange,
    VisitChild,
    one_year_before,
    visit_child,
    visit_record,
)
from jigsaw.core.clock import clock
from jigsaw.core.date_input import DATE_PARTS, DateProblem, date_from_parts
from jigsaw.core.dates import UK, uk_date

YES_NO = ("yes", "no")
_TIME = re.compile(r"^(\d{1,2})(?:[:.](\d{2}))?\s*(am|pm)?$")
# The fields of the form, in the order the error summary lists them.
FIELD_ORDER = (
    "visit-date",
    "visit-time",
    "child-seen",
    "seen-alone",
    "not-seen-alone-reason",
    "childs-views",
    "not-seen-reason",
    "adults-present",
    "purpose",
)


def long_day(value: date) -> str:
    """14 January 2008"""
    return f"{value.day} {value:%B %Y}"


def visit_day(day: str, month: str, year: str, *, today: date) -> date | DateProblem:
    """The date of the visit from its three inputs, or what is wrong with it."""
    value = date_from_parts(
        day, month, year, what="The date of the visit", today=today, required=True
    )
    if not isinstance(value, date):
        assert value is not None
        return value
    if value > today:
        return DateProblem("The date of the visit must be today or in the past", list(DATE_PARTS))
    earliest = one_year_before(today)
    if value < earliest:
        return DateProblem(
            f"The date of the visit must be on or after {long_day(earliest)}: a visit more "
            "than a year ago cannot be recorded here",
            list(DATE_PARTS),
        )
    return value


def visit_time(text: str) -> time | None:
    """A time of day as people type it: 14:30, 9.05, 2:30pm, 2pm."""
    found = _TIME.match(text.strip().lower().replace(" ", ""))
    if found is None:
        return None
    hour, minute, half = int(found[1]), int(found[2] or 0), found[3]
    if found[2] is None and half is None:
        return None
    if half is not None:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if half == "pm" else 0)
    if hour > 23 or minute > 59:
        return None
    return time(hour, minute)


@dataclass
class Checked:
    occurred_at: datetime | None
    problems: dict[str, str]
    date_parts: list[str]


def check(form: dict[str, Any], *, now: datetime) -> Checked:
    """Every rule of the form; a question that was not asked (its reveal closed) is not
    checked, and what was typed into it is not kept."""
    problems: dict[str, str] = {}
    date_parts: list[str] = []
    day = visit_day(form["day"], form["month"], form["year"], today=uk_date(now))
    if isinstance(day, DateProblem):
        problems["visit-date"] = day.message
        date_parts = day.parts
    at = None
    if not form["time"]:
        problems["visit-time"] = "Enter the time of the visit"
    else:
        parsed = visit_time(form["time"])
        if parsed is None:
            problems["visit-time"] = "Enter the time of the visit as hours and minutes, like 14:30"
        elif isinstance(day, date):
            at = datetime.combine(day, parsed, tzinfo=UK)
            if at > now:
                problems["visit-time"] = "The time of the visit must be in the past"
                at = None
    if form["child_seen"] not in YES_NO:
        problems["child-seen"] = "Select yes if the child was seen"
    elif form["child_seen"] == "no":
        if not form["not_seen_reason"]:
            problems["not-seen-reason"] = "Enter why the child was not seen"
        elif len(form["not_seen_reason"]) > TEXT_MAX:
            problems["not-seen-reason"] = (
                f"Why the child was not seen must be {TEXT_MAX:,} characters or fewer"
            )
    else:
        if form["seen_alone"] not in YES_NO:
            problems["seen-alone"] = "Select yes if the child was seen alone"
        elif form["seen_alone"] == "no" and not form["reason"]:
            problems["not-seen-alone-reason"] = "Enter why the child was not seen alone"
        elif len(form["reason"]) > TEXT_MAX:
            problems["not-seen-alone-reason"] = (
                f"Why the child was not seen alone must be {TEXT_MAX:,} characters or fewer"
            )
        if not form["childs_views"]:
            problems["childs-views"] = "Enter what the child said, in their own words"
        elif len(form["childs_views"]) > TEXT_MAX:
            problems["childs-views"] = (
                f"What the child said must be {TEXT_MAX:,} characters or fewer"
            )
    adults = adult_lines(form["adults"])
    if len(adults) > ADULTS_MAX:
        problems["adults-present"] = f"List up to {ADULTS_MAX} people, one on each line"
    elif any(len(a) > ADULT_NAME_MAX for a in adults):
        problems["adults-present"] = (
            f"Each person present must be {ADULT_NAME_MAX} characters or fewer"
        )
    if form["purpose"] not in PURPOSES:
        problems["purpose"] = "Select the purpose of the visit"
    ordered = {name: problems[name] for name in FIELD_ORDER if name in problems}
    return Checked(at if not ordered else None, ordered, date_parts)


def adult_lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def visit_message(child: str, occurred_at: datetime, flags: list[FlagChange]) -> str:
    """What the worker is told when the visit is saved, naming any flag it raised or changed."""
    said = f"Visit on {long_day(uk_date(occurred_at))} recorded for {child}."
    new = [f for f in flags if f.new]
    changed = [f for f in flags if not f.new]
    if new:
        said += " New flag: " + "; ".join(f"{f.title} ({f.severity})" for f in new) + "."
    if changed:
        said += " Flag changed: " + "; ".join(f"{f.title} (now {f.severity})" for f in changed)
        said += "."
    return said


def _form(request: HttpRequest) -> dict[str, Any]:
    post = request.POST
    return {
        "key": post.get("key", ""),
        "day": post.get("visit-date-day", "").strip(),
        "month": post.get("visit-date-month", "").strip(),
        "year": post.get("visit-date-year", "").strip(),
        "time": post.get("visit-time", "").strip(),
        "child_seen": post.get("child-seen", ""),
        "seen_alone": post.get("seen-alone", ""),
        "reason": post.get("not-seen-alone-reason", "").strip(),
        "not_seen_reason": post.get("not-seen-reason", "").strip(),
        "childs_views": post.get("childs-views", "").strip(),
        "adults": post.get("adults-present", "").strip(),
        "purpose": post.get("purpose", ""),
    }


def _empty() -> dict[str, Any]:
    return {
        "key": form_key(),
        **dict.fromkeys(("day", "month", "year", "time", "child_seen", "seen_alone"), ""),
        **dict.fromkeys(("reason", "not_seen_reason", "childs_views", "adults", "purpose"), ""),
    }


def _render(
    request: HttpRequest,
    child: VisitChild,
    form: dict[str, Any],
    checked: Checked | None = None,
    status: int = 200,
) -> HttpResponse:
    problems = checked.problems if checked else {}
    date_parts = checked.date_parts if checked else []
    errors = []
    for name, text in problems.items():
        if name == "visit-date":
            anchor = f"visit-date-{date_parts[0] if date_parts else 'day'}"
        else:
            anchor = name
        errors.append({"text": text, "href": f"#{anchor}"})
    return render(
        request,
        "casework/visit_new.html",
        {
            "title": f"Record a visit \N{EN DASH} {child.name}",
            "active_nav": "",
            "errors": errors,
            "field_errors": problems,
            "date_parts": date_parts,
            "child": {
                "id": child.person.pk,
                "name": child.name,
                "href": reverse("casework:child", args=[child.person.pk]),
            },
            "form": form,
            "purposes": [
                {"value": v, "text": t, "checked": form["purpose"] == v}
                for v, t in PURPOSES.items()
            ],
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def visit_new(request: HttpRequest, person_id: int) -> HttpResponse:
    try:
        child = visit_child(person_id=person_id, user=request.user)
    except NoAccess:
        # The same page a missing child gets, with break-glass for the roles that may use it.
        return child_not_found(request, viewer_of(request.user), person_id)
    if request.method == "GET":
        return _render(request, child, _empty())

    form = _form(request)
    if not form["key"]:
        form["key"] = form_key()
    checked = check(form, now=clock.now())
    if checked.problems or checked.occurred_at is None:
        return _render(request, child, form, checked, status=400)
    occurred_at = checked.occurred_at
    seen = form["child_seen"] == "yes"
    alone = (form["seen_alone"] == "yes") if seen else None

    def act() -> dict[str, Any]:
        done = visit_record(
            child=child,
            occurred_at=occurred_at,
            child_seen=seen,
            seen_alone=alone,
            childs_views=form["childs_views"] if seen else "",
            adults_present=adult_lines(form["adults"]),
            purpose=form["purpose"],
            not_seen_alone_reason=form["reason"] if seen and alone is False else "",
            not_seen_reason="" if seen else form["not_seen_reason"],
            by=request.user,
        )
        return {
            "redirect": reverse("casework:child", args=[child.person.pk]),
            "message": visit_message(child.name, occurred_at, done.flags),
            "event_id": done.event_id,
        }

    try:
        result, _first = once(key=form["key"], user=request.user, form="visit", act=act)
    except CaseworkError as exc:
        field, _, said = str(exc).partition(": ")
        name = {
            "occurred_at": "visit-date",
            "purpose": "purpose",
            "not_seen_reason": "not-seen-reason",
        }.get(field, "visit-date")
        checked.problems[name] = said[:1].upper() + said[1:] if said else str(exc)
        return _render(request, child, form, checked, status=400)
    messages.success(request, result["message"])
    return redirect(result["redirect"])
