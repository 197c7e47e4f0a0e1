"""How oversight's counts read on a page."""

from __future__ import annotations

from datetime import date
from typing import Any

from jigsaw.oversight.selectors import SEVERITIES, MonthCounts


def month_label(month: str) -> str:
    """2008-01 → January 2008"""
    year, number = month.split("-")
    return f"{date(int(year), int(number), 1):%B %Y}"


def count_rows(counts: list[MonthCounts]) -> list[dict[str, Any]]:
    """One row per month and rule."""
    return [
        {
            "month": month_label(c.month),
            "rule": c.rule,
            "title": c.title,
            "severities": [c.by_severity[s] for s in SEVERITIES],
            "total": c.total,
        }
        for c in counts
    ]
