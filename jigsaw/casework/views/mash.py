"""The front door's pages: contacts in triage, recording a new contact, and one contact.

Recording a contact takes four steps, each a plain form that works without JavaScript: who
raised it and what the worry is, the child (found by searching), any adults, and a check of the
answers. The draft is kept in the session under the form's one-time key, which the last step
sends to `once()`, so a double submit records one contact.

The views only check what was sent, call front_door's selectors and services, and render.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from jigsaw.access.need_to_know import NoAccess
from jigsaw.casework.front_door import (
    ADULT_ROLES,
    CHILD,
    Candidate,
    ContactNotFound,
    ContactStale,
    ContactView,
    Gathered,
    Referrer,
    Timer,
    agency_names,
    candidates_find,
    contact_create,
    contact_decision_record,
    contact_detail,
    contact_for_action,
    contact_information,
    contact_rate,
    contacts_triage,
    decide_by_text,
    front_door_person_new,
    front_door_viewer,
    short_when,
    timeliness_text,
    when_text,
)
from jigsaw.casework.local_authority import Particulars
from jigsaw.casework.models import ContactDecision, ContactRating
from jigsaw.casework.services import CaseworkError, form_key, once
from jigsaw.core.clock import clock
from jigsaw.core.date_input import DateProblem, year_alone
from jigsaw.core.date_input import date_from_parts as read_date
from jigsaw.core.dates import UK
from jigsaw.identity.matching import Query
from jigsaw.records.postcodes import parse_postcode
from jigsaw.records.presenters import event_label, event_summary

DRAFTS = "front_door_drafts"
DRAFTS_KEPT = 10  # a few contacts on the go at once; older drafts are dropped
TEXT_MAX = 5000
LINE_MAX = 200
NAME_MAX = 100
AGENCY_MAX = 200  # the contact record's column for the referrer's agency
ROLE_MAX = 100
HOW_MAX = 99  # with the role, within the record's 200 characters
STEPS = ("referrer", "child", "adults", "check")
RAG_TAGS = {"red": "govuk-tag--red", "amber": "govuk-tag--orange", "green": "govuk-tag--green"}
SEVERITY_TAGS = {
    "immediate": "govuk-tag--red",
    "high": "govuk-tag--orange",
    "medium": "govuk-tag--yellow",
}
_TIME = re.compile(r"^(\d{1,2})(?:[:.](\d{2}))?\s*([ap])\.?\s*m?\.?$", re.IGNORECASE)
_TIME_24 = re.compile(r"^(\d{1,2})[:.](\d{2})$")
TOO_LONG = f"Reason must be {TEXT_MAX:,} characters or fewer"


# --- reading form input -------------------------------------------------------------------------


def _line(value: str) -> str:
    """One line of text: trimmed, line breaks taken out."""
    return " ".join(value.replace("\r", " ").replace("\n", " ").split())


@dataclass
class Problems:
    """Field errors in the order the fields appear, for the error summary and each field."""

    fields: dict[str, str] = field(default_factory=dict)
    targets: dict[str, str] = field(default_factory=dict)  # field → the element to jump to
    parts: dict[str, list[str]] = field(default_factory=dict)  # date field → inputs to mark

    def add(
        self, name: str, text: str, *, target: str = "", parts: list[str] | None = None
    ) -> None:
        if name not in self.fields:
            self.fields[name] = text
            self.targets[name] = target or name
            if parts:
                self.parts[name] = parts

    def __bool__(self) -> bool:
        return bool(self.fields)

    @property
    def summary(self) -> list[dict[str, str]]:
        return [{"text": t, "href": f"#{self.targets[n]}"} for n, t in self.fields.items()]


def date_from_parts(
    day: str, month: str, year: str, *, what: str, required: bool, today: date
) -> tuple[date | None, str, list[str]]:
    """A date from its three inputs: (the date, '', []) or (None, the problem, inputs to mark).
    `what` names it in the messages ("The date the contact was received")."""
    found = read_date(day, month, year, what=what, today=today, required=required)
    if isinstance(found, DateProblem):
        return None, found.message, found.parts
    return found, "", []


def time_from_text(text: str) -> time | None:
    """14:30, 2:30pm, 2pm, 9.15am, midday, midnight; None if it is not a time."""
    cleaned = text.strip().lower().replace(" ", "")
    if cleaned in ("midday", "noon", "12noon"):
        return time(12, 0)
    if cleaned == "midnight":
        return time(0, 0)
    match = _TIME.match(cleaned)
    if match:
        hour, minute = int(match[1]), int(match[2] or 0)
        if not 1 <= hour <= 12 or minute > 59:
            return None
        return time(hour % 12 + (12 if match[3] == "p" else 0), minute)
    match = _TIME_24.match(cleaned)
    if match:
        hour, minute = int(match[1]), int(match[2])
        return time(hour, minute) if hour < 24 and minute < 60 else None
    return None


def nhs_number_of(text: str) -> str | None:
    """The NHS number as 10 digits (spaces and dashes allowed), or None."""
    digits = re.sub(r"[\s-]", "", text)
    return digits if re.fullmatch(r"\d{10}", digits) else None


# --- drafts in the session ---------------------------------------------------------------------


def _valid_key(key: str) -> bool:
    try:
        uuid.UUID(key)
    except ValueError:
        return False
    return True


def _draft(request: HttpRequest, key: str) -> dict[str, Any] | None:
    drafts = request.session.get(DRAFTS, {})
    found = drafts.get(key) if _valid_key(key) else None
    return found if isinstance(found, dict) else None


def _save(request: HttpRequest, key: str, draft: dict[str, Any]) -> None:
    drafts = dict(request.session.get(DRAFTS, {}))
    drafts[key] = draft
    if len(drafts) > DRAFTS_KEPT:
        oldest = sorted(drafts, key=lambda k: str(drafts[k].get("started", "")))
        for gone in oldest[: len(drafts) - DRAFTS_KEPT]:
            drafts.pop(gone)
    request.session[DRAFTS] = drafts


def _drop(request: HttpRequest, key: str) -> None:
    drafts = dict(request.session.get(DRAFTS, {}))
    drafts.pop(key, None)
    request.session[DRAFTS] = drafts


def step_url(key: str, step: str, **params: str) -> str:
    return f"{reverse('casework:contact-new')}?{urlencode({'draft': key, 'step': step, **params})}"


def _next_step(draft: dict[str, Any]) -> str:
    if not draft.get("referrer"):
        return "referrer"
    if not draft.get("child"):
        return "child"
    if not draft.get("adults_done"):
        return "adults"
    return "check"


def _new_draft() -> dict[str, Any]:
    return {
        "started": clock.now().isoformat(),
        "referrer": None,
        "child": None,
        "adults": [],
        "adults_done": False,
        "searches": {},
    }


# --- how things read ---------------------------------------------------------------------------


def born_text(value: date | str | None) -> str:
    if not value:
        return ""
    day = date.fromisoformat(value) if isinstance(value, str) else value
    return f"{day.day} {day:%B %Y}"


def rag_tag(rag: str | None) -> dict[str, str]:
    if not rag:
        return {"text": "Not rated", "classes": "govuk-tag--grey"}
    return {"text": rag.capitalize(), "classes": RAG_TAGS.get(rag, "")}


def timer_row(timer: Timer) -> dict[str, Any]:
    """The decision timer as a page shows it: text, and whether to tag it Overdue."""
    if timer.decided:
        return {"text": timeliness_text(timer), "overdue": False, "late": timer.late}
    return {"text": decide_by_text(timer), "overdue": timer.overdue, "late": False}


def referrer_text(view: ContactView) -> list[str]:
    """The lines that say who raised a contact: name, role, agency."""
    r = view.referrer
    return [x for x in (r.name, r.role, view.agency_name) if x]


def contact_row(view: ContactView) -> dict[str, Any]:
    return {
        "id": view.id,
        "received": short_when(view.received_at),
        "received_iso": view.received_at.isoformat(),
        "children": [{"id": s.person_id, "name": s.name, "open": s.open} for s in view.children],
        "summary": view.summary if len(view.summary) <= 120 else view.summary[:117] + "…",
        "raised_by": referrer_text(view),
        "rating": rag_tag(view.rating.rag if view.rating else None),
        "timer": timer_row(view.timer),
        "decision": view.decision.label if view.decision else "",
        "decided": short_when(view.decision.decided_at) if view.decision else "",
        "decided_by": view.decision.decided_by if view.decision else "",
    }


def candidate_row(candidate: Candidate) -> dict[str, Any]:
    """A search hit as the page lists it: who, and why the search thinks so."""
    return candidate.as_dict() | {
        "born": born_text(candidate.date_of_birth),
        "score": f"{candidate.weight:.1f}".replace("-", "\u2212"),
        "strength": {
            "auto_link": "Strong match",
            "review": "Possible match",
            "no_link": "Weak match",
        }.get(candidate.band, candidate.band),
    }


def _candidate_hint(c: dict[str, Any]) -> str:
    bits = []
    if c.get("born"):
        bits.append(f"Born {c['born']}")
    if c.get("postcode"):
        bits.append(f"Postcode {c['postcode']}")
    bits.append(f"{c['strength']} (score {c['score']})")
    agreed = ", ".join(c.get("agreed") or []) or "nothing"
    line = f"Agreed: {agreed}."
    if c.get("differed"):
        line += f" Differed: {', '.join(c['differed'])}."
    return ". ".join(bits) + ". " + line


def gathered_block(g: Gathered, *, agencies: dict[str, str]) -> dict[str, Any]:
    """What the agencies know about one person on a contact, as the page shows it."""
    household = None
    if g.household is not None:
        members = sorted(
            g.household.members,
            key=lambda m: (not (m.adult and not m.known_to_social_care), not m.adult, m.name),
        )
        household = {
            "addresses": list(g.household.addresses),
            "members": [
                {
                    "name": m.name,
                    "born": born_text(m.date_of_birth),
                    "adult": m.adult,
                    "relationship": (m.relationship or "").replace("_", " "),
                    "unknown": m.adult and not m.known_to_social_care,
                    "agencies": sorted({agencies.get(s.agency, s.agency) for s in m.sources}),
                }
                for m in members
            ],
            "unknown": [m.name for m in g.household.adults_unknown_to_social_care],
        }
    return {
        "person_id": g.subject.person_id,
        "name": g.subject.name,
        "role": g.subject.role_text,
        "is_child": g.subject.is_child,
        "flags": [
            {
                "id": f.id,
                "title": f.title,
                "severity": f.severity.capitalize(),
                "severity_class": SEVERITY_TAGS.get(f.severity, ""),
                "state": f.state.capitalize(),
                "raised": short_when(f.raised_at),
                "reason": f.reason,
            }
            for f in g.flags
        ],
        "counts": [
            {
                "agency": c.agency_name,
                "what": event_label(c.event_type),
                "count": c.count,
                "latest": short_when(c.latest),
            }
            for c in g.counts
        ],
        "recent": [
            {
                "when": short_when(e.occurred_at),
                "iso": e.occurred_at.isoformat(),
                "agency": agencies.get(e.agency, e.agency),
                "what": event_label(e.type),
                "summary": event_summary(e.type, e.details),
            }
            for e in g.recent
        ],
        "in_last_year": g.in_last_year,
        "agencies": g.agencies,
        "withheld": g.withheld,
        "household": household,
    }


# --- the list of contacts ------------------------------------------------------------------------


@login_required
@require_GET
def contacts(request: HttpRequest) -> HttpResponse:
    """Contacts waiting for a decision, most urgent first, and those decided in the last day."""
    board = contacts_triage(user=request.user)  # 403 for roles without the front door
    return render(
        request,
        "casework/contacts.html",
        {
            "title": "Front door",
            "active_nav": "front-door",
            "waiting": [contact_row(v) for v in board.waiting],
            "decided": [contact_row(v) for v in board.decided],
            "overdue": board.overdue,
        },
    )


# --- recording a contact -------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def contact_new(request: HttpRequest) -> HttpResponse:
    front_door_viewer(request.user, act=True)  # 403 for any role that does not record contacts
    data = request.POST if request.method == "POST" else request.GET
    key = data.get("draft", "")
    step = data.get("step", "referrer")
    if step not in STEPS:
        step = "referrer"
    if not key:
        return _referrer_step(request, form_key(), _new_draft())
    if not _valid_key(key):
        raise Http404("no such draft")
    if request.method == "POST" and step == "check":
        return _submit(request, key)
    draft = _draft(request, key)
    if draft is None:
        if request.method == "POST" and step == "referrer":
            draft = _new_draft()  # the first step's form, sent for the first time
        else:
            messages.info(
                request,
                "That contact was not finished in time, or has been recorded already. Start again.",
            )
            return redirect("casework:contact-new")
    if step == "referrer":
        return _referrer_step(request, key, draft)
    if not draft.get("referrer"):
        return redirect(step_url(key, "referrer"))
    if step == "child":
        return _child_step(request, key, draft)
    if not draft.get("child"):
        return redirect(step_url(key, "child"))
    if step == "adults":
        return _adults_step(request, key, draft)
    return _check_step(request, key, draft)


def _received_default() -> dict[str, str]:
    local = clock.now().astimezone(UK)
    return {
        "received-day": str(local.day),
        "received-month": str(local.month),
        "received-year": str(local.year),
        "received-time": f"{local:%H:%M}",
    }


REFERRER_FIELDS = (
    "agency",
    "agency-other",
    "source-name",
    "source-role",
    "how-to-contact",
    "received-day",
    "received-month",
    "received-year",
    "received-time",
    "summary",
)


def _referrer_step(request: HttpRequest, key: str, draft: dict[str, Any]) -> HttpResponse:
    agencies = agency_names()
    form: dict[str, str] = dict((draft.get("referrer") or {}).get("form") or _received_default())
    problems = Problems()
    if request.method == "POST":
        form = {name: request.POST.get(name, "") for name in REFERRER_FIELDS}
        for name in REFERRER_FIELDS:
            form[name] = form[name].strip() if name == "summary" else _line(form[name])
        parsed = _referrer_check(form, agencies, problems)
        if parsed is not None:
            draft["referrer"] = {"form": form, **parsed}
            _save(request, key, draft)
            return redirect(step_url(key, _next_step(draft)))
    return render(
        request,
        "casework/contact_new.html",
        {
            "title": "Who raised it, and what is the worry?",
            "active_nav": "front-door",
            "errors": problems.summary,
            "field_errors": problems.fields,
            "date_error_parts": problems.parts.get("received", []),
            "form": form,
            "draft": key,
            "agencies": agencies,
            "back": reverse("casework:contacts")
            if not draft.get("referrer")
            else step_url(key, "check"),
            "returning": bool(draft.get("child")),
        },
        status=400 if problems else 200,
    )


def _referrer_check(
    form: dict[str, str], agencies: dict[str, str], problems: Problems
) -> dict[str, Any] | None:
    agency, other = form["agency"], form["agency-other"]
    if agency and agency not in agencies:
        problems.add("agency", "Select an agency from the list")
    elif agency and other:
        problems.add("agency", "Select the agency from the list or enter its name, not both")
    elif not agency and not other:
        problems.add("agency", "Select the agency, or enter its name if it is not in the list")
    elif len(other) > AGENCY_MAX:
        problems.add(
            "agency-other",
            f"The agency's name must be {AGENCY_MAX} characters or fewer",
        )
    if not form["source-name"]:
        problems.add(
            "source-name",
            "Enter the name of the person who raised it, or Anonymous if they gave none",
        )
    elif len(form["source-name"]) > LINE_MAX:
        problems.add("source-name", f"Name must be {LINE_MAX} characters or fewer")
    if len(form["source-role"]) > ROLE_MAX:
        problems.add("source-role", f"Role must be {ROLE_MAX} characters or fewer")
    if len(form["how-to-contact"]) > HOW_MAX:
        problems.add("how-to-contact", f"How to contact them must be {HOW_MAX} characters or fewer")
    now = clock.now()
    day, problem, parts = date_from_parts(
        form["received-day"],
        form["received-month"],
        form["received-year"],
        what="The date the contact was received",
        required=True,
        today=now.astimezone(UK).date(),
    )
    if problem:
        problems.add("received", problem, target=f"received-{parts[0]}", parts=parts)
    at: time | None = None
    if not form["received-time"]:
        problems.add("received-time", "Enter the time the contact was received")
    else:
        at = time_from_text(form["received-time"])
        if at is None:
            problems.add(
                "received-time",
                "Enter the time the contact was received, like 14:30 or 2:30pm",
            )
    received: datetime | None = None
    if day is not None and at is not None:
        received = datetime.combine(day, at, tzinfo=UK)
        if received > now:
            problems.add(
                "received-time", "The time the contact was received must be now or in the past"
            )
    if not form["summary"]:
        problems.add("summary", "Enter what the worry is")
    elif len(form["summary"]) > TEXT_MAX:
        problems.add("summary", f"What the worry is must be {TEXT_MAX:,} characters or fewer")
    if problems or received is None:
        return None
    return {
        "agency": agency or other,
        "name": form["source-name"],
        "role": form["source-role"],
        "how": form["how-to-contact"],
        "received_at": received.isoformat(),
        "summary": form["summary"],
    }


SEARCH_FIELDS = (
    "given-name",
    "family-name",
    "dob-day",
    "dob-month",
    "dob-year",
    "postcode",
    "nhs-number",
)


def _search_check(
    data: Any, *, who: str, problems: Problems
) -> tuple[dict[str, str], dict[str, Any] | None]:
    """The search form as sent, and its terms (None if there is a problem)."""
    form = {name: _line(data.get(name, "")) for name in SEARCH_FIELDS}
    nhs = nhs_number_of(form["nhs-number"]) if form["nhs-number"] else ""
    if not (form["given-name"] or form["family-name"] or form["nhs-number"]):
        problems.add("given-name", f"Enter the {who}'s name or NHS number")
    for name, label in (("given-name", "Given name"), ("family-name", "Family name")):
        if len(form[name]) > NAME_MAX:
            problems.add(name, f"{label} must be {NAME_MAX} characters or fewer")
    today = clock.now().astimezone(UK).date()
    year = _year_alone(form, today=today, problems=problems)
    born, problem, parts = (
        (None, "", [])
        if year is not None
        else date_from_parts(
            form["dob-day"],
            form["dob-month"],
            form["dob-year"],
            what="Date of birth",
            required=False,
            today=today,
        )
    )
    if problem:
        problems.add("dob", problem, target=f"dob-{parts[0]}", parts=parts)
    postcode = ""
    if form["postcode"]:
        parsed = parse_postcode(form["postcode"])
        if parsed is None:
            problems.add("postcode", "Enter a real postcode, like N17 6AB")
        else:
            postcode = parsed.unit
    if nhs is None:
        problems.add("nhs-number", "NHS number must be 10 digits, like 943 476 5919")
    if problems:
        return form, None
    return form, {
        "given_name": form["given-name"],
        "family_name": form["family-name"],
        "date_of_birth": born.isoformat() if born else "",
        "year_of_birth": year or "",
        "postcode": postcode,
        "nhs_number": nhs or "",
    }


def _year_alone(form: dict[str, str], *, today: date, problems: Problems) -> int | None:
    """The year of birth when it is all that was given (0 when it is wrong); None otherwise."""
    year = year_alone(form["dob-day"], form["dob-month"], form["dob-year"], today=today)
    if isinstance(year, DateProblem):
        problems.add("dob", year.message, target="dob-year", parts=year.parts)
        return 0
    return year


def _query(terms: dict[str, Any]) -> Query:
    born = terms.get("date_of_birth")
    return Query(
        given_name=terms.get("given_name", ""),
        family_name=terms.get("family_name", ""),
        date_of_birth=date.fromisoformat(born) if born else None,
        year_of_birth=terms.get("year_of_birth") or None,
        postcode=terms.get("postcode", ""),
        nhs_number=terms.get("nhs_number", ""),
    )


def _new_person_hint(terms: dict[str, Any]) -> str:
    """What a new record will hold: the details searched for, less a year of birth alone (a
    record holds a date of birth, not a year)."""
    held = _terms_text({k: v for k, v in terms.items() if k != "year_of_birth"})
    if terms.get("year_of_birth"):
        return f"With the details you searched for: {held}. A year of birth alone is not recorded"
    return f"With the details you searched for: {held}"


def _terms_text(terms: dict[str, Any]) -> str:
    name = " ".join(x for x in (terms.get("given_name"), terms.get("family_name")) if x)
    bits = [name] if name else []
    if terms.get("date_of_birth"):
        bits.append(f"born {born_text(terms['date_of_birth'])}")
    elif terms.get("year_of_birth"):
        bits.append(f"born in {terms['year_of_birth']}")
    if terms.get("postcode"):
        bits.append(f"postcode {terms['postcode']}")
    if terms.get("nhs_number"):
        bits.append(f"NHS number {terms['nhs_number']}")
    return ", ".join(bits)


def _search(
    request: HttpRequest, draft: dict[str, Any], *, kind: str, who: str, problems: Problems
) -> dict[str, str]:
    """Run the search the page was asked for (a GET with `search`), keeping the terms and what
    was found in the draft: a new person can be recorded only from a search that was made."""
    form = dict.fromkeys(SEARCH_FIELDS, "")
    if "search" not in request.GET:
        last = draft["searches"].get(kind)
        return dict(last["form"]) if last else form
    form, terms = _search_check(request.GET, who=who, problems=problems)
    if terms is None:
        return form
    found = candidates_find(query=_query(terms), user=request.user)
    draft["searches"][kind] = {
        "form": form,
        "terms": terms,
        "hits": [candidate_row(c) for c in found],
        "new_key": form_key(),
    }
    return form


def _person_from_search(
    request: HttpRequest, draft: dict[str, Any], *, kind: str, choice: str, role: str
) -> tuple[dict[str, Any] | None, str]:
    """The person chosen from the last search, or recorded new from its terms: (person, '')
    or (None, what is wrong)."""
    search = draft["searches"].get(kind)
    who = "child" if kind == CHILD else "adult"
    if choice == "new":
        if search is None:
            return None, f"Search for the {who} before you record a new {who}"
        terms = search["terms"]
        if not (terms.get("given_name") or terms.get("family_name")):
            return None, f"Search with the {who}'s name before you record a new {who}"

        def act() -> dict[str, Any]:
            made = front_door_person_new(
                details=Particulars(
                    given_name=terms.get("given_name", ""),
                    family_name=terms.get("family_name", ""),
                    date_of_birth=date.fromisoformat(terms["date_of_birth"])
                    if terms.get("date_of_birth")
                    else None,
                    nhs_number=terms.get("nhs_number", ""),
                    postcode=terms.get("postcode", ""),
                ),
                user=request.user,
            )
            return {
                "person_id": made.person_id,
                "name": made.name,
                "date_of_birth": terms.get("date_of_birth", ""),
                "postcode": made.postcode,
                "new": True,
                "already_known": made.already_known,
            }

        person, _ = once(
            key=search["new_key"], user=request.user, form="front_door_person", act=act
        )
        return {**person, "role": role}, ""
    hits = {str(h["person_id"]): h for h in (search or {}).get("hits", [])}
    if choice not in hits:
        return None, (
            f"Select the {who}, or record a new {who}" if search else f"Search for the {who} first"
        )
    hit = hits[choice]
    return {
        "person_id": hit["person_id"],
        "name": hit["name"],
        "date_of_birth": hit["date_of_birth"],
        "postcode": hit["postcode"],
        "new": False,
        "already_known": False,
        "role": role,
    }, ""


def _search_context(draft: dict[str, Any], kind: str, *, chosen: str = "") -> dict[str, Any]:
    """The last search's results as radio items: each person found, then (only once a search
    with a name has been made) "None of these: record a new …" with the details searched for;
    `chosen` (a form sent back with an error) stays chosen."""
    search = draft["searches"].get(kind)
    if search is None:
        return {"searched": False, "items": [], "found": 0, "terms_text": ""}
    who = "child" if kind == CHILD else "adult"
    items: list[dict[str, Any]] = [
        {
            "value": str(h["person_id"]),
            "text": h["name"],
            "hint": {"text": _candidate_hint(h)},
            "label": {"classes": "govuk-!-font-weight-bold"},
            "checked": chosen == str(h["person_id"]),
        }
        for h in search["hits"]
    ]
    terms = search["terms"]
    terms_text = _terms_text(terms)
    if terms.get("given_name") or terms.get("family_name"):
        if items:
            items.append({"divider": "or"})
        some = "None of these: record" if search["hits"] else "Record"
        items.append(
            {
                "value": "new",
                "text": f"{some} a new {who}",
                "hint": {"text": _new_person_hint(terms)},
                "checked": chosen == "new",
            }
        )
    return {
        "searched": True,
        "items": items,
        "found": len(search["hits"]),
        "terms_text": terms_text,
    }


def _child_step(request: HttpRequest, key: str, draft: dict[str, Any]) -> HttpResponse:
    problems = Problems()
    if request.method == "POST":
        person, problem = _person_from_search(
            request, draft, kind=CHILD, choice=request.POST.get("person", ""), role=CHILD
        )
        if person is not None:
            draft["child"] = person
            draft["adults"] = [a for a in draft["adults"] if a["person_id"] != person["person_id"]]
            _save(request, key, draft)
            if person["already_known"]:
                messages.info(
                    request,
                    f"{person['name']}'s new record matched someone already known to Jigsaw, "
                    "and has been linked to them.",
                )
            return redirect(step_url(key, _next_step(draft)))
        problems.add("person", problem, target="person")
        form = dict((draft["searches"].get(CHILD) or {}).get("form") or {})
    else:
        form = _search(request, draft, kind=CHILD, who="child", problems=problems)
        _save(request, key, draft)
    return render(
        request,
        "casework/contact_new_child.html",
        {
            "title": "Find the child",
            "active_nav": "front-door",
            "errors": problems.summary,
            "field_errors": problems.fields,
            "date_error_parts": problems.parts.get("dob", []),
            "form": form,
            "draft": key,
            "chosen": draft.get("child"),
            "back": step_url(key, "referrer"),
            **_search_context(draft, CHILD),
        },
        status=400 if problems else 200,
    )


def _adults_step(request: HttpRequest, key: str, draft: dict[str, Any]) -> HttpResponse:
    problems = Problems()
    chosen_role = ""
    choice = ""
    if request.method == "POST":
        action = request.POST.get("action", "")
        if action == "done":
            draft["adults_done"] = True
            _save(request, key, draft)
            return redirect(step_url(key, "check"))
        if action == "remove":
            gone = request.POST.get("person", "")
            draft["adults"] = [a for a in draft["adults"] if str(a["person_id"]) != gone]
            _save(request, key, draft)
            return redirect(step_url(key, "adults"))
        chosen_role = request.POST.get("role", "")
        choice = request.POST.get("person", "")
        if not choice:
            problems.add("person", "Select the adult, or record a new adult", target="person")
        if chosen_role not in ADULT_ROLES:
            problems.add("role", "Select how they are related to the child", target="role")
        if not problems:
            person, problem = _person_from_search(
                request, draft, kind="adult", choice=choice, role=chosen_role
            )
            if person is None:
                problems.add("person", problem, target="person")
            elif person["person_id"] == draft["child"]["person_id"]:
                problems.add(
                    "person",
                    f"{person['name']} is the child on this contact: select someone else",
                    target="person",
                )
            else:
                draft["adults"] = [
                    a for a in draft["adults"] if a["person_id"] != person["person_id"]
                ] + [person]
                draft["searches"].pop("adult", None)
                _save(request, key, draft)
                messages.success(request, f"{person['name']} added")
                return redirect(step_url(key, "adults"))
        form = dict((draft["searches"].get("adult") or {}).get("form") or {})
    else:
        form = _search(request, draft, kind="adult", who="adult", problems=problems)
        _save(request, key, draft)
    return render(
        request,
        "casework/contact_new_adults.html",
        {
            "title": "Adults named in the contact",
            "active_nav": "front-door",
            "errors": problems.summary,
            "field_errors": problems.fields,
            "date_error_parts": problems.parts.get("dob", []),
            "form": form,
            "draft": key,
            "child": draft["child"],
            "adults": [
                a
                | {
                    "role_text": ADULT_ROLES.get(a["role"], a["role"]),
                    "born": born_text(a.get("date_of_birth")),
                }
                for a in draft["adults"]
            ],
            "roles": ADULT_ROLES,
            "chosen_role": chosen_role,
            "back": step_url(key, "child"),
            **_search_context(draft, "adult", chosen=choice),
        },
        status=400 if problems else 200,
    )


def _check_context(key: str, draft: dict[str, Any]) -> dict[str, Any]:
    r = draft["referrer"]
    agencies = agency_names()
    received = datetime.fromisoformat(r["received_at"])
    child = draft["child"]
    return {
        "title": "Check the contact before you record it",
        "active_nav": "front-door",
        "draft": key,
        "referrer": {
            "agency": agencies.get(r["agency"], r["agency"]),
            "name": r["name"],
            "role": r["role"],
            "how": r["how"],
            "received": when_text(received, now=clock.now()),
            "summary": r["summary"],
        },
        "child": child | {"born": born_text(child.get("date_of_birth"))},
        "adults": [
            a
            | {
                "role_text": ADULT_ROLES.get(a["role"], a["role"]),
                "born": born_text(a.get("date_of_birth")),
            }
            for a in draft["adults"]
        ],
        "change": {step: step_url(key, step) for step in STEPS},
        "back": step_url(key, "adults"),
    }


def _check_step(request: HttpRequest, key: str, draft: dict[str, Any]) -> HttpResponse:
    return render(request, "casework/contact_new_check.html", _check_context(key, draft))


class _DraftGone(Exception):
    pass


def _submit(request: HttpRequest, key: str) -> HttpResponse:
    """Record the contact once for this draft's key; a second submission goes where the first
    went, even though the draft is gone by then."""

    def act() -> dict[str, Any]:
        draft = _draft(request, key)
        if draft is None or not draft.get("referrer") or not draft.get("child"):
            raise _DraftGone
        r = draft["referrer"]
        contact = contact_create(
            user=request.user,
            referrer=Referrer(r["agency"], r["name"], r["role"], r["how"]),
            received_at=datetime.fromisoformat(r["received_at"]),
            summary=r["summary"],
            child_id=int(draft["child"]["person_id"]),
            adults=[(int(a["person_id"]), a["role"]) for a in draft["adults"]],
        )
        return {"contact": contact.pk}

    try:
        result, first = once(key=key, user=request.user, form="contact_new", act=act)
    except _DraftGone:
        messages.info(
            request,
            "That contact was not finished in time, or has been recorded already. Start again.",
        )
        return redirect("casework:contact-new")
    except CaseworkError as exc:
        draft = _draft(request, key)
        if draft is None:
            raise Http404("no such draft") from None
        context = _check_context(key, draft)
        context["errors"] = [{"text": _problem_text(exc), "href": "#submit"}]
        return render(request, "casework/contact_new_check.html", context, status=400)
    if first:
        _drop(request, key)
        messages.success(request, "Contact recorded. The decision is due within 1 working day.")
    return redirect("casework:contact", result["contact"])


def _problem_text(exc: Exception) -> str:
    """A service's message, less the field name it starts with, as a sentence."""
    text = str(exc).split(": ", 1)[-1]
    return text[:1].upper() + text[1:]


# --- one contact ----------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def contact(request: HttpRequest, contact_id: int) -> HttpResponse:
    problems = Problems()
    stale = ""
    posted: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        action = request.POST.get("action", "")
        posted = {
            "action": action,
            "rag": request.POST.get("rag", ""),
            "decision": request.POST.get("decision", ""),
            "reason": request.POST.get("reason", "").strip(),
        }
        try:
            done = _act(request, contact_id, posted, problems)
        except ContactNotFound:
            raise Http404("no such contact") from None
        except ContactStale as exc:
            stale, status = str(exc), 409
        else:
            if done is not None:
                return done
            status = 400
    try:
        view = contact_detail(contact_id=contact_id, user=request.user)
        gathered = contact_information(contact=view, user=request.user)
    except (ContactNotFound, NoAccess):
        raise Http404("no such contact") from None
    now = clock.now()
    names = agency_names()
    errors = problems.summary
    if stale:
        # A decision already made leaves no decision form: point at what says who made it.
        target = "timer" if posted.get("action") == "decide" else "rag"
        errors = [{"text": stale, "href": f"#{target}"}]
    rating = view.rating
    return render(
        request,
        "casework/contact.html",
        {
            "title": f"Contact about {_about(view)}",
            "active_nav": "front-door",
            "errors": errors,
            "field_errors": problems.fields,
            "stale": stale,
            "contact": view,
            "about": _about(view),
            "received": when_text(view.received_at, now=now),
            "received_iso": view.received_at.isoformat(),
            "recorded": f"{short_when(view.recorded_at)} by {view.recorded_by}",
            "raised_by": referrer_text(view),
            "how_to_contact": view.referrer.how_to_contact,
            "timer": timer_row(view.timer),
            "due": when_text(view.timer.due_at, now=now),
            "rating": rating,
            "rating_tag": rag_tag(rating.rag if rating else None),
            "rating_when": short_when(rating.rated_at) if rating else "",
            "earlier_ratings": [
                {
                    "tag": rag_tag(r.rag),
                    "reason": r.reason,
                    "by": r.rated_by,
                    "when": short_when(r.rated_at),
                }
                for r in view.ratings[1:]
            ],
            "decision": view.decision,
            "decided_when": short_when(view.decision.decided_at) if view.decision else "",
            "people": [
                {
                    "id": s.person_id,
                    "name": s.name,
                    "role": s.role_text,
                    "born": born_text(s.date_of_birth),
                    "is_child": s.is_child,
                    "open": s.open,
                }
                for s in view.subjects
            ],
            "hidden_people": sum(1 for s in view.subjects if not s.open),
            "gathered": [gathered_block(g, agencies=names) for g in gathered],
            "may_act": view.may_act and view.decision is None,
            "rag_choices": list(ContactRating.Rag.choices),
            "decision_choices": list(ContactDecision.Decision.choices),
            "rate_key": form_key(),
            "decide_key": form_key(),
            "seen_rating": rating.id if rating else "",
            "posted": posted if (problems or stale) else {},
        },
        status=status,
    )


def _about(view: ContactView) -> str:
    names = [s.name for s in view.children if s.open] or ["a child"]
    return " and ".join(names)


def _act(
    request: HttpRequest, contact_id: int, posted: dict[str, str], problems: Problems
) -> HttpResponse | None:
    """Rate or decide; the response to send after, or None if the form has problems."""
    action, reason = posted["action"], posted["reason"]
    key = request.POST.get("key", "")
    contact_for_action(contact_id=contact_id, user=request.user)
    if action == "rate":
        if posted["rag"] not in ContactRating.Rag.values:
            problems.add("rag", "Select red, amber or green")
        if not reason:
            problems.add("reason", "Enter the reason for the rating", target="rate-reason")
        elif len(reason) > TEXT_MAX:
            problems.add("reason", TOO_LONG, target="rate-reason")
        if problems:
            return None
        seen_text = request.POST.get("seen", "")
        seen = int(seen_text) if seen_text.isdigit() else None

        def rate() -> dict[str, Any]:
            rating = contact_rate(
                contact_id=contact_id,
                rag=posted["rag"],
                reason=reason,
                seen=seen,
                user=request.user,
            )
            return {"contact": contact_id, "rating": rating.pk}

        _, first = once(key=key, user=request.user, form="contact_rate", act=rate)
        if first:
            messages.success(request, f"Contact rated {posted['rag'].capitalize()}")
        return redirect("casework:contact", contact_id)
    if action == "decide":
        if posted["decision"] not in ContactDecision.Decision.values:
            problems.add("decision", "Select a decision")
        if not reason:
            problems.add("reason", "Enter the reason for the decision", target="decide-reason")
        elif len(reason) > TEXT_MAX:
            problems.add("reason", TOO_LONG, target="decide-reason")
        if problems:
            return None

        def decide() -> dict[str, Any]:
            contact_decision_record(
                contact_id=contact_id,
                decision=posted["decision"],
                reason=reason,
                user=request.user,
            )
            return {"contact": contact_id}

        _, first = once(key=key, user=request.user, form="contact_decide", act=decide)
        if first:
            label = ContactDecision.Decision(posted["decision"]).label
            messages.success(request, f"Decision recorded: {label}")
        return redirect("casework:contact", contact_id)
    problems.add("action", "Choose to rate the contact or record a decision", target="rag")
    return None
