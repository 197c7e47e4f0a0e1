"""A made-up child and the agencies around them, sent through the one ingest service."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from jigsaw.identity.tests.helpers import person_of
from jigsaw.records.tests.factories import AgencyObj, EventObj, PersonObj, errors_of, ingest
from jigsaw.risk.models import Flag
from jigsaw.risk.selectors import FlagView, flags_list

AGENCIES = [
    AgencyObj(code="NMUH", name="North Middlesex A&E", sector="health"),
    AgencyObj(code="CSC", name="Haringey Children's Social Care", sector="social_care"),
]


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def child(agency: str = "NMUH", local_id: str = "H-1", dob: str = "2007-10-01") -> Any:
    return PersonObj(
        agency=agency, local_id=local_id, given_name="Amani", family_name="Oyelaran",
        date_of_birth=dob, sex="F", nhs_number="9434765919", recorded_at="2007-10-02T09:00:00Z",
    )  # fmt: skip


def bruise(
    event_id: str,
    occurred: str,
    recorded: str,
    *,
    agency: str = "NMUH",
    site: str = "cheek",
    local_id: str = "H-1",
    mobile: bool | None = False,
    **details: Any,
) -> Any:
    fields: dict[str, Any] = {
        "injuries": [{"kind": "bruise", "site": site}],
        "explanation": "rolled off the sofa",
        **details,
    }
    if mobile is not None:
        fields["child_independently_mobile"] = mobile
    return EventObj(
        agency=agency, event_id=event_id,
        type="ae_attendance" if agency == "NMUH" else "injury_observed",
        occurred_at=occurred, recorded_at=recorded,
        subjects=[{"local_id": local_id, "role": "child"}], details=fields,
    )  # fmt: skip


def send(*objs: Any) -> Any:
    report = ingest(list(objs))
    assert report.accepted, errors_of(report)
    return report


def flags(rule: str | None = None) -> list[FlagView]:
    return flags_list(user=None, rule=rule)


def one(rule: str) -> FlagView:
    found = flags(rule)
    assert len(found) == 1, [f.key for f in found]
    return found[0]


def stored(rule: str) -> Flag:
    return Flag.objects.get(rule_id=rule)


def child_person(ref: str = "NMUH:H-1") -> int:
    return person_of(ref)
