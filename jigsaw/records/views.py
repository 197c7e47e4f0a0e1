from __future__ import annotations

from datetime import date

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from jigsaw.core.dates import parse_instant
from jigsaw.records.models import Sector
from jigsaw.records.presenters import chronology_rows, person_summary
from jigsaw.records.selectors import (
    RecordNotFound,
    agency_get,
    agency_person_versions,
    agency_summaries,
    parse_record_ref,
    person_record_get,
    person_version_as_of,
    records_chronology,
)

SECTOR_LABELS = dict(Sector.choices)


@login_required
def agencies(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "records/agencies.html",
        {
            "title": "Agencies",
            "active_nav": "agencies",
            "agencies": agency_summaries(),
            "sector_labels": SECTOR_LABELS,
        },
    )


@login_required
def agency(request: HttpRequest, code: str) -> HttpResponse:
    summary = agency_get(code=code)
    if summary is None:
        raise Http404("no such agency")
    versions = agency_person_versions(code=code)
    page = Paginator(versions, 50).get_page(request.GET.get("page"))
    rows = [
        {
            "local_id": v.record.local_id,
            "name": " ".join(n for n in (v.given_name, v.family_name) if n),
            "date_of_birth": v.date_of_birth.strftime("%-d %b %Y")
            if v.date_of_birth
            else "Not known",
            "postcode": v.postcode or "Not known",
        }
        for v in page.object_list
    ]
    pagination = {
        "previous": {"href": f"?page={page.previous_page_number()}"}
        if page.has_previous()
        else None,
        "next": {"href": f"?page={page.next_page_number()}"} if page.has_next() else None,
        "items": [
            {"number": n, "href": f"?page={n}", "current": n == page.number}
            if n != Paginator.ELLIPSIS
            else {"ellipsis": True}
            for n in page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1)
        ],
    }
    return render(
        request,
        "records/agency.html",
        {
            "title": summary.name,
            "active_nav": "agencies",
            "agency": summary,
            "rows": rows,
            "count": page.paginator.count,
            "pagination": pagination,
        },
    )


@login_required
def chronology(request: HttpRequest) -> HttpResponse:
    form = {
        "record": request.GET.get("record", "").strip(),
        "day": request.GET.get("as-of-day", "").strip(),
        "month": request.GET.get("as-of-month", "").strip(),
        "year": request.GET.get("as-of-year", "").strip(),
    }
    context: dict[str, object] = {"title": "Chronology", "active_nav": "chronology", "form": form}
    field_errors: dict[str, str] = {}
    if not request.GET:
        return render(
            request,
            "records/chronology.html",
            {**context, "field_errors": field_errors, "errors": []},
        )

    as_of = None
    if any(form[k] for k in ("day", "month", "year")):
        try:
            day = date(int(form["year"]), int(form["month"]), int(form["day"]))
            as_of = parse_instant(day.isoformat(), end_of_day=True)
        except ValueError:
            field_errors["as_of"] = "The date must be a real date, for example 27 3 2007"
    record = None
    if not form["record"]:
        field_errors["record"] = (
            "Enter the agency code and its ID for the person, for example NMUH:H-204311"
        )
    else:
        try:
            agency_code, local_id = parse_record_ref(form["record"])
            record = person_record_get(agency=agency_code, local_id=local_id)
        except ValueError:
            field_errors["record"] = (
                "Enter the agency code, a colon and the ID, for example NMUH:H-204311"
            )
        except RecordNotFound:
            field_errors["record"] = "No agency record has that code and ID"
    if field_errors or record is None:
        errors = [
            {"text": text, "href": "#record" if name == "record" else "#as-of-day"}
            for name, text in field_errors.items()
        ]
        context.update(field_errors=field_errors, errors=errors)
        return render(request, "records/chronology.html", context, status=400)

    version = person_version_as_of(record=record, as_of=as_of)
    entries = records_chronology(record_ids=[record.pk], as_of=as_of)
    context.update(
        field_errors={},
        errors=[],
        person=person_summary(record, version),
        entries=chronology_rows(entries),
        as_of_text=as_of
        and f"{int(form['day'])} {date(2000, int(form['month']), 1):%B} {form['year']}",
    )
    return render(request, "records/chronology.html", context)
