"""What practitioners record in Jigsaw (a visit, a child new to the front door) is written as the
local authority's children's social care agency, through the same exchange ingest as every other
agency: one store, one chronology, append-only and bitemporal, and the risk engine evaluates it
at once through the ingest hooks.

The agency is `JIGSAW_SOCIAL_CARE_AGENCY` if set, else the one agency whose sector is social
care; with none, Jigsaw registers its own ("JIGSAW").
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.conf import settings

from jigsaw.casework.services import CaseworkError
from jigsaw.core.clock import clock
from jigsaw.identity.linking import current_links
from jigsaw.identity.models import Link, Person
from jigsaw.identity.services import Actor, link_confirm
from jigsaw.records.models import Agency, AgencyVersion, PersonRecord, PersonVersion
from jigsaw.records.services import IngestReport, batch_ingest

OWN_AGENCY = {
    "kind": "agency",
    "code": "JIGSAW",
    "name": "Children's social care (recorded in Jigsaw)",
    "sector": "social_care",
}
LOCAL_ID_PREFIX = "JGS-"


def social_care_agency() -> str:
    """The code Jigsaw writes as, registering its own agency the first time if need be."""
    configured = getattr(settings, "JIGSAW_SOCIAL_CARE_AGENCY", "")
    if configured:
        if not Agency.objects.filter(code=configured).exists():
            raise CaseworkError(
                f"JIGSAW_SOCIAL_CARE_AGENCY names '{configured}', which has sent nothing yet"
            )
        return str(configured)
    latest: dict[int, tuple[str, str]] = {}
    for agency_id, code, sector in AgencyVersion.objects.order_by(
        "agency_id", "version"
    ).values_list("agency_id", "agency__code", "sector"):
        latest[agency_id] = (code, sector)
    codes = sorted(code for code, sector in latest.values() if sector == "social_care")
    if OWN_AGENCY["code"] in codes:
        return str(OWN_AGENCY["code"])
    if len(codes) == 1:
        return codes[0]
    if len(codes) > 1:
        raise CaseworkError(
            f"several social care agencies ({', '.join(codes)}): set JIGSAW_SOCIAL_CARE_AGENCY"
        )
    _write([OWN_AGENCY], by=None)
    return str(OWN_AGENCY["code"])


def _username(by: Any) -> str:
    return by.get_username() if getattr(by, "is_authenticated", False) else "jigsaw"


def _write(objs: list[dict[str, Any]], *, by: Any) -> IngestReport:
    def source() -> Iterator[tuple[int, Any]]:
        return iter(enumerate(objs, start=1))

    body = json.dumps(objs, sort_keys=True, default=str).encode()
    report = batch_ingest(
        source=source,
        channel="web",
        source_name=f"web:{_username(by)}",
        sha256=hashlib.sha256(body).hexdigest(),
    )
    if not report.accepted:
        first = report.errors[0] if report.errors else None
        where = f"{first.path}: {first.message}" if first else "refused"
        raise CaseworkError(where)
    return report


def _instant(at: datetime) -> str:
    return at.isoformat()


@dataclass(frozen=True)
class Particulars:
    """What Jigsaw knows of a person, from the most complete of their linked records."""

    given_name: str = ""
    family_name: str = ""
    date_of_birth: date | None = None
    sex: str = ""
    nhs_number: str = ""
    line1: str = ""
    town: str = ""
    postcode: str = ""

    def as_person(self, *, agency: str, local_id: str) -> dict[str, Any]:
        obj: dict[str, Any] = {"kind": "person", "agency": agency, "local_id": local_id,
                               "recorded_at": _instant(clock.now())}  # fmt: skip
        for name in ("given_name", "family_name", "sex", "nhs_number"):
            if getattr(self, name):
                obj[name] = getattr(self, name)
        if self.date_of_birth:
            obj["date_of_birth"] = self.date_of_birth.isoformat()
        if self.line1 or self.postcode:
            obj["address"] = {"line1": self.line1 or None, "town": self.town or None,
                              "postcode": self.postcode or None}  # fmt: skip
        if not (self.given_name or self.family_name):
            obj["given_name"] = "Unknown"
        return obj


def particulars(person: Person) -> Particulars:
    record_ids = [r for r, s in current_links(_ever(person)).items() if s.person == person.pk]
    best: PersonVersion | None = None
    best_key: tuple[int, datetime] | None = None
    for version in PersonVersion.objects.filter(record_id__in=record_ids).order_by(
        "record_id", "recorded_at", "version"
    ):
        filled = sum(bool(v) for v in (version.given_name, version.family_name,
                                       version.date_of_birth, version.nhs_number,
                                       version.postcode))  # fmt: skip
        key = (filled, version.recorded_at)
        if best_key is None or key > best_key:
            best, best_key = version, key
    if best is None:
        return Particulars()
    return Particulars(best.given_name, best.family_name, best.date_of_birth, best.sex,
                       best.nhs_number, best.address_line1, best.address_town,
                       best.postcode)  # fmt: skip


def _ever(person: Person) -> list[int]:
    return list(Link.objects.filter(person=person).values_list("record_id", flat=True))


def person_record_for(person: Person, *, by: Any) -> PersonRecord:
    """The local authority's own record of this person: the one already linked to them, or a
    new one made from their particulars and confirmed to them (so the matcher cannot move it)."""
    agency = social_care_agency()
    links = current_links(_ever(person))
    mine = PersonRecord.objects.filter(
        pk__in=[r for r, s in links.items() if s.person == person.pk], agency__code=agency
    ).order_by("pk")
    record = mine.first()
    if record is not None:
        return record
    local_id = f"{LOCAL_ID_PREFIX}P{person.pk}"
    _write([particulars(person).as_person(agency=agency, local_id=local_id)], by=by)
    record = PersonRecord.objects.get(agency__code=agency, local_id=local_id)
    # Pinned even when the matcher agreed: Jigsaw made this record for this person.
    link_confirm(record=record, person=person, actor=_actor(by),
                 reason="Recorded in Jigsaw about this person")  # fmt: skip
    return record


def _actor(by: Any) -> Actor:
    return Actor.of(by) if getattr(by, "is_authenticated", False) else Actor(name="Jigsaw")


def person_new(details: Particulars, *, by: Any) -> Person:
    """A person the front door searched for and did not find: a new record of the local
    authority's, linked as any agency's would be (to someone already known, if it matches)."""
    agency = social_care_agency()
    local_id = f"{LOCAL_ID_PREFIX}{uuid.uuid4().hex[:12].upper()}"
    _write([details.as_person(agency=agency, local_id=local_id)], by=by)
    record = PersonRecord.objects.get(agency__code=agency, local_id=local_id)
    return Person.objects.get(pk=current_links([record.pk])[record.pk].person)


def event_write(
    *,
    person: Person,
    type: str,
    occurred_at: datetime,
    details: dict[str, Any],
    by: Any,
    narrative: str = "",
    role: str = "child",
    others: list[tuple[Person, str]] | None = None,
) -> str:
    """Record an event about the person (and others, with their roles) as the local authority;
    returns its event id."""
    agency = social_care_agency()
    subjects = [{"local_id": person_record_for(person, by=by).local_id, "role": role}]
    for other, other_role in others or []:
        subjects.append({"local_id": person_record_for(other, by=by).local_id, "role": other_role})
    event_id = f"{LOCAL_ID_PREFIX}E{uuid.uuid4().hex[:16].upper()}"
    profile = getattr(by, "staff_profile", None)
    event: dict[str, Any] = {
        "kind": "event",
        "agency": agency,
        "event_id": event_id,
        "type": type,
        "occurred_at": _instant(occurred_at),
        "recorded_at": _instant(clock.now()),
        "subjects": subjects,
        "details": details,
        "author": {
            "name": (by.get_full_name() or by.get_username()) if by is not None else "Jigsaw",
            "role": profile.get_role_display() if profile is not None else "",
        },
    }
    if narrative:
        event["narrative"] = narrative
    _write([event], by=by)
    return event_id
