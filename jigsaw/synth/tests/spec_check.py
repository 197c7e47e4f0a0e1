"""A small, independent checker for exchange format v1 files, used by the synth tests.

Deliberately written from the specification rather than from the generator's code, so that a
generator bug cannot hide behind a shared assumption.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

SECTORS = {
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
}
ROLES = {
    "child",
    "parent",
    "carer",
    "partner_of_parent",
    "household_member",
    "alleged_perpetrator",
    "victim",
    "professional",
    "other",
}
ANY = None
# type -> (sectors allowed to send it or ANY, required details fields, enumerated fields)
EVENT_TYPES: dict[str, tuple[set[str] | None, tuple[str, ...], dict[str, set[Any]]]] = {
    "concern_raised": (
        ANY,
        ("category",),
        {
            "category": {
                "physical",
                "emotional",
                "sexual",
                "neglect",
                "domestic_abuse",
                "exploitation",
                "other",
            },
            "referred_to_social_care": {True, False},
        },
    ),
    "injury_observed": (
        ANY,
        ("injuries",),
        {"explanation_consistent": {True, False}, "child_independently_mobile": {True, False}},
    ),
    "ae_attendance": (
        {"health"},
        (),
        {"explanation_consistent": {True, False}, "child_independently_mobile": {True, False}},
    ),
    "health_contact": (
        {"health"},
        (),
        {
            "service": {
                "gp",
                "health_visitor",
                "school_nurse",
                "paediatrics",
                "midwifery",
                "other",
            },
            "child_seen": {True, False},
        },
    ),
    "appointment_missed": (
        {"health"},
        (),
        {"service": {"gp", "health_visitor", "school_nurse", "paediatrics", "midwifery", "other"}},
    ),
    "home_visit": (
        {"social_care", "health"},
        ("child_seen",),
        {"child_seen": {True, False}, "seen_alone": {True, False}},
    ),
    "police_incident": (
        {"police"},
        ("incident_type",),
        {
            "incident_type": {"domestic_abuse", "violence", "drugs", "missing_child", "other"},
            "children_present": {True, False},
        },
    ),
    "offence_record": (
        {"police", "probation"},
        ("offence_category",),
        {"offence_category": {"violence", "sexual", "child_cruelty", "drugs", "other"}},
    ),
    "adult_mental_health_contact": ({"adult_mental_health"}, (), {"risk_to_others": {True, False}}),
    "substance_misuse_contact": ({"substance_misuse"}, (), {}),
    "school_absence": ({"education"}, ("sessions_missed",), {"authorised": {True, False}}),
    "referral_decision": (
        {"social_care"},
        ("decision",),
        {"decision": {"no_further_action", "early_help", "assessment", "strategy_discussion"}},
    ),
    "assessment": ({"social_care"}, ("stage",), {"stage": {"started", "completed"}}),
    "strategy_discussion": (
        {"social_care"},
        ("outcome",),
        {"outcome": {"section47", "no_section47"}},
    ),
    "section47_outcome": (
        {"social_care"},
        ("outcome",),
        {"outcome": {"substantiated", "unsubstantiated", "conference"}},
    ),
    "cp_conference": (
        {"social_care"},
        ("conference", "outcome"),
        {"conference": {"initial", "review"}, "outcome": {"plan", "no_plan", "end_plan"}},
    ),
    "core_group_meeting": ({"social_care"}, (), {}),
    "placement": (
        {"social_care"},
        ("carer_type",),
        {
            "carer_type": {"foster", "family_friends", "residential", "parent", "other"},
            "viability_assessed": {True, False},
            "checks_completed": {True, False},
            "ended": {True, False},
        },
    ),
    "household_change": (
        ANY,
        ("change",),
        {
            "change": {"joined", "left"},
            "relationship": {"parent", "partner_of_parent", "lodger", "relative", "other"},
        },
    ),
    "supervision": ({"social_care"}, (), {}),
    "note": (ANY, (), {}),
}
INJURY_KINDS = {
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
}
INJURY_PATTERNS = {"hand", "ligature", "implement", "bite", "immersion", "other"}
CP_CATEGORIES = {"physical", "emotional", "sexual", "neglect"}
_INSTANT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")


def nhs_valid(number: str) -> bool:
    if len(number) != 10 or not number.isdigit():
        return False
    total = sum(int(d) * w for d, w in zip(number[:9], range(10, 1, -1), strict=True))
    check = 11 - total % 11
    if check == 11:
        check = 0
    return check != 10 and check == int(number[9])


def _date(value: Any) -> bool:
    if not isinstance(value, str) or len(value) != 10:
        return False
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


def _instant(value: Any) -> bool:
    if not isinstance(value, str) or not _INSTANT.match(value):
        return False
    try:
        datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


@dataclass
class FileReport:
    code: str
    sector: str = ""
    persons: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # local_id -> versions
    events: list[dict[str, Any]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def check_file(path: Path, max_errors: int = 50) -> FileReport:
    """Check one agency file; every problem found is listed in `errors`."""
    report = FileReport(code=path.stem)
    errors = report.errors
    seen_events: dict[str, dict[str, Any]] = {}
    last_occurred = ""
    in_events = False
    with path.open(encoding="utf-8") as f:
        for n, raw in enumerate(f, start=1):
            if len(errors) >= max_errors:
                break
            where = f"{path.name}:{n}"
            try:
                obj = json.loads(raw)
            except json.JSONDecodeError as exc:
                errors.append(f"{where}: not JSON ({exc})")
                continue
            kind = obj.get("kind")
            if n == 1:
                if (
                    kind != "agency"
                    or obj.get("code") != report.code
                    or obj.get("sector") not in SECTORS
                ):
                    errors.append(f"{where}: first line must be this file's agency")
                elif not obj.get("name"):
                    errors.append(f"{where}: agency without a name")
                report.sector = obj.get("sector", "")
                continue
            if obj.get("agency") != report.code:
                errors.append(f"{where}: agency {obj.get('agency')!r} in {report.code}'s file")
            if kind == "person":
                if in_events:
                    errors.append(f"{where}: person after events")
                _check_person(obj, where, errors)
                report.persons.setdefault(obj.get("local_id", ""), []).append(obj)
            elif kind == "event":
                in_events = True
                _check_event(obj, where, report, errors)
                occurred = obj.get("occurred_at", "")
                if occurred < last_occurred:
                    errors.append(f"{where}: events not in occurred_at order")
                last_occurred = occurred
                previous = seen_events.get(obj.get("event_id", ""))
                if previous is not None:
                    if previous == obj:
                        errors.append(f"{where}: exact duplicate event")
                    elif obj["recorded_at"] <= previous["recorded_at"]:
                        errors.append(f"{where}: correction not recorded later than the original")
                seen_events[obj.get("event_id", "")] = obj
                report.events.append(obj)
            else:
                errors.append(f"{where}: unknown kind {kind!r}")
    return report


def _check_person(obj: dict[str, Any], where: str, errors: list[str]) -> None:
    if not obj.get("local_id") or not isinstance(obj["local_id"], str):
        errors.append(f"{where}: person without local_id")
    if not obj.get("given_name") and not obj.get("family_name"):
        errors.append(f"{where}: person with no name")
    if "sex" in obj and obj["sex"] not in {"M", "F", "X", "U"}:
        errors.append(f"{where}: bad sex {obj['sex']!r}")
    if "date_of_birth" in obj and not _date(obj["date_of_birth"]):
        errors.append(f"{where}: bad date_of_birth")
    if obj.get("nhs_number") is not None and not nhs_valid(obj["nhs_number"]):
        errors.append(f"{where}: NHS number {obj['nhs_number']} fails modulus 11")
    if not _instant(obj.get("recorded_at")):
        errors.append(f"{where}: bad recorded_at")
    address = obj.get("address")
    if address is not None:
        if not isinstance(address, dict) or not address.get("line1") or not address.get("postcode"):
            errors.append(f"{where}: bad address")
        if "address_from" in obj and not _date(obj["address_from"]):
            errors.append(f"{where}: bad address_from")
    if "other_names" in obj and not (
        isinstance(obj["other_names"], list) and all(isinstance(x, str) for x in obj["other_names"])
    ):
        errors.append(f"{where}: other_names must be a list of strings")


def _check_event(obj: dict[str, Any], where: str, report: FileReport, errors: list[str]) -> None:
    etype = obj.get("type")
    if etype not in EVENT_TYPES:
        errors.append(f"{where}: unknown event type {etype!r}")
        return
    sectors, required, enums = EVENT_TYPES[etype]
    if sectors is not None and report.sector not in sectors:
        errors.append(f"{where}: {report.sector} may not send {etype}")
    if not obj.get("event_id"):
        errors.append(f"{where}: event without event_id")
    if not _instant(obj.get("occurred_at")) or not _instant(obj.get("recorded_at")):
        errors.append(f"{where}: occurred_at/recorded_at must be ISO 8601 UTC")
    elif obj["recorded_at"] < obj["occurred_at"]:
        errors.append(f"{where}: recorded before it occurred")
    subjects = obj.get("subjects")
    if not isinstance(subjects, list) or not subjects:
        errors.append(f"{where}: event without subjects")
        subjects = []
    for s in subjects:
        if s.get("local_id") not in report.persons:
            errors.append(f"{where}: subject {s.get('local_id')} not sent earlier by {report.code}")
        if s.get("role") not in ROLES:
            errors.append(f"{where}: bad role {s.get('role')!r}")
    details = obj.get("details") or {}
    for name in required:
        if name not in details:
            errors.append(f"{where}: {etype} needs details.{name}")
    for name, allowed in enums.items():
        if name in details and details[name] is not None and details[name] not in allowed:
            errors.append(f"{where}: {etype} details.{name}={details[name]!r}")
    if "injuries" in details:
        injuries = details["injuries"]
        if not isinstance(injuries, list) or (etype == "injury_observed" and not injuries):
            errors.append(f"{where}: injuries must be a list")
        else:
            for injury in injuries:
                if injury.get("kind") not in INJURY_KINDS:
                    errors.append(f"{where}: bad injury kind {injury.get('kind')!r}")
                if "pattern" in injury and injury["pattern"] not in INJURY_PATTERNS:
                    errors.append(f"{where}: bad injury pattern {injury['pattern']!r}")
    if etype == "school_absence":
        sessions = details.get("sessions_missed")
        if not isinstance(sessions, int) or sessions < 1:
            errors.append(f"{where}: sessions_missed must be a positive integer")
        for name in ("period_start", "period_end"):
            if name in details and not _date(details[name]):
                errors.append(f"{where}: bad {name}")
    if etype == "cp_conference":
        if not set(details.get("categories", [])) <= CP_CATEGORIES:
            errors.append(f"{where}: bad conference categories")
        if details.get("conference") == "initial" and details.get("outcome") == "end_plan":
            errors.append(f"{where}: an initial conference cannot end a plan")
    if (
        etype == "offence_record"
        and "conviction_date" in details
        and not _date(details["conviction_date"])
    ):
        errors.append(f"{where}: bad conviction_date")
    if etype == "household_change":
        roles = sorted(s.get("role") for s in subjects)
        if roles != ["child", "household_member"]:
            errors.append(
                f"{where}: household_change needs one household_member and one child, got {roles}"
            )
