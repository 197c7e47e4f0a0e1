"""Exchange format v1: the one set of validation models shared by file ingest and the API.

`parse_object(raw)` turns one decoded JSON object into a typed object or a list of problems, each
naming the field path and the reason. Checks that need the store (is the agency known? is the
subject known?) belong to the ingest service; everything that can be said of one object alone is
said here.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Annotated, Any, Literal, get_args

import orjson
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, model_validator

from jigsaw.core.dates import DateFormatError, parse_date, parse_instant, uk_date
from jigsaw.records.nhs import nhs_number_problem
from jigsaw.records.postcodes import parse_postcode


@dataclass(frozen=True, slots=True)
class Problem:
    path: str
    message: str


# --- field types -----------------------------------------------------------------------------


def _instant(value: Any) -> datetime:
    if not isinstance(value, str):
        raise ValueError("must be an ISO 8601 date-time string, e.g. 2007-04-09T14:00:00Z")
    try:
        return parse_instant(value, end_of_day=False)
    except DateFormatError as exc:
        raise ValueError(str(exc)) from None


def _date(value: Any) -> date:
    if not isinstance(value, str):
        raise ValueError("must be a date string in the form YYYY-MM-DD")
    try:
        return parse_date(value)
    except DateFormatError as exc:
        raise ValueError(str(exc)) from None


def _nhs_number(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError("must be a string of 10 digits")
    problem = nhs_number_problem(value)
    if problem:
        raise ValueError(f"'{value}' {problem}")
    return value.replace(" ", "")


def _postcode(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError("must be a string")
    parsed = parse_postcode(value)
    if parsed is None:
        raise ValueError(f"'{value}' is not a UK postcode")
    return parsed.unit


Instant = Annotated[datetime, BeforeValidator(_instant)]
Day = Annotated[date, BeforeValidator(_date)]
NhsNumber = Annotated[str, BeforeValidator(_nhs_number)]
PostcodeStr = Annotated[str, BeforeValidator(_postcode)]
Text = Annotated[str, Field(min_length=1, max_length=200)]
Code = Annotated[str, Field(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")]
LocalId = Annotated[str, Field(min_length=1, max_length=64)]

SectorName = Literal[
    "health",
    "police",
    "education",
    "social_care",
    "housing",
    "probation",
    "adult_mental_health",
    "substance_misuse",
    "voluntary",
    "other",
]
SubjectRole = Literal[
    "child",
    "parent",
    "carer",
    "partner_of_parent",
    "household_member",
    "alleged_perpetrator",
    "victim",
    "professional",
    "other",
]

_STRICT = ConfigDict(strict=True, extra="forbid", str_strip_whitespace=True)
_OPEN = ConfigDict(strict=True, extra="allow", str_strip_whitespace=True)


# --- objects ---------------------------------------------------------------------------------


class AgencyIn(BaseModel):
    model_config = _STRICT
    kind: Literal["agency"]
    code: Code
    name: Text
    sector: SectorName
    recorded_at: Instant | None = None


class AddressIn(BaseModel):
    model_config = _STRICT
    line1: Annotated[str, Field(max_length=200)] | None = None
    line2: Annotated[str, Field(max_length=200)] | None = None
    town: Annotated[str, Field(max_length=100)] | None = None
    postcode: PostcodeStr | None = None


class PersonIn(BaseModel):
    model_config = _STRICT
    kind: Literal["person"]
    agency: Code
    local_id: LocalId
    given_name: Annotated[str, Field(max_length=100)] | None = None
    family_name: Annotated[str, Field(max_length=100)] | None = None
    other_names: list[Annotated[str, Field(max_length=100)]] = Field(default_factory=list)
    date_of_birth: Day | None = None
    sex: Literal["M", "F", "X", "U"] | None = None
    nhs_number: NhsNumber | None = None
    address: AddressIn | None = None
    address_from: Day | None = None
    recorded_at: Instant | None = None

    @model_validator(mode="after")
    def _needs_a_name(self) -> PersonIn:
        if not (self.given_name or self.family_name):
            raise ValueError("at least one of given_name and family_name is required")
        return self


class SubjectIn(BaseModel):
    model_config = _STRICT
    local_id: LocalId
    role: SubjectRole


class AuthorIn(BaseModel):
    model_config = _STRICT
    name: Annotated[str, Field(max_length=200)] | None = None
    role: Annotated[str, Field(max_length=200)] | None = None


class EventIn(BaseModel):
    model_config = _STRICT
    kind: Literal["event"]
    agency: Code
    event_id: LocalId
    type: Annotated[str, Field(min_length=1, max_length=40)]
    occurred_at: Instant
    recorded_at: Instant | None = None
    subjects: Annotated[list[SubjectIn], Field(min_length=1)]
    author: AuthorIn | None = None
    details: dict[str, Any] = Field(default_factory=dict)
    narrative: Annotated[str, Field(max_length=100_000)] | None = None


ExchangeObject = AgencyIn | PersonIn | EventIn
_MODELS: dict[str, type[BaseModel]] = {"agency": AgencyIn, "person": PersonIn, "event": EventIn}


# --- event details by type -------------------------------------------------------------------


class _Details(BaseModel):
    model_config = _OPEN


# Extension: the restricted categories an agency may mark an event with. Need-to-know hides such
# events from roles that may not see them (access.need_to_know reads this list).
Restriction = Literal["sexual_health", "adoption", "sealed"]
RESTRICTIONS: tuple[str, ...] = get_args(Restriction)


# What every event type's details may say, besides its own fields.
class _EventDetails(_Details):
    restriction: Restriction | None = None  # absent (or null): not restricted


InjuryKind = Literal[
    "bruise",
    "petechiae",
    "laceration",
    "abrasion",
    "burn",
    "scald",
    "bite",
    "fracture",
    "head_injury",
    "oral_injury",
    "other",
]


class Injury(_Details):
    kind: InjuryKind
    site: Annotated[str, Field(max_length=200)] | None = None
    pattern: Literal["hand", "ligature", "implement", "bite", "immersion", "other"] | None = None


NonNegative = Annotated[float, Field(ge=0)]


class _InjuryFields(_EventDetails):
    explanation: str | None = None
    explanation_by: str | None = None
    explanation_consistent: bool | None = None
    child_independently_mobile: bool | None = None
    delay_hours: NonNegative | None = None


class ConcernRaised(_EventDetails):
    category: Literal[
        "physical", "emotional", "sexual", "neglect", "domestic_abuse", "exploitation", "other"
    ]
    description: str | None = None
    referred_to_social_care: bool | None = None


class InjuryObserved(_InjuryFields):
    injuries: Annotated[list[Injury], Field(min_length=1)]


class AeAttendance(_InjuryFields):
    reason: str | None = None
    injuries: list[Injury] | None = None


HealthService = Literal["gp", "health_visitor", "school_nurse", "paediatrics", "midwifery", "other"]


class HealthContact(_EventDetails):
    service: HealthService | None = None
    child_seen: bool | None = None


class AppointmentMissed(_EventDetails):
    service: HealthService | None = None


class HomeVisit(_EventDetails):
    child_seen: bool
    seen_alone: bool | None = None
    childs_views: str | None = None
    adults_present: list[str] | None = None
    purpose: str | None = None


class PoliceIncident(_EventDetails):
    incident_type: Literal["domestic_abuse", "violence", "drugs", "missing_child", "other"]
    children_present: bool | None = None


class OffenceRecord(_EventDetails):
    offence_category: Literal["violence", "sexual", "child_cruelty", "drugs", "other"]
    conviction_date: Day | None = None


class AdultMentalHealthContact(_EventDetails):
    service: str | None = None
    risk_to_others: bool | None = None


class SubstanceMisuseContact(_EventDetails):
    substance: str | None = None


class SchoolAbsence(_EventDetails):
    sessions_missed: Annotated[int, Field(ge=0)]
    period_start: Day | None = None
    period_end: Day | None = None
    authorised: bool | None = None


class ReferralDecision(_EventDetails):
    decision: Literal["no_further_action", "early_help", "assessment", "strategy_discussion"]


class Assessment(_EventDetails):
    stage: Literal["started", "completed"]
    outcome: str | None = None


class StrategyDiscussion(_EventDetails):
    outcome: Literal["section47", "no_section47"]
    agencies_present: list[str] | None = None


class Section47Outcome(_EventDetails):
    outcome: Literal["substantiated", "unsubstantiated", "conference"]


class CpConference(_EventDetails):
    conference: Literal["initial", "review"]
    outcome: Literal["plan", "no_plan", "end_plan"]
    categories: list[Literal["physical", "emotional", "sexual", "neglect"]] | None = None


class CoreGroupMeeting(_EventDetails):
    attended_by: list[str] | None = None


class Placement(_EventDetails):
    carer_type: Literal["foster", "family_friends", "residential", "parent", "other"]
    viability_assessed: bool | None = None
    checks_completed: bool | None = None
    ended: bool | None = None


class HouseholdChange(_EventDetails):
    change: Literal["joined", "left"]
    relationship: Literal["parent", "partner_of_parent", "lodger", "relative", "other"] | None = (
        None
    )


class Supervision(_EventDetails):
    decisions: str | None = None
    supervisor: str | None = None


ANY_SECTOR: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class EventType:
    name: str
    details: type[_EventDetails]
    sent_by: frozenset[str]  # empty: any sector


def _t(name: str, details: type[_EventDetails], *sectors: str) -> EventType:
    return EventType(name, details, frozenset(sectors))


EVENT_TYPES: dict[str, EventType] = {
    t.name: t
    for t in (
        _t("concern_raised", ConcernRaised),
        _t("injury_observed", InjuryObserved),
        _t("ae_attendance", AeAttendance, "health"),
        _t("health_contact", HealthContact, "health"),
        _t("appointment_missed", AppointmentMissed, "health"),
        _t("home_visit", HomeVisit, "social_care", "health"),
        _t("police_incident", PoliceIncident, "police"),
        _t("offence_record", OffenceRecord, "police", "probation"),
        _t("adult_mental_health_contact", AdultMentalHealthContact, "adult_mental_health"),
        _t("substance_misuse_contact", SubstanceMisuseContact, "substance_misuse"),
        _t("school_absence", SchoolAbsence, "education"),
        _t("referral_decision", ReferralDecision, "social_care"),
        _t("assessment", Assessment, "social_care"),
        _t("strategy_discussion", StrategyDiscussion, "social_care"),
        _t("section47_outcome", Section47Outcome, "social_care"),
        _t("cp_conference", CpConference, "social_care"),
        _t("core_group_meeting", CoreGroupMeeting, "social_care"),
        _t("placement", Placement, "social_care"),
        _t("household_change", HouseholdChange),
        _t("supervision", Supervision, "social_care"),
        _t("note", _EventDetails),
    )
}


# --- parsing ---------------------------------------------------------------------------------


def _path(loc: tuple[int | str, ...], prefix: str = "") -> str:
    out = prefix
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out or "(object)"


_MESSAGES = {
    "missing": "is required",
    "extra_forbidden": "is not a field of exchange format v1 (extra information goes in details)",
    "model_type": "Input should be a valid dictionary",  # not pydantic's model class name
}


def _problems(exc: ValidationError, prefix: str = "") -> list[Problem]:
    problems = []
    for err in exc.errors(include_url=False):
        # Drop pydantic's union/validator tags from the location so the path is the field's own.
        loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and "[" in p))
        message = _MESSAGES.get(err["type"], err["msg"])
        message = message.removeprefix("Value error, ")
        problems.append(Problem(_path(loc, prefix), message))
    return problems


def parse_object(raw: Any) -> tuple[ExchangeObject | None, list[Problem]]:
    """Validate one decoded JSON value as an exchange object."""
    if not isinstance(raw, dict):
        return None, [Problem("(object)", "must be a JSON object")]
    kind = raw.get("kind")
    model = _MODELS.get(kind) if isinstance(kind, str) else None
    if model is None:
        allowed = ", ".join(f"'{k}'" for k in _MODELS)
        shown = "missing" if kind is None else f"'{kind}' is not known"
        return None, [Problem("kind", f"{shown}: must be one of {allowed}")]
    try:
        obj = model.model_validate(raw)
    except ValidationError as exc:
        problems = _problems(exc)
        event_type = raw.get("type")
        if kind == "event" and isinstance(event_type, str) and event_type not in EVENT_TYPES:
            problems.append(_unknown_type(event_type))
        return None, problems
    problems = []
    if isinstance(obj, EventIn):
        problems += _check_event(obj)
    return obj, problems  # type: ignore[return-value]


def _unknown_type(name: str) -> Problem:
    return Problem("type", f"'{name}' is not an event type of exchange format v1")


def _check_event(event: EventIn) -> list[Problem]:
    event_type = EVENT_TYPES.get(event.type)
    if event_type is None:
        return [_unknown_type(event.type)]
    problems: list[Problem] = []
    try:
        # Checked, then kept exactly as sent: extra fields too.
        event_type.details.model_validate(event.details)
    except ValidationError as exc:
        problems += _problems(exc, "details")
    if event.type == "household_change":
        roles = {s.role for s in event.subjects}
        for needed in ("child", "household_member"):
            if needed not in roles:
                problems.append(
                    Problem("subjects", f"a household_change needs a subject with role '{needed}'")
                )
    local_ids = [s.local_id for s in event.subjects]
    if len(set(local_ids)) != len(local_ids):
        problems.append(Problem("subjects", "names the same local_id more than once"))
    return problems


def check_times(obj: ExchangeObject, *, now: datetime, tolerance: timedelta) -> list[Problem]:
    """Dates that cannot be true at `now`: in the future, or recorded before they happened."""
    problems: list[Problem] = []
    latest = now + tolerance
    if obj.recorded_at is not None and obj.recorded_at > latest:
        problems.append(Problem("recorded_at", "is in the future"))
    if isinstance(obj, EventIn):
        if obj.occurred_at > latest:
            problems.append(Problem("occurred_at", "is in the future"))
        if obj.recorded_at is not None and obj.recorded_at < obj.occurred_at:
            problems.append(Problem("recorded_at", "is before occurred_at"))
    if isinstance(obj, PersonIn):
        today = uk_date(now)
        if obj.date_of_birth is not None:
            if obj.date_of_birth > today:
                problems.append(Problem("date_of_birth", "is in the future"))
            elif obj.date_of_birth.year < 1900:
                problems.append(Problem("date_of_birth", "is before 1900"))
        if obj.address_from is not None and obj.address_from > today + timedelta(days=1):
            problems.append(Problem("address_from", "is in the future"))
    return problems


def object_key(obj: ExchangeObject) -> tuple[str, str, str]:
    """What identifies the object across resends: kind, agency, local id."""
    if isinstance(obj, AgencyIn):
        return ("agency", obj.code, "")
    if isinstance(obj, PersonIn):
        return ("person", obj.agency, obj.local_id)
    return ("event", obj.agency, obj.event_id)


def content_hash(obj: ExchangeObject) -> str:
    """A digest of what was said, not when: a resend with a new recorded_at is unchanged."""
    payload = obj.model_dump(mode="json", exclude={"recorded_at"}, exclude_none=True)
    if isinstance(obj, EventIn):
        # The order subjects are listed in says nothing: a reordered resend is unchanged.
        payload["subjects"] = sorted(payload["subjects"], key=lambda s: (s["local_id"], s["role"]))
    return hashlib.blake2b(
        orjson.dumps(payload, option=orjson.OPT_SORT_KEYS), digest_size=16
    ).hexdigest()


def exchange_json_schema() -> dict[str, Any]:
    """JSON Schema of one exchange object (any kind), with event types and their details."""
    schema: dict[str, Any] = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "Jigsaw exchange format v1 object",
        "oneOf": [],
        "$defs": {},
    }
    for name, model in _MODELS.items():
        sub = model.model_json_schema(ref_template="#/$defs/{model}")
        schema["$defs"].update(sub.pop("$defs", {}))
        schema["$defs"][model.__name__] = sub
        schema["oneOf"].append({"$ref": f"#/$defs/{model.__name__}", "title": name})
    details: dict[str, Any] = {}
    for event_type in EVENT_TYPES.values():
        sub = event_type.details.model_json_schema(ref_template="#/$defs/{model}")
        schema["$defs"].update(sub.pop("$defs", {}))
        sub["x-sent-by"] = sorted(event_type.sent_by) or ["any"]
        details[event_type.name] = sub
    schema["x-event-details"] = details
    return schema
