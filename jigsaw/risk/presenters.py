"""Flags as people read them: dates in UK time, severities and states in words."""

from __future__ import annotations

from datetime import datetime

from jigsaw.core.dates import UK
from jigsaw.risk.selectors import FlagView


def when(value: datetime) -> str:
    return value.astimezone(UK).strftime("%-d %b %Y %H:%M")


def flag_lines(views: list[FlagView]) -> list[str]:
    lines = []
    for v in views:
        records = ", ".join(f"{r['agency']}:{r['local_id']}" for r in v.records)
        escalated = f", escalated to {v.escalation.replace('_', ' ')}" if v.escalation else ""
        lines += [
            f"[{v.severity.upper()}] {v.title} ({v.rule}) — {v.state}{escalated}",
            f"  child: person {v.person} ({records})",
            f"  raised {when(v.raised_at)}; due by {when(v.due_by)}; owner {v.owner}",
            f"  {v.reason}",
            f"  action: {v.action}",
            "",
        ]
    return lines
