"""Events turned into what a person reads: one plain-English line each."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from jigsaw.core.dates import UK

if TYPE_CHECKING:
    from django.core.paginator import Page

    from jigsaw.records.models import PersonRecord, PersonVersion
    from jigsaw.records.selectors import ChronologyEntry

SECTOR_LABELS = {
    "health": "Health",
    "police": "Police",
    "education": "Education",
    "social_care": "Social care",
    "housing": "Housing",
    "probation": "Probation",
    "adult_mental_health": "Adult mental health",
    "substance_misuse": "Substance misuse",
    "voluntary": "Voluntary sector",
    "other": "Other",
}

TYPE_LABELS = {
    "concern_raised": "Concern raised",
    "injury_observed": "Injury observed",
    "ae_attendance": "A&E attendance",
    "health_contact": "Health contact",
    "appointment_missed": "Appointment missed (was not brought)",
    "home_visit": "Home visit",
    "police_incident": "Police incident",
    "offence_record": "Offence record",
    "adult_mental_health_contact": "Adult mental health contact",
    "substance_misuse_contact": "Substance misuse contact",
    "school_absence": "School absence",
    "referral_decision": "Referral decision",
    "assessment": "Assessment",
    "strategy_discussion": "Strategy discussion",
    "section47_outcome": "Section 47 outcome",
    "cp_conference": "Child protection conference",
    "core_group_meeting": "Core group meeting",
    "placement": "Placement",
    "household_change": "Household change",
    "supervision": "Supervision",
    "note": "Note",
}


def _words(value: Any) -> str:
    return str(value).replace("_", " ")


def _injuries(details: dict[str, Any]) -> str:
    parts = []
    for injury in details.get("injuries") or []:
        kind = _words(injury.get("kind", "injury"))
        site = injury.get("site")
        parts.append(f"{kind} ({site})" if site else kind)
    return ", ".join(parts)


def _yes_no(value: Any, yes: str, no: str) -> str:
    return yes if value is True else no if value is False else ""


def event_summary(event_type: str, details: dict[str, Any]) -> str:
    """A short description of what the event says, from its details."""
    d = details
    bits: list[str] = []
    if event_type in {"injury_observed", "ae_attendance"}:
        if d.get("reason"):
            bits.append(str(d["reason"]))
        if d.get("injuries"):
            bits.append(_injuries(d))
        if d.get("explanation"):
            bits.append(f"explanation: \u201c{d['explanation']}\u201d")
        bits.append(_yes_no(d.get("explanation_consistent"), "", "explanation inconsistent"))
        if d.get("delay_hours"):
            bits.append(f"presented after {d['delay_hours']:g} hours")
    elif event_type == "concern_raised":
        bits.append(f"{_words(d.get('category', ''))} concern")
        bits.append(d.get("description") or "")
        bits.append(_yes_no(d.get("referred_to_social_care"), "referred to social care", ""))
    elif event_type in {"health_contact", "appointment_missed"}:
        bits.append(_words(d.get("service", "")))
        bits.append(_yes_no(d.get("child_seen"), "child seen", "child not seen"))
    elif event_type == "home_visit":
        bits.append(_yes_no(d.get("child_seen"), "child seen", "child not seen"))
        if d.get("not_seen_reason"):
            bits.append(f"why not seen: \u201c{d['not_seen_reason']}\u201d")
        bits.append(_yes_no(d.get("seen_alone"), "seen alone", "not seen alone"))
        if d.get("not_seen_alone_reason"):
            bits.append(f"why not alone: \u201c{d['not_seen_alone_reason']}\u201d")
    elif event_type == "police_incident":
        bits.append(_words(d.get("incident_type", "")))
        bits.append(_yes_no(d.get("children_present"), "children present", ""))
    elif event_type == "offence_record":
        bits.append(_words(d.get("offence_category", "")))
    elif event_type == "school_absence":
        authorised = _yes_no(d.get("authorised"), " authorised", " unauthorised")
        bits.append(f"{d.get('sessions_missed', '?')}{authorised} sessions missed")
    elif event_type in {"referral_decision", "section47_outcome", "strategy_discussion"}:
        bits.append(_words(d.get("decision") or d.get("outcome") or ""))
    elif event_type == "assessment":
        bits.append(_words(d.get("stage", "")))
        bits.append(_words(d.get("outcome") or ""))
    elif event_type == "cp_conference":
        bits.append(f"{_words(d.get('conference', ''))} conference: {_words(d.get('outcome', ''))}")
        if d.get("categories"):
            bits.append(", ".join(_words(c) for c in d["categories"]))
    elif event_type == "placement":
        bits.append(_words(d.get("carer_type", "")))
        bits.append(
            _yes_no(d.get("viability_assessed"), "viability assessed", "no viability assessment")
        )
    elif event_type == "household_change":
        bits.append(f"{_words(d.get('relationship') or 'someone')} {d.get('change', '')}")
    elif event_type in {"adult_mental_health_contact", "substance_misuse_contact"}:
        bits.append(_words(d.get("service") or d.get("substance") or ""))
    return "; ".join(b for b in bits if b)


def event_label(event_type: str) -> str:
    return TYPE_LABELS.get(event_type, _words(event_type).capitalize())


def sector_label(sector: str) -> str:
    return SECTOR_LABELS.get(sector, _words(sector).capitalize())


def long_date(value: date) -> str:
    """27 March 2007"""
    return f"{value.day} {value:%B %Y}"


def short_date(value: date) -> str:
    """27 Mar 2007"""
    return f"{value.day} {value:%b %Y}"


def _when(value: datetime) -> str:
    local = value.astimezone(UK)
    return f"{local.day} {local:%b %Y, %H:%M}"


def record_ref(agency: str, local_id: str) -> str:
    """How a person sees and types an agency record: `AGENCY:LOCAL_ID`."""
    return f"{agency}:{local_id}"


def chronology_query(agency: str, local_id: str) -> str:
    """The query string of the chronology page for one agency record."""
    return "?" + urlencode({"record": record_ref(agency, local_id)})


def person_list_rows(versions: Iterable[PersonVersion], *, agency: str) -> list[dict[str, str]]:
    """An agency's person records as rows of its list, each with its chronology's query."""
    return [
        {
            "local_id": v.record.local_id,
            "name": " ".join(n for n in (v.given_name, v.family_name) if n),
            "date_of_birth": short_date(v.date_of_birth) if v.date_of_birth else "Not known",
            "postcode": v.postcode or "Not known",
            "chronology_query": chronology_query(agency, v.record.local_id),
        }
        for v in versions
    ]


def pagination(page: Page[Any]) -> dict[str, Any] | None:
    """GOV.UK pagination for a Django page (None when everything fits on one page)."""
    if page.paginator.num_pages <= 1:
        return None
    items: list[dict[str, Any]] = []
    for number in page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1):
        if number == page.paginator.ELLIPSIS:
            items.append({"ellipsis": True})
        else:
            items.append(
                {"number": number, "href": f"?page={number}", "current": number == page.number}
            )
    return {
        "previous": {"href": f"?page={page.previous_page_number()}"}
        if page.has_previous()
        else None,
        "next": {"href": f"?page={page.next_page_number()}"} if page.has_next() else None,
        "items": items,
    }


def chronology_rows(
    entries: list[ChronologyEntry], *, agency_names: Mapping[str, str] | None = None
) -> list[dict[str, Any]]:
    """Each event as the timeline shows it; `corrected` when a later version replaced the first."""
    names = agency_names or {}
    return [
        {
            "occurred_iso": e.occurred_at.isoformat(),
            "occurred_text": _when(e.occurred_at),
            "recorded_iso": e.recorded_at.isoformat(),
            "recorded_text": _when(e.recorded_at),
            "agency": e.agency,
            "agency_name": names.get(e.agency, e.agency),
            "event_id": e.event_id,
            "record": e.record,
            "label": event_label(e.type),
            "summary": _sentence(event_summary(e.type, e.details)),
            "narrative": e.narrative,
            "author": ", ".join(x for x in (e.author_name, e.author_role) if x),
            "role_text": _words(e.role),
            "corrected": e.versions_known > 1,
            "version": e.version,
        }
        for e in entries
    ]


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:] if text else text


def person_summary(record: PersonRecord, version: PersonVersion | None) -> dict[str, Any]:
    """The person as the agency knew them: name and the facts to tell them apart."""
    if version is None:
        name = record_ref(record.agency.code, record.local_id)
        return {
            "name": name,
            "rows": [
                {"key": {"text": "Agency record"}, "value": {"text": name}},
                {"key": {"text": "Details"}, "value": {"text": "Not yet recorded by then"}},
            ],
        }
    name = " ".join(n for n in (version.given_name, version.family_name) if n)
    address = ", ".join(
        x
        for x in (
            version.address_line1,
            version.address_line2,
            version.address_town,
            version.postcode,
        )
        if x
    )
    dob = version.date_of_birth
    rows = [
        ("Agency record", record_ref(record.agency.code, record.local_id)),
        ("Date of birth", long_date(dob) if dob else "Not known"),
        ("NHS number", _nhs(version.nhs_number) if version.nhs_number else "Not known"),
        ("Address", address or "Not known"),
        ("Other names", ", ".join(version.other_names) if version.other_names else "None recorded"),
    ]
    return {"name": name, "rows": [{"key": {"text": k}, "value": {"text": v}} for k, v in rows]}


def _nhs(number: str) -> str:
    return f"{number[:3]} {number[3:6]} {number[6:]}"


def withheld_notes(*, restricted: int, own_agency_only: bool) -> list[str]:
    """What a chronology leaves out for this viewer, and why, in plain words. Restricted entries
    are counted (their existence shows, their content does not); other agencies' entries are
    not, since even how many there are is theirs to tell."""
    notes = []
    if restricted:
        noun = "entry is" if restricted == 1 else "entries are"
        notes.append(f"{restricted} {noun} in a restricted category your role cannot see.")
    if own_agency_only:
        notes.append("Entries from other agencies are not shown to you.")
    return notes
