from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from jigsaw.oversight.presenters import count_rows
from jigsaw.oversight.selectors import SEVERITIES, flag_counts


@login_required
@require_GET
def analytics(request: HttpRequest) -> HttpResponse:
    """Flags raised each month under each rule, by severity (403 for roles without it)."""
    counts = flag_counts(user=request.user)
    return render(
        request,
        "oversight/analytics.html",
        {
            "title": "Flags by month",
            "severities": [s.capitalize() for s in SEVERITIES],
            "rows": count_rows(counts),
            "total": sum(c.total for c in counts),
        },
    )
