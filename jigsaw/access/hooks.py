"""What access registers with other apps at start-up."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from jigsaw.access.audit import audit_record
from jigsaw.access.models import AuditEntry
from jigsaw.core.bulk import select_in
from jigsaw.identity.models import Link

if TYPE_CHECKING:
    from jigsaw.records.services import IngestReport


def linked_persons(record_ids: Iterable[int]) -> set[str]:
    """The persons these records are linked to now (a record's latest link), in one query."""
    latest: dict[int, tuple[int, int]] = {}  # record → (link id, person)
    rows = select_in(Link, ("record", "person", "id"), where={}, column="record",
                     values=sorted(set(record_ids)))  # fmt: skip
    for record_id, person_id, link_id in rows:
        if record_id not in latest or link_id > latest[record_id][0]:
            latest[record_id] = (link_id, person_id)
    return {str(person) for _, person in latest.values()}


def audit_ingest(report: IngestReport) -> None:
    """Every accepted batch is an audit entry, written in the ingest's own transaction, naming
    the records it wrote (or named in an event it wrote) and the persons they are linked to, so
    the ingest shows in "who has looked at or changed this child". It runs after the other
    hooks (linking among them); in a bulk load, records new to Jigsaw are linked only at its
    end, so `audit_bulk_load` names their persons then."""
    audit_record(
        action=AuditEntry.Action.INGEST,
        object_type="submission",
        object_id=str(report.submission_id or ""),
        person_ids=linked_persons(report.touched_records),
        record_ids=report.touched_records,
        detail={
            "objects": report.objects,
            "records": len(report.touched_records),
            "new": report.new,
            "unchanged": report.unchanged,
            "superseded": report.superseded,
        },
    )


def audit_bulk_load(reports: list[IngestReport]) -> None:
    """At the end of a bulk load, once its records are linked: one entry naming every record
    its batches touched and the persons they are now linked to."""
    records: set[int] = set()
    for report in reports:
        records |= report.touched_records
    if not records:
        return
    persons = linked_persons(records)
    audit_record(
        action=AuditEntry.Action.INGEST,
        object_type="bulk_load",
        person_ids=persons,
        record_ids=records,
        detail={
            "submissions": [str(r.submission_id) for r in reports if r.submission_id],
            "records": len(records),
            "people": len(persons),
        },
    )
