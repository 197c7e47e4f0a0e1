"""How access's objects read on a page or a terminal."""

from __future__ import annotations

from jigsaw.access.models import AuditEntry
from jigsaw.core.dates import UK

PEOPLE_SHOWN = 10


def audit_line(entry: AuditEntry) -> str:
    """One entry on one line: when (UK time), who, what, about whom, why."""
    who = entry.username or "system"
    if entry.role:
        who += f" ({entry.role})"
    what = entry.action
    if entry.object_type:
        what += f" {entry.object_type} {entry.object_id}".rstrip()
    people = entry.person_ids
    about = f" people {', '.join(people[:PEOPLE_SHOWN])}" if people else ""
    if len(people) > PEOPLE_SHOWN:  # an ingest can name a whole local authority
        about += f" and {len(people) - PEOPLE_SHOWN:,} more"
    why = (
        f" [{entry.basis}{': ' + entry.reason if entry.reason else ''}]"
        if entry.basis or entry.reason
        else ""
    )
    return f"#{entry.seq} {entry.at.astimezone(UK):%Y-%m-%d %H:%M:%S} {who}: {what}{about}{why}"
