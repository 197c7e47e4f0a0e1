"""How access's objects read on a page or a terminal."""

from __future__ import annotations

from jigsaw.access.models import AuditEntry
from jigsaw.core.dates import UK


def audit_line(entry: AuditEntry) -> str:
    """One entry on one line: when (UK time), who, what, about whom, why."""
    who = entry.username or "system"
    if entry.role:
        who += f" ({entry.role})"
    what = entry.action
    if entry.object_type:
        what += f" {entry.object_type} {entry.object_id}".rstrip()
    about = f" people {', '.join(entry.person_ids)}" if entry.person_ids else ""
    why = (
        f" [{entry.basis}{': ' + entry.reason if entry.reason else ''}]"
        if entry.basis or entry.reason
        else ""
    )
    return f"#{entry.seq} {entry.at.astimezone(UK):%Y-%m-%d %H:%M:%S} {who}: {what}{about}{why}"
