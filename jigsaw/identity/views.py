"""Pages for identity: finding a person, the link review queue, deciding a pair side by side,
merging two persons and undoing a merge.

Each view checks the form, calls identity's selectors (need-to-know, one audit entry per read)
and services (the decision, audited) and renders. A person, review item or decision the user
may not see is a 404, exactly as a missing one; a role that may not search or decide gets 403
from the selector it calls. Decisions run inside `once()`, so a form sent twice decides once.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods

from jigsaw.access.need_to_know import NoAccess, viewer_of
from jigsaw.casework.services import form_key, once
from jigsaw.core.clock import clock
from jigsaw.core.date_input import DATE_PARTS, DateProblem, date_from_parts, year_alone
from jigsaw.core.dates import UK, uk_date
from jigsaw.identity.matching import Query
from jigsaw.identity.models import Decision, Person, ReviewItem
from jigsaw.identity.selectors import (
    SEARCH_SCOPES,
    PersonView,
    RecordView,
    SearchHit,
    decision_get,
    person_detail,
    person_get,
    person_search,
    record_person,
    review_item_decision,
    review_item_get,
)
from jigsaw.identity.selectors import review_queue as open_review_items
from jigsaw.identity.services import (
    Actor,
    DecisionConflict,
    IdentityError,
    NotFound,
    merge_holders,
    person_merge,
    person_unmerge,
    review_decide,
)

SEARCH_LIMIT = 10
NAME_MAX = 100
REASON_MAX = 2000
PERSON_ID_MAX = 2**63 - 1  # a longer number is nobody's id

# --- how matches read -------------------------------------------------------------------------

# The probability two records are one person, in words a practitioner would use.
LIKELIHOOD = (
    (0.999, "Almost certainly the same person"),
    (0.95, "Very likely the same person"),
    (0.75, "Likely the same person"),
    (0.25, "Possibly the same person"),
    (0.01, "Unlikely to be the same person"),
    (0.0, "Very unlikely to be the same person"),
)
COMPARISON_LABELS = {
    "given_name": "Given name",
    "family_name": "Family name",
    "date_of_birth": "Date of birth",
    "postcode": "Postcode",
    "address_line": "Address",
    "sex": "Sex",
    "nhs_number": "NHS number",
}
LEVEL_WORDS = {
    "null": "Not known on one side",
    "exact": "Same",
    "agree": "Same",
    "same postcode": "Same",
    "different": "Different",
    "disagree": "Different",
    "variant of the same name": "Variants of one name",
    "one keying error": "One letter different",
    "Jaro-Winkler >= 0.92": "Very similar spelling",
    "Jaro-Winkler >= 0.85": "Similar spelling",
    "sounds alike": "Sound alike",
    "one's given name among the other's other names": "Among the other's other names",
    "shares a name of a multi-part surname": "Share part of a double surname",
    "day and month swapped": "Day and month swapped",
    "one digit different": "One digit different",
    "same month and year": "Same month and year only",
    "same year": "Same year only",
    "same sector": "Same postcode sector",
    "same district": "Same postcode district",
    "similar (token set >= 90)": "Similar",
}
# The rows of the side-by-side comparison: (field of the record, label, comparison it feeds).
SIDE_BY_SIDE = (
    ("given_name", "Given name", "given_name"),
    ("family_name", "Family name", "family_name"),
    ("other_names", "Other names", ""),
    ("date_of_birth", "Date of birth", "date_of_birth"),
    ("sex", "Sex", "sex"),
    ("nhs_number", "NHS number", "nhs_number"),
    ("address", "Address", "address_line"),
    ("postcode", "Postcode", "postcode"),
)
SEX_WORDS = {"M": "Male", "F": "Female", "U": "Not known", "X": "Other"}
# A search hit shows only what identifies the person (docs/security.md): name, date of birth
# and postcode; the other comparisons say whether they agreed, never the record's value.
SHOWN_IN_SEARCH = {"given_name", "family_name", "date_of_birth", "postcode"}


def likelihood(probability: float) -> str:
    """'Very likely the same person'"""
    for floor, words in LIKELIHOOD:
        if probability >= floor:
            return words
    return LIKELIHOOD[-1][1]


def percent(probability: float) -> str:
    """The probability as a person reads it: never '100%' or '0%', which would claim certainty."""
    if probability > 0.99:
        return "more than 99%"
    if probability < 0.01:
        return "less than 1%"
    return f"{round(probability * 100)}%"


def level_words(level: str) -> str:
    return LEVEL_WORDS.get(level, level[:1].upper() + level[1:])


def weight_text(weight: float) -> str:
    """+7.3, 0, and a negative one with a true minus sign (U+2212), as print would show it."""
    if round(weight, 1) == 0:
        return "0"
    return f"+{weight:.1f}" if weight > 0 else f"\u2212{abs(weight):.1f}"


def effect_text(weight: float) -> str:
    """What a comparison did to the score, in words and figures (never colour alone)."""
    if round(weight, 1) == 0:
        return "None"
    return f"{'For' if weight > 0 else 'Against'} ({weight_text(weight)})"


def name_case(text: str) -> str:
    """The matcher's cleaned (lower-case) name as a name: 'o'brien-smith' → 'O'Brien-Smith'."""
    return re.sub(r"(^|[\s\-'])([a-z])", lambda m: m[1] + m[2].upper(), text)


def long_date(value: date | None) -> str:
    """1 March 2006"""
    return f"{value.day} {value:%B %Y}" if value is not None else ""


def long_when(value: datetime) -> str:
    """15 January 2008 at 12:00 (UK time)"""
    local = value.astimezone(UK)
    return f"{local.day} {local:%B %Y} at {local:%H:%M}"


def iso_date_text(text: str) -> str:
    try:
        return long_date(date.fromisoformat(text))
    except ValueError:
        return text


def _explanation(raw: Any) -> list[dict[str, Any]]:
    """A review item's or hit's explanation as a list of comparisons (empty if malformed)."""
    if not isinstance(raw, list):
        return []
    return [c for c in raw if isinstance(c, dict) and "comparison" in c]


def hit_row(hit: SearchHit, *, query: Query) -> dict[str, Any]:
    """One search result: who (name, date of birth, postcode), how likely, and why."""
    by = {c["comparison"]: c for c in _explanation(hit.explanation)}

    def held(name: str) -> str:
        return str(by.get(name, {}).get("value_b") or "")

    name = " ".join(name_case(held(n)) for n in ("given_name", "family_name") if held(n))
    asked = _query_values(query)
    reasons = [
        {
            "label": COMPARISON_LABELS.get(c["comparison"], c["comparison"]),
            "asked": asked.get(c["comparison"], ""),
            "held": _shown_value(c["comparison"], held(c["comparison"])),
            "result": level_words(str(c.get("level", ""))),
            "effect": effect_text(float(c.get("weight") or 0)),
        }
        for c in _explanation(hit.explanation)
        if asked.get(c["comparison"])
    ]
    return {
        "person_id": hit.person_id,
        "name": name or "Name not recorded",
        "date_of_birth": iso_date_text(held("date_of_birth")) or "Not recorded",
        "postcode": held("postcode") or "Not recorded",
        "record": hit.record,
        "likelihood": likelihood(hit.probability),
        "percent": percent(hit.probability),
        "weight": weight_text(hit.weight),
        # Where the weight starts before any detail is compared: two people picked at random
        # are almost never the same person.
        "start": weight_text(
            hit.weight - sum(float(c.get("weight") or 0) for c in _explanation(hit.explanation))
        ),
        "reasons": reasons,
        "agreed": _listed([r["label"] for r in reasons if r["result"] == "Same"]),
    }


def _listed(labels: list[str]) -> str:
    """'Family name, date of birth and NHS number'"""
    words = [w if i == 0 or w.startswith("NHS") else w.lower() for i, w in enumerate(labels)]
    if len(words) < 2:
        return "".join(words)
    return f"{', '.join(words[:-1])} and {words[-1]}"


def _shown_value(comparison: str, value: str) -> str:
    if comparison not in SHOWN_IN_SEARCH:
        return "Not shown"
    if comparison == "date_of_birth":
        return iso_date_text(value) or "Not recorded"
    if comparison in ("given_name", "family_name"):
        return name_case(value) or "Not recorded"
    return value or "Not recorded"


def _query_values(query: Query) -> dict[str, str]:
    return {
        "given_name": query.given_name,
        "family_name": query.family_name,
        "date_of_birth": long_date(query.date_of_birth)
        or (f"Born in {query.year_of_birth}" if query.year_of_birth else ""),
        "postcode": query.postcode.upper(),
        "nhs_number": query.nhs_number,
    }


def record_value(record: RecordView, name: str) -> str:
    value = getattr(record, name)
    if name == "date_of_birth":
        return long_date(value) or "Not recorded"
    if name == "other_names":
        return ", ".join(value) or "None"
    if name == "sex":
        return SEX_WORDS.get(value, value) or "Not recorded"
    if name == "nhs_number" and value and len(value) == 10:
        return f"{value[:3]} {value[3:6]} {value[6:]}"
    return str(value or "") or "Not recorded"


def record_line(record: RecordView) -> str:
    """Amara Okafor, born 14 May 2021, 12 Willow Road, Northfield, NF1 2AB"""
    name = " ".join(n for n in (record.given_name, record.family_name) if n) or "No name"
    born = f"born {long_date(record.date_of_birth)}" if record.date_of_birth else "no birth date"
    return ", ".join(p for p in (name, born, record.address) if p)


def side_by_side(a: RecordView, b: RecordView, explanation: Any) -> list[dict[str, str]]:
    """Each field of the two records, how the matcher compared it and what that added."""
    by = {c["comparison"]: c for c in _explanation(explanation)}
    rows = []
    for name, label, comparison in SIDE_BY_SIDE:
        compared = by.get(comparison) if comparison else None
        result, effect = "Not compared", "None"
        if compared:
            result = level_words(str(compared.get("level", "")))
            effect = effect_text(float(compared.get("weight") or 0))
        rows.append(
            {
                "label": label,
                "a": record_value(a, name),
                "b": record_value(b, name),
                "result": result,
                "effect": effect,
            }
        )
    return rows


def _decision_words(decision: Decision) -> str:
    if decision.kind == Decision.Kind.CONFIRM:
        return "that these records are the same person"
    if decision.kind == Decision.Kind.REJECT:
        return "that these records are different people"
    return f"to {decision.kind} these records"


def decided_text(decision: Decision) -> dict[str, str]:
    return {
        "who": decision.actor_name,
        "when": long_when(decision.made_at),
        "what": _decision_words(decision),
        "reason": decision.reason,
    }


# --- form helpers ------------------------------------------------------------------------------


@contextmanager
def _hidden() -> Iterator[None]:
    """Missing and not open to the user are one answer: the 404 page."""
    try:
        yield
    except (NotFound, NoAccess) as exc:
        raise Http404(str(exc)) from None


def _errors(field_errors: dict[str, str], anchors: dict[str, str] | None = None) -> list[dict]:
    anchors = anchors or {}
    return [
        {"text": text, "href": f"#{anchors.get(name, name)}"} for name, text in field_errors.items()
    ]


def _reason_problem(reason: str, *, empty: str) -> str:
    if not reason:
        return empty
    if len(reason) > REASON_MAX:
        return f"Reason must be {REASON_MAX:,} characters or fewer"
    return ""


def _safe_next(request: HttpRequest, default: str = "/") -> str:
    """The `next` page if it is a path on this site, else `default`."""
    next_url = request.POST.get("next") or request.GET.get("next") or default
    local = next_url.startswith("/") and not next_url.startswith(("//", "/\\"))
    if not local or not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return default
    return next_url


def _person_number(text: str) -> int | None:
    text = text.strip()
    if not text.isdigit() or len(text) > 19:
        return None
    number = int(text)
    return number if 0 < number <= PERSON_ID_MAX else None


# --- the search form ---------------------------------------------------------------------------

SEARCH_FIELDS = ("given-name", "family-name", "postcode", "nhs-number")
DOB_FIELDS = tuple(f"date-of-birth-{part}" for part in DATE_PARTS)


@dataclass
class SearchForm:
    values: dict[str, str]
    submitted: bool
    query: Query | None = None
    field_errors: dict[str, str] = field(default_factory=dict)
    date_error_parts: list[str] = field(default_factory=list)

    @property
    def errors(self) -> list[dict[str, str]]:
        anchors = {"date-of-birth": f"date-of-birth-{(self.date_error_parts or ['day'])[0]}"}
        return _errors(self.field_errors, anchors)

    @property
    def details_given(self) -> int:
        if self.query is None:
            return 0
        q = self.query
        return sum(
            bool(v)
            for v in (
                q.given_name,
                q.family_name,
                q.date_of_birth or q.year_of_birth,
                q.postcode,
                q.nhs_number,
            )
        )


def _date_of_birth(day: str, month: str, year: str, *, today: date) -> date | tuple[str, list[str]]:
    """The date of birth from its three inputs, or (what is wrong, the inputs to mark)."""
    found = date_from_parts(day, month, year, what="Date of birth", today=today, required=True)
    if isinstance(found, DateProblem):
        return found.message, found.parts
    assert found is not None
    return found


def search_form(params: Any) -> SearchForm:
    """What was asked, checked: at least one detail, each one possible."""
    values = {name: str(params.get(name, "")).strip() for name in (*SEARCH_FIELDS, *DOB_FIELDS)}
    form = SearchForm(values, submitted=any(name in params for name in values))
    if not form.submitted:
        return form
    problems: dict[str, str] = {}
    for name, label in (("given-name", "Given name"), ("family-name", "Family name")):
        if len(values[name]) > NAME_MAX:
            problems[name] = f"{label} must be {NAME_MAX} characters or fewer"
    dob: date | None = None
    parts = [values[f] for f in DOB_FIELDS]
    today = uk_date(clock.now())
    year = year_alone(*parts, today=today)
    if isinstance(year, DateProblem):
        problems["date-of-birth"], form.date_error_parts = year.message, year.parts
    elif year is None and any(parts):
        checked = _date_of_birth(*parts, today=today)
        if isinstance(checked, date):
            dob = checked
        else:
            problems["date-of-birth"], form.date_error_parts = checked
    postcode = values["postcode"]
    if postcode and not re.fullmatch(r"[A-Za-z0-9 ]{1,10}", postcode):
        problems["postcode"] = "Enter a postcode, like AA3 1AB, or the first part of one, like AA3"
    nhs = re.sub(r"[\s-]", "", values["nhs-number"])
    if nhs and not re.fullmatch(r"\d{10}", nhs):
        problems["nhs-number"] = "NHS number must be 10 digits, like 485 777 3456"
    if not any(v for v in values.values()) and not problems:
        problems["given-name"] = (
            "Enter at least one detail: a name, date of birth, postcode or NHS number"
        )
    ordered = ("given-name", "family-name", "date-of-birth", "postcode", "nhs-number")
    form.field_errors = {name: problems[name] for name in ordered if name in problems}
    if not form.field_errors:
        form.query = Query(
            given_name=values["given-name"],
            family_name=values["family-name"],
            date_of_birth=dob,
            year_of_birth=year if isinstance(year, int) else None,
            postcode=postcode,
            nhs_number=nhs,
        )
    return form


def _search_may(request: HttpRequest) -> None:
    """Refuse a role that may not search before showing it even the empty form; the selector
    records the refusal (an empty query is no search)."""
    viewer = viewer_of(request.user)
    if viewer.scope is not None and viewer.scope not in SEARCH_SCOPES:
        person_search(query=Query(), user=viewer)
        raise PermissionDenied("your role may not search for people")  # pragma: no cover


# --- /people/search ----------------------------------------------------------------------------


@login_required
@require_http_methods(["GET"])
def search(request: HttpRequest) -> HttpResponse:
    _search_may(request)
    form = search_form(request.GET)
    hits: list[dict[str, Any]] | None = None
    if form.query is not None:
        found = person_search(query=form.query, user=request.user, limit=SEARCH_LIMIT)
        hits = [hit_row(h, query=form.query) for h in found]
    return render(
        request,
        "identity/search.html",
        {
            "title": "Find a person",
            "active_nav": "search",
            "form": form,
            "errors": form.errors,
            "hits": hits,
            "few_details": form.details_given < 3,
        },
        status=400 if form.field_errors else 200,
    )


# --- /review -------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET"])
def review_queue(request: HttpRequest) -> HttpResponse:
    items = open_review_items(user=request.user)
    rows = [
        {
            "id": v.item_id,
            "a": _queue_side(v.record_a),
            "b": _queue_side(v.record_b),
            "likelihood": likelihood(v.probability),
            "percent": percent(v.probability),
            "raised": long_date(uk_date(v.raised_at)),
        }
        for v in items
    ]
    return render(
        request,
        "identity/review_queue.html",
        {"title": "Link review", "active_nav": "review", "rows": rows},
    )


def _queue_side(record: RecordView) -> dict[str, str]:
    return {
        "name": " ".join(n for n in (record.given_name, record.family_name) if n) or "No name",
        "date_of_birth": long_date(record.date_of_birth) or "Date of birth not recorded",
        "record": record.ref,
    }


# --- /review/<id> --------------------------------------------------------------------------------


@dataclass
class ReviewPage:
    item: ReviewItem
    a: RecordView
    b: RecordView
    person_a: PersonView
    person_b: PersonView
    decided: Decision | None

    @property
    def state(self) -> str:
        """What the decision is about: which persons the two records are in now."""
        return f"{self.person_a.person_id}:{self.person_b.person_id}"

    @property
    def together(self) -> bool:
        return self.person_a.person_id == self.person_b.person_id


def _review_page(item: ReviewItem, user: Any) -> ReviewPage:
    """Both records as they stand, each with the rest of its person (one audited read of each
    person); and the decision that resolved the item, if any."""
    persons = {}
    for record in (item.record_a, item.record_b):
        person = record_person(record=record, user=user)
        if person is None:
            raise Http404("a record of this pair is not linked to a person")
        persons[record.pk] = person
    views = {p: person_detail(person_id=p, user=user) for p in sorted(set(persons.values()))}
    view_a, view_b = views[persons[item.record_a_id]], views[persons[item.record_b_id]]
    a = next((r for r in view_a.records if r.record_id == item.record_a_id), None)
    b = next((r for r in view_b.records if r.record_id == item.record_b_id), None)
    if a is None or b is None:
        raise Http404("a record of this pair is not open to you")
    decided = review_item_decision(item=item)  # the item was checked open to the user above
    return ReviewPage(item, a, b, view_a, view_b, decided)


class _Stale(Exception):
    """The page the decision was made on no longer shows the records as they are."""


class _FirstTime(Exception):
    """Raised inside `once()` to learn that a form has not been acted on yet."""


def _resubmitted(request: HttpRequest, *, form: str) -> HttpResponse | None:
    """A form sent again (a double click, a resend) goes where its first sending went, before
    anything is checked again: the first one has changed what those checks would see."""

    def first_time() -> dict[str, Any]:
        raise _FirstTime

    try:
        result, _first = once(
            key=request.POST.get("form_key", ""), user=request.user, form=form, act=first_time
        )
    except _FirstTime:
        return None
    if result.get("message"):
        messages.success(request, result["message"])
    return redirect(result.get("next") or "/")


@dataclass
class Outcome:
    """How a decision went: where to go next, or why it was not made."""

    next: str = ""
    message: str = ""
    problem: str = ""
    status: int = 200
    decided: Decision | None = None


@login_required
@require_http_methods(["GET", "POST"])
def review_item(request: HttpRequest, item_id: int) -> HttpResponse:
    if request.method == "POST" and (again := _resubmitted(request, form="identity:review")):
        return again
    with _hidden():
        item = review_item_get(item_id=item_id, user=request.user, act=True)
        page = _review_page(item, request.user)
    choice = reason = ""
    field_errors: dict[str, str] = {}
    problem = ""
    status = 200
    if request.method == "POST":
        if page.decided is not None:
            status = 409  # someone decided it before this page was sent
        else:
            choice = request.POST.get("same-person", "")
            reason = request.POST.get("reason", "").strip()
            if choice not in ("yes", "no"):
                field_errors["same-person"] = "Select yes if these records are the same person"
            reason_problem = _reason_problem(reason, empty="Enter why you decided this")
            if reason_problem:
                field_errors["reason"] = reason_problem
            status = 400 if field_errors else 200
        if not field_errors and page.decided is None:
            outcome = _decide(request, page, same=choice == "yes", reason=reason)
            if outcome.next:
                messages.success(request, outcome.message)
                return redirect(outcome.next)
            status, problem = outcome.status, outcome.problem
            page.decided = outcome.decided or page.decided
    errors = _errors(field_errors)
    if problem:
        errors.append({"text": problem, "href": "#compare"})
    return render(
        request,
        "identity/review_item.html",
        {
            "title": "Are these the same person?",
            "active_nav": "review",
            "page": page,
            "rows": side_by_side(page.a, page.b, item.explanation),
            "others_a": [r for r in page.person_a.records if r.record_id != page.a.record_id],
            "others_b": [r for r in page.person_b.records if r.record_id != page.b.record_id],
            "record_line": record_line,
            "likelihood": likelihood(item.probability),
            "percent": percent(item.probability),
            "weight": weight_text(item.weight),
            "raised": long_date(uk_date(item.raised_at)),
            "decided": decided_text(page.decided) if page.decided else None,
            "choice": choice,
            "reason": reason,
            "problem": problem,
            "field_errors": field_errors,
            "errors": errors,
            "form_key": form_key(),
            "state": page.state,
        },
        status=status,
    )


def _decide(request: HttpRequest, page: ReviewPage, *, same: bool, reason: str) -> Outcome:
    """Record the decision once, unless the pair changed or was decided since the page was
    shown (then nothing is written, and the reader is told what happened)."""
    item = page.item
    shown = request.POST.get("state", "")

    def act() -> dict[str, Any]:
        # The page always sends its marker; a client that sends none takes the records as
        # they are, as the API does.
        if shown and shown != page.state:
            raise _Stale
        review_decide(item=item, same=same, actor=Actor.of(request.user), reason=reason)
        verdict = "the same person" if same else "different people"
        return {
            "next": reverse("identity:review"),
            "message": f"Decision saved: {page.a.ref} and {page.b.ref} are {verdict}. "
            "Your reason has been recorded.",
        }

    try:
        result, _first = once(
            key=request.POST.get("form_key", ""), user=request.user, form="identity:review", act=act
        )
    except _Stale:
        return Outcome(
            problem="These records have been linked differently since you opened this page. "
            "Check them again below before you decide.",
            status=409,
        )
    except DecisionConflict as exc:
        # Decided by someone else between this page's look and the write.
        decided = review_item_decision(item=item)
        if decided is not None:
            return Outcome(status=409, decided=decided)
        return Outcome(problem=_sentence(str(exc)), status=409)
    except IdentityError as exc:
        return Outcome(problem=_sentence(str(exc)), status=400)
    return Outcome(next=result["next"], message=result["message"])


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


# --- /people/<id>/merge ---------------------------------------------------------------------------


def _records_state(*views: PersonView) -> str:
    """A short marker of which records each person holds, to notice a change before writing."""
    text = "|".join(
        f"{v.person_id}:" + ",".join(str(r.record_id) for r in sorted(v.records, key=_rid))
        for v in views
    )
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _rid(record: RecordView) -> int:
    return record.record_id


def _person_card(view: PersonView) -> dict[str, Any]:
    return {
        "person_id": view.person_id,
        "name": view.name,
        "records": [{"ref": r.ref, "line": record_line(r)} for r in view.records],
    }


@login_required
@require_http_methods(["GET", "POST"])
def merge(request: HttpRequest, person_id: int) -> HttpResponse:
    if request.method == "POST" and (again := _resubmitted(request, form="identity:merge")):
        return again
    with _hidden():
        this = person_get(person_id=person_id, user=request.user, act=True)
    if request.method == "GET" and request.GET.get("merged"):
        return _merged(request, this, request.GET["merged"])
    params = request.POST if request.method == "POST" else request.GET
    other_text = params.get("other", "").strip()
    field_errors: dict[str, str] = {}
    other: PersonView | None = None
    if other_text:
        other, other_problem = _other_person(request, this, other_text)
        if other_problem:
            field_errors["other"] = other_problem
    elif request.method == "POST":
        field_errors["other"] = "Enter the number of the person to merge into this one"
    # Until the other person is chosen, the page searches for them.
    form = None
    if other is None:
        form = search_form(request.GET if request.method == "GET" and not other_text else {})
    this_view = person_detail(person_id=this.pk, user=request.user)
    hits: list[dict[str, Any]] | None = None
    if form is not None and form.query is not None:
        found = person_search(query=form.query, user=request.user, limit=SEARCH_LIMIT + 1)
        hits = [hit_row(h, query=form.query) for h in found if h.person_id != this.pk]
        hits = hits[:SEARCH_LIMIT]
    reason = ""
    status = 400 if field_errors or (form is not None and form.field_errors) else 200
    if request.method == "POST" and other is not None:
        reason = request.POST.get("reason", "").strip()
        reason_problem = _reason_problem(reason, empty="Enter why these are the same person")
        if reason_problem:
            field_errors["reason"], status = reason_problem, 400
        else:
            outcome = _merge_once(request, this, other, this_view, reason)
            if outcome.next:
                return redirect(outcome.next)
            field_errors["merge"], status = outcome.problem, outcome.status
    errors = (form.errors if form is not None else []) + _errors(field_errors, {"merge": "compare"})
    return render(
        request,
        "identity/merge.html",
        {
            "title": f"Merge another person into {this_view.name}",
            "active_nav": "search",
            "this": _person_card(this_view),
            "other": _person_card(other) if other else None,
            "other_text": other_text,
            "form": form,
            "hits": hits,
            "few_details": form is not None and form.details_given < 3,
            "reason": reason,
            "field_errors": field_errors,
            "errors": errors,
            "form_key": form_key(),
            "state": _records_state(this_view, other) if other else "",
        },
        status=status,
    )


def _other_person(request: HttpRequest, this: Person, text: str) -> tuple[PersonView | None, str]:
    number = _person_number(text)
    if number is None:
        return None, "Enter a person number, like 1234"
    if number == this.pk:
        return None, "That is this person: enter the number of the other person"
    try:
        person_get(person_id=number, user=request.user, act=True)
        return person_detail(person_id=number, user=request.user), ""
    except (NotFound, NoAccess):
        # The same words for a number that names nobody and one that is not open to the user.
        return None, "There is no person with that number open to you"


def _merge_once(
    request: HttpRequest, this: Person, other: PersonView, this_view: PersonView, reason: str
) -> Outcome:
    """Merge once, unless either person's records changed since the page was shown."""
    shown = request.POST.get("state", "")
    if shown and shown != _records_state(this_view, other):
        return Outcome(
            problem="The records of these people have changed since you opened this page. "
            "Check them again below before you merge.",
            status=409,
        )

    def act() -> dict[str, Any]:
        decision = person_merge(
            person_a=person_get(person_id=other.person_id, user=request.user, act=True),
            person_b=this,
            actor=Actor.of(request.user),
            reason=reason,
        )
        return {"next": f"{reverse('identity:merge', args=[this.pk])}?merged={decision.pk}"}

    try:
        result, _first = once(
            key=request.POST.get("form_key", ""), user=request.user, form="identity:merge", act=act
        )
    except IdentityError as exc:
        status = 409 if isinstance(exc, DecisionConflict) else 400
        return Outcome(problem=_sentence(str(exc)), status=status)
    return Outcome(next=result["next"])


def _merged(request: HttpRequest, this: Person, decision_text: str) -> HttpResponse:
    """The merge done: what it did, and how to undo it."""
    with _hidden():
        number = _person_number(decision_text)
        if number is None:
            raise Http404("no such decision")
        decision = decision_get(decision_id=number, user=request.user)
    if decision.kind != Decision.Kind.MERGE or decision.person_b_id != this.pk:
        raise Http404("no such merge")
    view = person_detail(person_id=this.pk, user=request.user)
    moved = {int(e["record"]) for e in decision.snapshot.get("before", [])} - {
        int(e["record"]) for e in decision.snapshot.get("before", []) if e.get("person") == this.pk
    }
    return render(
        request,
        "identity/merged.html",
        {
            "title": "Records merged",
            "active_nav": "search",
            "person": _person_card(view),
            "moved": [r.ref for r in view.records if r.record_id in moved],
            "from_person": decision.person_a_id,
            "decision": decision,
            "when": long_when(decision.made_at),
        },
    )


# --- /decisions/<id>/unmerge --------------------------------------------------------------------


@dataclass
class UnmergePlan:
    """What a merge did and what undoing it would restore, as the records stand now."""

    decision: Decision
    groups: list[dict[str, Any]]  # one per person the records go back to
    moved: list[dict[str, Any]]  # records a later decision has moved since
    undone_by: Decision | None


def _unmerge_plan(decision: Decision, user: Any) -> UnmergePlan:
    before = {int(e["record"]): int(e["person"]) for e in decision.snapshot.get("before", [])}
    shown: dict[int, RecordView] = {}
    holders = {}
    for person in sorted(merge_holders(decision)):
        view = person_detail(person_id=person, user=user)
        holders[person] = view
        shown.update({r.record_id: r for r in view.records if r.record_id in before})
    groups: dict[int, list[RecordView]] = {}
    for record, person in sorted(before.items()):
        if record in shown:
            groups.setdefault(person, []).append(shown[record])
    moved = []
    undone_by = None
    for record in sorted(before):
        now = shown.get(record)
        if now is None or now.decision_id == decision.pk:
            continue
        later = _later_decision(now.restored_by or now.decision_id, user)
        if later is not None and later.undoes_id == decision.pk:
            undone_by = later
        how = (
            f"{MOVED_BY.get(later.kind, later.kind)} by {later.actor_name} on "
            f"{long_when(later.made_at)}"
            if later is not None
            else "moved by a later decision"
        )
        moved.append({"ref": now.ref, "how": how})
    titles = {
        decision.person_b_id: "Stay with person {}",
        decision.person_a_id: "Back to person {}",
    }
    return UnmergePlan(
        decision,
        [
            {
                "person_id": person,
                "title": titles.get(person, "Back to person {}").format(person),
                "records": [{"ref": r.ref, "line": record_line(r)} for r in records],
            }
            for person, records in sorted(
                groups.items(), key=lambda g: g[0] != decision.person_b_id
            )
        ],
        moved,
        undone_by,
    )


MOVED_BY: dict[str, str] = {
    Decision.Kind.CONFIRM: "confirmed as another person's",
    Decision.Kind.REJECT: "separated",
    Decision.Kind.MERGE: "merged again",
    Decision.Kind.UNMERGE: "unmerged",
}


def _later_decision(decision_id: int | None, user: Any) -> Decision | None:
    if decision_id is None:
        return None
    try:
        return decision_get(decision_id=decision_id, user=user)
    except (NotFound, NoAccess):
        return None


@login_required
@require_http_methods(["GET", "POST"])
def unmerge(request: HttpRequest, decision_id: int) -> HttpResponse:
    if request.method == "POST" and (again := _resubmitted(request, form="identity:unmerge")):
        return again
    with _hidden():
        decision = decision_get(decision_id=decision_id, user=request.user, act=True)
    if decision.kind != Decision.Kind.MERGE:
        raise Http404("only a merge can be undone")
    plan = _unmerge_plan(decision, request.user)
    next_url = _safe_next(request)
    reason = ""
    field_errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        reason = request.POST.get("reason", "").strip()
        reason_problem = _reason_problem(reason, empty="Enter why this merge was wrong")
        if reason_problem:
            field_errors["reason"], status = reason_problem, 400
        else:
            outcome = _unmerge_once(request, decision, reason, next_url)
            if outcome.next:
                messages.success(request, outcome.message)
                return redirect(outcome.next)
            field_errors["unmerge"], status = outcome.problem, outcome.status
    return render(
        request,
        "identity/unmerge.html",
        {
            "title": "Undo a merge",
            "active_nav": "review",
            "plan": plan,
            "decision": decision,
            "merged_when": long_when(decision.made_at),
            "undone": decided_text(plan.undone_by) if plan.undone_by else None,
            "reason": reason,
            "next": next_url,
            "field_errors": field_errors,
            "errors": _errors(field_errors, {"unmerge": "plan"}),
            "form_key": form_key(),
        },
        status=status,
    )


def _unmerge_once(request: HttpRequest, decision: Decision, reason: str, next_url: str) -> Outcome:
    """Undo the merge once; the service refuses, saying why, when later decisions have moved
    its records or it was already undone."""

    def act() -> dict[str, Any]:
        person_unmerge(decision=decision, actor=Actor.of(request.user), reason=reason)
        return {
            "next": next_url,
            "message": "Merge undone: its records are back with the people they were with "
            "before it, and will be kept apart from now on.",
        }

    try:
        result, _first = once(
            key=request.POST.get("form_key", ""),
            user=request.user,
            form="identity:unmerge",
            act=act,
        )
    except IdentityError as exc:
        status = 409 if isinstance(exc, DecisionConflict) else 400
        return Outcome(problem=_sentence(str(exc)), status=status)
    return Outcome(next=result["next"], message=result["message"])
