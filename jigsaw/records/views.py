from __future__ import annotations

from datetime import date

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from jigsaw.core.clock import clock
from jigsaw.core.date_input import DateProblem, date_from_parts
from jigsaw.core.dates import parse_instant, uk_date
from jigsaw.records.presenters import (
    chronology_rows,
    long_date,
    pagination,
    person_list_rows,
    person_summary,
    sector_label,
    withheld_notes,
)
from jigsaw.records.selectors import (
    RecordNotFound,
    agency_get,
    agency_person_page,
    agency_summaries,
    chronology_for,
    parse_record_ref,
    person_record_open,
    viewer_for_record_pages,
)

PERSONS_PER_PAGE = 50
RECORD_EXAMPLE = "for example NMUH:H-204311"


@login_required
@require_GET
def agencies(request: HttpRequest) -> HttpResponse:
    # Counts per agency are no one's case content: any role of the record pages sees them, and
    # looking is not a read of anyone's records (no audit entry).
    viewer_for_record_pages(request.user)
    summaries = agency_summaries()
    return render(
        request,
        "records/agencies.html",
        {
            "title": "Agencies",
            "active_nav": "agencies",
            "agencies": [
                {
                    "code": a.code,
                    "name": a.name,
                    "sector": sector_label(a.sector),
                    "person_records": a.person_records,
                    "events": a.events,
                }
                for a in summaries
            ],
        },
    )


@login_required
@require_GET
def agency(request: HttpRequest, code: str) -> HttpResponse:
    viewer = viewer_for_record_pages(request.user)
    summary = agency_get(code=code)
    if summary is None:
        raise Http404("no such agency")
    page, narrowed = agency_person_page(
        viewer, code=code, page=request.GET.get("page"), per_page=PERSONS_PER_PAGE
    )
    return render(
        request,
        "records/agency.html",
        {
            "title": summary.name if page.number == 1 else f"{summary.name} (page {page.number})",
            "active_nav": "agencies",
            "agency": summary,
            "sector": sector_label(summary.sector),
            "rows": person_list_rows(page.object_list, agency=code),
            "count": page.paginator.count,
            "first": page.start_index(),
            "last": page.end_index(),
            "pagination": pagination(page),
            "narrowed": narrowed,
        },
    )


def as_of_date(day: str, month: str, year: str, *, today: date) -> date | DateProblem | None:
    """The optional "as known on" date from its three inputs, or what is wrong with it."""
    return date_from_parts(day, month, year, what="The date", today=today)


@login_required
@require_GET
def chronology(request: HttpRequest) -> HttpResponse:
    viewer = viewer_for_record_pages(request.user)
    form = {
        "record": request.GET.get("record", "").strip(),
        "day": request.GET.get("as-of-day", "").strip(),
        "month": request.GET.get("as-of-month", "").strip(),
        "year": request.GET.get("as-of-year", "").strip(),
    }
    context: dict[str, object] = {
        "title": "Chronology of a record",
        "active_nav": "chronology",
        "form": form,
        "field_errors": {},
        "date_error_parts": [],
        "errors": [],
    }
    if not request.GET:
        return render(request, "records/chronology.html", context)

    field_errors: dict[str, str] = {}
    errors: list[dict[str, str]] = []
    ref: tuple[str, str] | None = None
    if not form["record"]:
        field_errors["record"] = f"Enter the agency record, {RECORD_EXAMPLE}"
    else:
        try:
            ref = parse_record_ref(form["record"])
        except ValueError:
            field_errors["record"] = (
                f"Enter the agency code, a colon and the agency's ID, {RECORD_EXAMPLE}"
            )

    as_of = as_of_date(form["day"], form["month"], form["year"], today=uk_date(clock.now()))
    day = as_of if isinstance(as_of, date) else None
    as_of_instant = parse_instant(day.isoformat(), end_of_day=True) if day else None
    if isinstance(as_of, DateProblem):
        field_errors["as_of"] = as_of.message
        context["date_error_parts"] = as_of.parts

    seen = None
    if ref is not None:
        # A record the user may not open gets the same answer as one that does not exist.
        try:
            if isinstance(as_of, DateProblem):
                person_record_open(viewer, agency=ref[0], local_id=ref[1])
            else:
                seen = chronology_for(viewer, agency=ref[0], local_id=ref[1], as_of=as_of_instant)
        except RecordNotFound:
            field_errors["record"] = "There is no agency record with that code and ID"

    if "record" in field_errors:
        errors.append({"text": field_errors["record"], "href": "#record"})
    if isinstance(as_of, DateProblem):
        errors.append({"text": as_of.message, "href": f"#as-of-{as_of.parts[0]}"})
    if errors or seen is None:
        context.update(field_errors=field_errors, errors=errors)
        return render(request, "records/chronology.html", context, status=400)

    names = {a.code: a.name for a in agency_summaries(as_of=as_of_instant)}
    context.update(
        person=person_summary(seen.record, seen.version),
        agency_code=seen.record.agency.code,
        entries=chronology_rows(seen.entries, agency_names=names),
        linked_records=len(seen.record_ids) - 1,
        linked_agencies=len({e.agency for e in seen.entries}),
        withheld=withheld_notes(
            restricted=seen.restricted_withheld, own_agency_only=seen.own_agency_only
        ),
        as_of_text=long_date(day) if day else None,
    )
    return render(request, "records/chronology.html", context)
