"""What access registers with other apps at start-up."""

from __future__ import annotations

from typing import TYPE_CHECKING

from jigsaw.access.audit import audit_record
from jigsaw.access.models import AuditEntry

if TYPE_CHECKING:
    from jigsaw.records.services import IngestReport


def audit_ingest(report: IngestReport) -> None:
    """Every accepted batch is an audit entry, written in the ingest's own transaction."""
    audit_record(
        action=AuditEntry.Action.INGEST,
        object_type="submission",
        object_id=str(report.submission_id or ""),
        detail={
            "objects": report.objects,
            "records": len(report.touched_records),
            "new": report.new,
            "unchanged": report.unchanged,
            "superseded": report.superseded,
        },
    )
