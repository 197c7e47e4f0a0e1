"""A child's multi-agency chronology: every agency's entries in one timeline, filtered, as
known on a date, with significance marks, and its CSV and PDF exports for conferences and
reviews. The views validate, call `child_record`'s selectors and service, and render.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from jigsaw.access.roles import Role
from jigsaw.casework.child_record import (
    CHRONOLOGY_PAGE,
    ChildChronology,
    ChildNotFound,
    Filters,
    MarkedEntry,
    ReadOnly,
    StaleMark,
    child_chronology,
    chronology_export_audit,
    entry_anchor,
    significance_mark,
    significance_target,
)
from jigsaw.casework.exports import (
    Generated,
    chronology_csv,
    chronology_pdf,
    entry_row,
    export_filename,
    filters_text,
    when,
    withheld_text,
)
from jigsaw.casework.services import form_key, once
from jigsaw.casework.views.child import child_not_found
from jigsaw.core.clock import clock
from jigsaw.core.dates import uk_date
from jigsaw.records.presenters import TYPE_LABELS, event_label, long_date
from jigsaw.records.selectors import viewer_for_record_pages
from jigsaw.records.views import DateProblem, as_of_date

AGENCY_CODE_MAX = 32
SIGNIFICANCE_FORM = "chronology-significance"


@dataclass
class Asked:
    """The chronology's query as given, what it asks for, and what is wrong with it."""

    filters: Filters
    form: dict[str, Any]
    field_errors: dict[str, str] = field(default_factory=dict)
    date_error_parts: list[str] = field(default_factory=list)
    page: int = 1  # which page of entries (from 1)

    @property
    def errors(self) -> list[dict[str, str]]:
        if "as_of" not in self.field_errors:
            return []
        return [{"text": self.field_errors["as_of"], "href": f"#as-of-{self.date_error_parts[0]}"}]


def asked(query: QueryDict, *, today: date) -> Asked:
    """The filters from a query string. Choices that are not offered (a made-up type or
    agency) are left out rather than refused: they came from no one's typing."""
    agencies = frozenset(
        a.strip() for a in query.getlist("agency") if a.strip() and len(a) <= AGENCY_CODE_MAX
    )
    kind = query.get("type", "").strip()
    form: dict[str, Any] = {
        "agencies": agencies,
        "type": kind if kind in TYPE_LABELS else "",
        "significant": query.get("significant") == "yes",
        "order": "oldest" if query.get("order") == "oldest" else "newest",
        "day": query.get("as-of-day", "").strip(),
        "month": query.get("as-of-month", "").strip(),
        "year": query.get("as-of-year", "").strip(),
    }
    day = as_of_date(form["day"], form["month"], form["year"], today=today)
    filters = Filters(
        agencies=agencies,
        type=form["type"],
        significant_only=form["significant"],
        oldest_first=form["order"] == "oldest",
        as_of=day if isinstance(day, date) else None,
    )
    page = query.get("page", "").strip()
    out = Asked(filters, form, page=int(page) if page.isdigit() and 0 < int(page) < 10**6 else 1)
    if isinstance(day, DateProblem):
        out.field_errors["as_of"] = day.message
        out.date_error_parts = day.parts
    return out


def page_query(filters: Filters, page: int = 1) -> str:
    """The query string for a page of entries with these filters ('' for the first, unfiltered)."""
    query = filters.query()
    if page > 1:
        query += ("&" if query else "") + urlencode({"page": page})
    return query


def chronology_url(person_id: int, filters: Filters, anchor: str = "", page: int = 1) -> str:
    query = page_query(filters, page)
    return (
        reverse("casework:chronology", args=[person_id])
        + (f"?{query}" if query else "")
        + (f"#{anchor}" if anchor else "")
    )


def _export_url(name: str, person_id: int, filters: Filters) -> str:
    query = filters.query()
    return reverse(name, args=[person_id]) + (f"?{query}" if query else "")


def staff_label(user: Any) -> str:
    """Sam Taylor (Social worker)"""
    name = user.get_full_name() or user.get_username()
    profile = getattr(user, "staff_profile", None)
    if profile is None:
        return name
    try:
        role = str(Role(profile.role).label)
    except ValueError:
        role = profile.role
    return f"{name} ({role})"


def mark_value(*, agency: str, event_id: str, significant: bool, seen: int) -> str:
    """What a row's button sends: the mark asked for, the mark the row was shown with, and the
    entry (an agency code holds no colon; an event id may hold anything, so it comes last)."""
    return f"{'yes' if significant else 'no'}:{seen}:{agency}:{event_id}"


def _mark_asked(value: str) -> tuple[str, str, bool, str]:
    """(agency, event id, significant, seen) from a row's button ('' each when malformed)."""
    parts = value.split(":", 3)
    if len(parts) != 4:
        return "", "", False, "-1"
    significant, seen, agency, event_id = parts
    return agency.strip(), event_id.strip(), significant == "yes", seen


def _row_key(page_key: str, value: str) -> str:
    """The one-time key of one row's button: the page's key (one for the page's form) made
    particular to the entry and the mark asked for, so a second press of the same button acts
    once while another row's button, pressed from the same page, still acts."""
    try:
        return str(uuid.uuid5(uuid.UUID(page_key), value))
    except ValueError:
        return page_key


def _rows(
    chronology: ChildChronology, entries: list[Any], *, may_act: bool
) -> list[dict[str, Any]]:
    rows = []
    for x in entries:
        row = entry_row(x, agency_names=chronology.agencies)
        row["context"] = f"{row['label']}, {row['occurred_text']}"
        if may_act:
            row["mark_value"] = mark_value(
                agency=x.entry.agency,
                event_id=x.entry.event_id,
                significant=not x.significant,
                seen=x.mark_id,
            )
        rows.append(row)
    return rows


def _pagination(base: str, filters: Filters, page: int, pages: int) -> dict[str, Any] | None:
    """GOV.UK's pagination for the entries: first, last, and those either side of this one."""
    if pages <= 1:
        return None

    def href(n: int) -> str:
        query = page_query(filters, n)
        return base + (f"?{query}" if query else "") + "#entries"

    items: list[dict[str, Any]] = []
    for n in range(1, pages + 1):
        if n in (1, pages) or abs(n - page) <= 1:
            items.append({"number": n, "href": href(n), "current": n == page})
        elif items and not items[-1].get("ellipsis"):
            items.append({"ellipsis": True})
    out: dict[str, Any] = {"items": items, "landmarkLabel": "Pages of entries"}
    if page > 1:
        out["previous"] = {"href": href(page - 1), "labelText": f"{page - 1} of {pages}"}
    if page < pages:
        out["next"] = {"href": href(page + 1), "labelText": f"{page + 1} of {pages}"}
    return out


def _filter_context(chronology: ChildChronology | None, a: Asked) -> dict[str, Any]:
    agencies = chronology.agencies if chronology is not None else {}
    types = chronology.types if chronology is not None else []
    return {
        "agency_items": [
            {"value": code, "text": name, "checked": code in a.form["agencies"]}
            for code, name in sorted(agencies.items(), key=lambda kv: kv[1])
        ],
        "type_items": [{"value": "", "text": "All types"}]
        + [
            {"value": t, "text": event_label(t), "selected": t == a.form["type"]}
            for t in sorted(types, key=event_label)
        ],
    }


# --- the page -----------------------------------------------------------------------------


@login_required
@require_GET
def chronology(request: HttpRequest, person_id: int) -> HttpResponse:
    viewer = viewer_for_record_pages(request.user)
    a = asked(request.GET, today=uk_date(clock.now()))
    context: dict[str, Any] = {
        "person_id": person_id,
        "form": a.form,
        "field_errors": a.field_errors,
        "date_error_parts": a.date_error_parts,
        "errors": a.errors,
        "child_href": reverse("casework:child", args=[person_id]),
        "clear_href": reverse("casework:chronology", args=[person_id]),
    }
    try:
        if a.errors:
            # No entries are shown until the date is put right, but the filters stay as they
            # were asked for, offered from the chronology as known now.
            today = child_chronology(person_id=person_id, user=viewer, filters=Filters())
            context.update(title="Chronology", name="", **_filter_context(today, a))
            return render(request, "casework/chronology.html", context, status=400)
        seen = child_chronology(person_id=person_id, user=viewer, filters=a.filters)
    except ChildNotFound:
        return child_not_found(request, viewer, person_id)

    filters = seen.filters
    as_of = filters.as_of
    kept = len(seen.entries)
    pages = max(1, -(-kept // CHRONOLOGY_PAGE))
    page = min(a.page, pages)
    first = (page - 1) * CHRONOLOGY_PAGE
    shown = seen.entries[first : first + CHRONOLOGY_PAGE]
    may_act = seen.access.may_act
    own_agency = seen.agencies.get(seen.access.agency_code, seen.access.agency_code)
    context.update(
        _filter_context(seen, a),
        title=(
            f"Chronology as known on {long_date(as_of)}: {seen.name}"
            if as_of
            else f"Chronology: {seen.name}"
        ),
        name=seen.name,
        born=long_date(seen.date_of_birth) if seen.date_of_birth else "",
        as_of_text=(
            f"As known on {long_date(as_of)}: entries recorded later are not shown."
            if as_of
            else ""
        ),
        withheld=withheld_text(seen, own_agency),
        rows=_rows(seen, shown, may_act=may_act),
        kept=kept,
        total=seen.total,
        page_text=(
            f"Entries {first + 1} to {first + len(shown)} of {kept} (page {page} of {pages})."
            if pages > 1
            else ""
        ),
        pagination=_pagination(context["clear_href"], filters, page, pages),
        form_key=form_key() if may_act else "",
        significance_href=reverse("casework:significance", args=[seen.person_id]),
        narrowed=filters.narrowed,
        shown_text=filters_text(filters, seen.agencies),
        may_act=may_act,
        query=page_query(filters, page),
        csv_href=_export_url("casework:chronology-csv", seen.person_id, filters),
        pdf_href=_export_url("casework:chronology-pdf", seen.person_id, filters),
        oldest_first=filters.oldest_first,
    )
    return render(request, "casework/chronology.html", context)


# --- exports --------------------------------------------------------------------------------


def _export(request: HttpRequest, person_id: int, extension: str) -> HttpResponse:
    viewer = viewer_for_record_pages(request.user)
    a = asked(request.GET, today=uk_date(clock.now()))
    if a.errors:
        # The page says what is wrong with the date; an export of something else would mislead.
        page = reverse("casework:chronology", args=[person_id])
        return redirect(page + "?" + request.GET.urlencode())
    try:
        seen = child_chronology(person_id=person_id, user=viewer, filters=a.filters)
    except ChildNotFound:
        return child_not_found(request, viewer, person_id)
    now = clock.now()
    if extension == "csv":
        body, content_type = chronology_csv(seen), "text/csv; charset=utf-8"
    else:
        generated = Generated(by=staff_label(request.user), at=now)
        body, content_type = chronology_pdf(seen, generated=generated), "application/pdf"
    chronology_export_audit(user=viewer, chronology=seen, format=extension)
    response = HttpResponse(body, content_type=content_type)
    name = export_filename(seen, extension, generated=now)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_GET
def export_csv(request: HttpRequest, person_id: int) -> HttpResponse:
    return _export(request, person_id, "csv")


@login_required
@require_GET
def export_pdf(request: HttpRequest, person_id: int) -> HttpResponse:
    return _export(request, person_id, "pdf")


# --- significance ---------------------------------------------------------------------------


def _done_message(done: MarkedEntry, significant: bool) -> str:
    what = f"{event_label(done.entry_type)} on {when(done.occurred_at)}"
    if done.mark is None:
        return f"{what} was already {'marked' if significant else 'not marked'} as significant"
    return f"{'Marked' if significant else 'Unmarked'} as significant: {what}"


def _stale_message(stale: StaleMark) -> str:
    latest = stale.latest
    if latest is None:
        return "This entry's mark has changed since you opened the page. Nothing was changed."
    by = latest.marked_by
    who = (by.get_full_name() or by.get_username()) if by is not None else "Jigsaw"
    now = "marked as significant" if latest.significant else "not marked as significant"
    return (
        f"{who} changed this entry's mark on {when(latest.marked_at)}, after you opened the "
        f"page: it is now {now}. Nothing was changed: check it and try again if you need to."
    )


@login_required
@require_POST
def significance(request: HttpRequest, person_id: int) -> HttpResponse:
    """Mark or unmark an entry, then back to the same filtered page at that entry. The form
    acts once (a double submission records one mark) and carries the id of the mark it was
    shown with, so a change someone made meanwhile is explained, never overwritten."""
    viewer = viewer_for_record_pages(request.user)
    post = request.POST
    returned = asked(QueryDict(post.get("return", "")), today=uk_date(clock.now()))
    key = post.get("key", "")
    if "mark" in post:  # the page's form: the pressed row's button says which entry, and how
        agency, event_id, significant, seen_text = _mark_asked(post["mark"])
        key = _row_key(key, post["mark"])
    else:  # a form for one entry
        agency, event_id = post.get("agency", "").strip(), post.get("event", "").strip()
        significant, seen_text = post.get("significant") == "yes", post.get("seen", "0")
    try:
        seen = int(seen_text)
    except ValueError:
        seen = -1  # not the id of any mark: treated as a page gone stale
    back = chronology_url(
        person_id, returned.filters, entry_anchor(agency, event_id), page=returned.page
    )
    try:
        target = significance_target(
            person_id=person_id, agency=agency, event_id=event_id, user=viewer
        )
    except ChildNotFound:
        return child_not_found(request, viewer, person_id)
    except ReadOnly:
        raise PermissionDenied("your access to this child's record is read-only") from None

    def act() -> dict[str, Any]:
        done = significance_mark(target=target, significant=significant, seen=seen)
        return {"next": back, "message": _done_message(done, significant)}

    try:
        result, _first = once(key=key, user=request.user, form=SIGNIFICANCE_FORM, act=act)
    except StaleMark as stale:
        messages.warning(request, _stale_message(stale))
        return redirect(back)
    messages.success(request, result["message"])
    return redirect(result["next"])
