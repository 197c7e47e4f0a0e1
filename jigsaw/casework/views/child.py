"""The child's record: who, where, legal status, who holds the case, household and network,
open flags with their evidence, the professionals and agencies involved, the linked agency
records and, for the child's team manager and heads of service, who has looked.

The view only calls `child_record` (need-to-know and the audit entries are its selectors')
and turns what it returns into what the page says (the functions below, testable Python).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

from jigsaw.access.need_to_know import Viewer
from jigsaw.access.roles import Role
from jigsaw.casework.child_record import (
    AccessLogRow,
    ChildNotFound,
    ChildRecord,
    Identity,
    LegalStatus,
    Named,
    NetworkPerson,
    child_record,
    entry_anchor,
)
from jigsaw.casework.exports import when
from jigsaw.core.clock import clock
from jigsaw.core.dates import uk_date
from jigsaw.records.presenters import event_label, long_date, sector_label
from jigsaw.records.selectors import viewer_for_record_pages
from jigsaw.risk.selectors import FlagView

PERSON_ID_MAX = 2**63 - 1  # the break-glass page takes no longer id

SEVERITY = {
    "immediate": ("Immediate", "govuk-tag--red"),
    "high": ("High", "govuk-tag--orange"),
    "medium": ("Medium", "govuk-tag--yellow"),
}
FLAG_STATE = {
    "open": ("Open", "govuk-tag--blue"),
    "acknowledged": ("Acknowledged", "govuk-tag--grey"),
}
CARERS = {
    "foster": "foster carers",
    "family_friends": "family or friends (connected carers)",
    "residential": "a residential home",
    "parent": "parents (placement with parents)",
    "other": "other carers",
}
CATEGORIES = {"physical": "physical abuse", "emotional": "emotional abuse",
              "sexual": "sexual abuse", "neglect": "neglect"}  # fmt: skip
LINK_METHODS = {
    "nhs_number": "Same NHS number and date of birth",
    "probabilistic": "Matched on name, date of birth and address",
    "human": "Confirmed by a person",
    "new": "The first record of this person",
}
ACTIONS = {
    "read": "Looked at",
    "export": "Exported",
    "write": "Changed",
    "refused": "Was refused",
    "break_glass": "Used break-glass for",
    "search": "Found in a search",
}
OBJECTS = {
    "person": "the record",
    "chronology": "the chronology",
    "household": "the household",
    "flags": "flags",
    "flag": "a flag",
    "access_log": "who has looked",
    "significance": "a significance mark",
    "allocation": "the allocation",
    "contact": "a contact",
    "record": "an agency record",
    "person_record": "an agency record",
    "person_search": "search results",
    "break_glass": "the record",
}
BASES = {
    "allocation": "Holds the case",
    "team": "Their team holds the case",
    "managed_team": "Manages the team holding the case",
    "connected": "Named with a child they work with",
    "service": "Service-wide role",
    "triage": "Front door (MASH) triage",
    "involvement": "Their agency is involved",
    "inspection": "Inspection",
    "break_glass": "Break-glass",
    "search": "Searching",
    "operator": "Command line",
    "mixed": "Several",
}


# --- how things read ---------------------------------------------------------------------------


def plural(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else (many or one + 's')}"


def age_text(age: tuple[int, int] | None) -> str:
    """22 months (under two, as practitioners say a baby's age); 7 years"""
    if age is None:
        return ""
    years, months = age
    if years < 2:
        total = years * 12 + months
        return "under 1 month" if total == 0 else plural(total, "month")
    return plural(years, "year")


def names_of(codes: list[str], names: dict[str, str]) -> str:
    shown = [names.get(c, c) for c in codes]
    if len(shown) <= 1:
        return "".join(shown)
    return ", ".join(shown[:-1]) + " and " + shown[-1]


def _words(value: Any) -> str:
    return str(value).replace("_", " ")


def _date(value: date | datetime | None) -> str:
    if value is None:
        return ""
    return long_date(uk_date(value) if isinstance(value, datetime) else value)


def identity_rows(identity: Identity, names: dict[str, str], today: date) -> list[dict[str, Any]]:
    dob = identity.date_of_birth
    age = age_text(identity.age_on(today))
    rows = [
        ("Date of birth", f"{long_date(dob)} ({age} old)" if dob and age else "Not known"),
        ("NHS number", _nhs(identity.nhs_number) if identity.nhs_number else "Not known"),
    ]
    return [{"key": k, "value": v} for k, v in rows]


def _nhs(number: str) -> str:
    return f"{number[:3]} {number[3:6]} {number[6:]}" if len(number) == 10 else number


def disagreements(identity: Identity, names: dict[str, str]) -> list[str]:
    """Where the agencies' records of the child say different things."""
    out = []
    if len(identity.names) > 1:
        said = "; ".join(f"{s.value} ({names_of(s.agencies, names)})" for s in identity.names)
        out.append(f"Agencies give different names: {said}.")
    if len(identity.dates_of_birth) > 1:
        said = "; ".join(
            f"{long_date(s.value)} ({names_of(s.agencies, names)})" for s in identity.dates_of_birth
        )
        chosen = identity.date_of_birth
        out.append(
            f"Agencies give different dates of birth: {said}. The age shown is from "
            f"{long_date(chosen) if chosen else 'none'}, given by the most complete record."
        )
    if len(identity.nhs_numbers) > 1:
        said = "; ".join(
            f"{_nhs(s.value)} ({names_of(s.agencies, names)})" for s in identity.nhs_numbers
        )
        out.append(f"Agencies give different NHS numbers: {said}.")
    return out


def address_rows(identity: Identity, names: dict[str, str]) -> list[dict[str, Any]]:
    return [
        {
            "address": r.address,
            "according_to": [
                f"{names.get(code, code)}" + (f", since {long_date(since)}" if since else "")
                for code, since in r.agencies
            ],
        }
        for r in identity.residences
    ]


def status_view(status: LegalStatus, *, agency_only: bool) -> dict[str, Any]:
    """The legal status as the events say it: a tag for each that applies, a sentence for each
    with the entry it comes from, and what Jigsaw cannot know."""
    tags: list[tuple[str, str]] = []
    lines: list[dict[str, str]] = []

    def line(text: str, entry: Any) -> None:
        lines.append({"text": text, "anchor": entry_anchor(entry.agency, entry.event_id)})

    conf = status.conference
    if conf is not None:
        d = conf.details
        kind = _words(d.get("conference", "")).strip() or "child protection"
        if status.on_plan and status.plan_since is not None:
            tags.append(("Child protection plan", "govuk-tag--red"))
            cats = [CATEGORIES.get(c, _words(c)) for c in d.get("categories") or []]
            under = f" under the category of {' and '.join(cats)}" if cats else ""
            line(
                f"Child protection plan since {_date(status.plan_since.occurred_at)}{under}. "
                f"Latest conference ({kind}) on {_date(conf.occurred_at)}.",
                conf,
            )
        elif d.get("outcome") == "end_plan":
            line(f"Child protection plan ended at a {kind} conference on "
                 f"{_date(conf.occurred_at)}.", conf)  # fmt: skip
        else:
            line(f"A {kind} child protection conference on {_date(conf.occurred_at)} decided "
                 "on no plan.", conf)  # fmt: skip
    place = status.placement
    if place is not None:
        carer = CARERS.get(str(place.details.get("carer_type")), "carers")
        if status.looked_after:
            tags.append(("Looked after", "govuk-tag--purple"))
            line(f"Placed with {carer} since {_date(place.occurred_at)}.", place)
        else:
            line(f"A placement with {carer} ended ({_date(place.occurred_at)}).", place)
    assess = status.assessment
    if assess is not None:
        outcome = _words(assess.details.get("outcome") or "").strip()
        if status.child_in_need:
            tags.append(("Child in need", "govuk-tag--yellow"))
        if assess.details.get("stage") == "started":
            line(f"Assessment started on {_date(assess.occurred_at)}; no outcome recorded yet.",
                 assess)  # fmt: skip
        else:
            said = f": {outcome}" if outcome else ""
            line(f"Assessment completed on {_date(assess.occurred_at)}{said}.", assess)
    if not tags:
        tags.append(("None recorded", "govuk-tag--grey"))
    where = "the records Jigsaw holds" if agency_only else "the records you can see"
    if not lines:
        lines.append({"text": "No child protection conference, placement or assessment is "
                      f"recorded in {where}.", "anchor": ""})  # fmt: skip
    return {
        "tags": tags,
        "lines": lines,
        "caveat": "Worked out from the latest conference, placement and assessment that "
        "agencies have sent. Jigsaw does not hold court orders: check the case file for the "
        "legal position.",
    }


def allocation_text(record: ChildRecord) -> str:
    held = record.allocation
    if held is None:
        return "Not allocated: no team holds this child's case."
    team = held.team.name if held.team is not None else ""
    since = f", since {_date(held.started_at)}"
    if held.worker is not None:
        worker = held.worker.get_full_name() or held.worker.get_username()
        return f"{worker}, {team}{since}"
    return f"{team}, no named worker{since}"


def entry_href(record: ChildRecord, anchor: str, chronology_href: str = "") -> str:
    """A link to an entry's row in the chronology, on the page that shows it."""
    base = chronology_href or reverse("casework:chronology", args=[record.person_id])
    page = record.anchors.get(anchor, 1)
    return base + (f"?page={page}" if page > 1 else "") + "#" + anchor


def evidence_rows(flag: FlagView, record: ChildRecord) -> list[dict[str, str]]:
    rows = []
    chronology_href = reverse("casework:chronology", args=[record.person_id])
    for e in flag.evidence:
        occurred = datetime.fromisoformat(e["occurred_at"]) if e.get("occurred_at") else None
        agency = record.agency_names.get(e["agency"], e["agency"])
        anchor = entry_anchor(e["agency"], e["event_id"])
        restricted = bool(e.get("restricted"))
        label = "An entry in a restricted category" if restricted else event_label(e["type"])
        rows.append(
            {
                "text": f"{label}, {agency}" + (f", {_date(occurred)}" if occurred else ""),
                "href": (
                    entry_href(record, anchor, chronology_href) if anchor in record.anchors else ""
                ),
                "why_not": ""
                if anchor in record.anchors
                else (
                    "restricted: not shown to you"
                    if restricted
                    else "another agency's entry: not shown to you"
                ),
            }
        )
    return rows


def flag_views(record: ChildRecord) -> list[dict[str, Any]]:
    out = []
    for f in record.flags:
        severity = SEVERITY.get(f.severity, (f.severity.capitalize(), "govuk-tag--grey"))
        state = FLAG_STATE.get(f.state, (f.state.capitalize(), "govuk-tag--grey"))
        out.append(
            {
                "id": f.id,
                "title": f.title,
                "severity": severity,
                "state": state,
                "reason": f.reason,
                "action": f.action,
                "due": when(f.due_by),
                "overdue": f.due_by < record.as_of and f.state == "open",
                "evidence": evidence_rows(f, record),
            }
        )
    return out


def _named_text(named: list[Named], names: dict[str, str]) -> list[dict[str, str]]:
    return [
        {
            "text": f"{_words(n.role).capitalize()}, per {names.get(n.agency, n.agency)}, "
            f"{_date(n.last)}",
            "anchor": n.anchor,
        }
        for n in named
    ]


def household_rows(record: ChildRecord, today: date) -> list[dict[str, Any]]:
    names = record.agency_names
    unknown = {id(h) for h in record.adults_unknown}
    rows = []
    for h in record.household:
        m = h.member
        sources = []
        for s in m.sources:
            how = "same address" if s.kind == "address" else f"household change ({s.reference})"
            since = f", since {long_date(s.since)}" if s.since else ""
            sources.append(f"{names.get(s.agency, s.agency)}: {how}{since}")
        relationship = _words(m.relationship).capitalize() if m.relationship else ""
        rows.append(
            {
                "person_id": m.person_id if h.may_open else None,
                "name": m.name or "Name not known",
                "age": age_text(_age(m.date_of_birth, today)) or "Not known",
                "adult": m.adult,
                "relationship": relationship,
                "named": _named_text(h.named, names),
                "since": long_date(m.since) if m.since else "Not known",
                "sources": sources,
                "unknown_to_social_care": id(h) in unknown,
            }
        )
    return rows


def _age(born: date | None, today: date) -> tuple[int, int] | None:
    if born is None or today < born:
        return None
    months = (today.year - born.year) * 12 + today.month - born.month - (today.day < born.day)
    return months // 12, months % 12


def unknown_adult_warnings(record: ChildRecord, name: str) -> list[str]:
    out = []
    for h in record.adults_unknown:
        m = h.member
        agencies = sorted({record.agency_names.get(s.agency, s.agency) for s in m.sources})
        out.append(
            f"{m.name or 'An adult'} lives with {name} according to {names_of(agencies, {})}, "
            "but children's social care's own records do not place them in the household. "
            "Check who they are and whether they pose any risk to the child."
        )
    return out


def network_rows(people: list[NetworkPerson], names: dict[str, str], today: date) -> list[Any]:
    return [
        {
            "person_id": p.person_id if p.may_open else None,
            "name": p.name,
            "age": age_text(_age(p.date_of_birth, today)) or "Not known",
            "named": _named_text(p.named, names),
        }
        for p in people
    ]


def agency_rows(record: ChildRecord) -> list[dict[str, str]]:
    held: dict[str, int] = {}
    for r in record.records:
        held[r.agency] = held.get(r.agency, 0) + 1
    return [
        {
            "name": record.agency_names.get(code, code),
            "sector": sector_label(record.agency_sectors.get(code, "other")),
            "records": plural(n, "record"),
        }
        for code, n in sorted(held.items(), key=lambda kv: record.agency_names.get(kv[0], kv[0]))
    ]


def professional_rows(record: ChildRecord) -> list[dict[str, str]]:
    return [
        {
            "name": p.name,
            "role": p.role or "Not recorded",
            "agency": record.agency_names.get(p.agency, p.agency),
            "last": _date(p.last),
            "anchor": p.anchor,
        }
        for p in record.professionals
    ]


def linked_record_rows(record: ChildRecord) -> list[dict[str, str]]:
    rows = []
    for r in record.records:
        how = LINK_METHODS.get(r.method, _words(r.method).capitalize() or "Not known")
        if r.method == "probabilistic" and r.weight is not None:
            how += f" (weight {r.weight:.1f})"
        if r.method == "human" and r.decision_id is not None:
            how += f" (decision {r.decision_id})"
        rows.append(
            {
                "agency": record.agency_names.get(r.agency, r.agency),
                "local_id": r.local_id,
                "how": how,
                "when": when(r.known_from) if r.known_from else "Not known",
            }
        )
    return rows


def access_log_rows(rows: list[AccessLogRow]) -> list[dict[str, str]]:
    out = []
    for r in rows:
        what = ", ".join(OBJECTS.get(w, _words(w)) for w in r.what)
        role = _role(r.role)
        out.append(
            {
                "when": when(r.at),
                "who": f"{r.username or 'Jigsaw'}" + (f" ({role})" if role else ""),
                "what": f"{ACTIONS.get(r.action, _words(r.action).capitalize())} {what}",
                "why": BASES.get(r.basis, _words(r.basis).capitalize() or "Not recorded")
                + (f": “{r.reason}”" if r.reason else ""),
            }
        )
    return out


def _role(role: str) -> str:
    try:
        return str(Role(role).label)
    except ValueError:
        return _words(role)


# --- pages ----------------------------------------------------------------------------------


def child_not_found(request: HttpRequest, viewer: Viewer, person_id: int) -> HttpResponse:
    """The 'page not found' a missing or hidden child gets (the same for both), offering
    break-glass to roles that may use it (for any id: the offer says nothing about who
    exists)."""
    offer = ""
    if viewer.rules is not None and viewer.rules.may_break_glass and person_id <= PERSON_ID_MAX:
        back = request.get_full_path() if request.method == "GET" else ""
        if not back or back.endswith((".csv", ".pdf")) or "/significance" in back:
            back = reverse("casework:child", args=[person_id])
        offer = reverse("access:break-glass", args=[person_id]) + "?" + urlencode({"next": back})
    return render(
        request,
        "casework/child.html",
        {"title": "Page not found", "not_found": True, "break_glass_href": offer},
        status=404,
    )


@login_required
@require_GET
def child(request: HttpRequest, person_id: int) -> HttpResponse:
    viewer = viewer_for_record_pages(request.user)
    try:
        record = child_record(person_id=person_id, user=viewer)
    except ChildNotFound:
        return child_not_found(request, viewer, person_id)
    today = uk_date(clock.now())
    names = record.agency_names
    identity = record.identity
    first_name = identity.name.split(" ")[0] if identity.name else "this child"
    age = identity.age_on(today)
    is_child = age is None or age[0] < 18
    own_agency = names.get(record.access.agency_code, record.access.agency_code)
    grant = record.break_glass
    chronology_href = reverse("casework:chronology", args=[record.person_id])
    return render(
        request,
        "casework/child.html",
        {
            "title": identity.name,
            "person_id": record.person_id,
            "caption": "Child record" if is_child else "Person record",
            "name": identity.name,
            "first_name": first_name,
            "identity_rows": identity_rows(identity, names, today),
            "disagreements": disagreements(identity, names),
            "addresses": address_rows(identity, names),
            "status": status_view(record.legal_status, agency_only=record.own_agency_only),
            "allocation": allocation_text(record),
            "may_act": record.access.may_act,
            "own_agency_only": record.own_agency_only,
            "own_agency": own_agency,
            "break_glass": (
                {"until": when(grant.expires_at), "reason": grant.reason} if grant else None
            ),
            "flags": flag_views(record),
            "household": household_rows(record, today),
            "unknown_adults": unknown_adult_warnings(record, first_name),
            "network": network_rows(record.network, names, today),
            "agencies": agency_rows(record),
            "professionals": professional_rows(record),
            "linked_records": linked_record_rows(record),
            "merge_href": reverse("identity:merge", args=[record.person_id])
            if record.may_merge
            else "",
            "access_log": access_log_rows(record.access_log)
            if record.access_log is not None
            else None,
            "chronology_href": chronology_href,
            "entry_href": lambda anchor: entry_href(record, anchor, chronology_href),
        },
    )
