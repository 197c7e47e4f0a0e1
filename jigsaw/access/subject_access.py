"""A subject access export: everything Jigsaw holds about one person, every version of it, and
everyone who has looked (UK GDPR article 15; the data protection officer decides what of it is
disclosed, and redacts third parties, before anything leaves the council).

Read straight from the stores, not through need-to-know: it is run by the operator on the
server (`jigsaw audit export PERSON_ID`), and the export itself is audited.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.db import models
from django.db.models import Q

from jigsaw.access.audit import audit_record
from jigsaw.access.models import AuditEntry, BreakGlass
from jigsaw.access.need_to_know import CLI_USERNAME
from jigsaw.casework.models import Allocation, ContactSubject
from jigsaw.identity.models import Decision, Link, Person
from jigsaw.records.models import EventSubject, PersonVersion
from jigsaw.risk.models import Flag


class NoSuchPerson(LookupError):
    pass


def _value(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _row(obj: models.Model, *, skip: tuple[str, ...] = ()) -> dict[str, Any]:
    """Every stored field of a row (foreign keys as ids), as JSON-ready values."""
    return {
        f.attname: _value(getattr(obj, f.attname))
        for f in obj._meta.concrete_fields
        if f.name not in skip
    }


def _look(entry: AuditEntry, *, person_id: str, record_ids: list[int]) -> dict[str, Any]:
    """An audit entry as the subject's export shows it: only their own person and record ids
    (an ingest or a search names many others), with how many others it named."""
    row = {k: _value(v) for k, v in _row(entry, skip=("prev_hash", "hash")).items()}
    theirs = set(record_ids)
    row["person_ids"] = [p for p in entry.person_ids if p == person_id]
    row["record_ids"] = [r for r in entry.record_ids if r in theirs]
    row["others_named"] = {
        "people": len(entry.person_ids) - len(row["person_ids"]),
        "records": len(entry.record_ids) - len(row["record_ids"]),
    }
    return row


def subject_access_export(*, person_id: int) -> dict[str, Any]:
    person = Person.objects.filter(pk=person_id).first()
    if person is None:
        raise NoSuchPerson(f"there is no person {person_id}")
    links = list(Link.objects.filter(record__in=Link.objects.filter(person=person).values(
        "record_id")).select_related("record__agency").order_by("record_id", "id"))  # fmt: skip
    record_ids = sorted({link.record_id for link in links})
    versions = PersonVersion.objects.filter(record_id__in=record_ids).order_by("record_id", "id")
    subjects = (
        EventSubject.objects.filter(record_id__in=record_ids)
        .select_related("event_version__event__agency", "record")
        .order_by("event_version__occurred_at", "event_version_id")
    )
    flags = Flag.objects.filter(person=person).prefetch_related("revisions", "actions")
    decisions = Decision.objects.filter(
        Q(person_a=person) | Q(person_b=person)
        | Q(record_a_id__in=record_ids) | Q(record_b_id__in=record_ids)
    ).order_by("id")  # fmt: skip
    contacts = ContactSubject.objects.filter(person=person).select_related("contact")
    audit = AuditEntry.objects.filter(people__person_id=str(person.pk)).order_by("seq")
    export = {
        "person": _row(person),
        "records": [
            {
                "agency": link.record.agency.code,
                "local_id": link.record.local_id,
                "record_id": link.record_id,
            }
            for link in {link.record_id: link for link in links}.values()
        ],
        "record_versions": [_row(v) for v in versions],
        "links": [_row(link) for link in links],
        "linkage_decisions": [_row(d) for d in decisions],
        "events": [
            {
                **_row(s.event_version, skip=("id", "event")),
                "agency": s.event_version.event.agency.code,
                "event_id": s.event_version.event.event_id,
                "record": s.record.local_id,
                "role": s.role,
            }
            for s in subjects
        ],
        "flags": [
            {
                **_row(flag),
                "revisions": [_row(r) for r in flag.revisions.order_by("id")],
                "actions": [_row(a) for a in flag.actions.order_by("id")],
            }
            for flag in flags
        ],
        "allocations": [_row(a) for a in Allocation.objects.filter(person=person).order_by("id")],
        "contacts": [{**_row(s.contact), "role": s.role} for s in contacts],
        "break_glass": [
            _row(g) for g in BreakGlass.objects.filter(person_id=str(person.pk)).order_by("id")
        ],
        "access_log": [_look(e, person_id=str(person.pk), record_ids=record_ids) for e in audit],
    }
    audit_record(
        action=AuditEntry.Action.EXPORT,
        username=CLI_USERNAME,
        object_type="subject_access",
        object_id=str(person.pk),
        person_ids=[str(person.pk)],
        record_ids=record_ids,
        basis="subject_access",
        detail={"events": len(export["events"]), "flags": len(export["flags"])},
    )
    return export
