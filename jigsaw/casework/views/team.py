"""The team view: a team's flags, the children not seen in time, and who holds how many."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from jigsaw.casework.caseload import TeamNotFound, team_page


@login_required
@require_GET
def team(request: HttpRequest) -> HttpResponse:
    """Team managers (their teams) and heads of service (any team); everyone else 403."""
    try:
        page = team_page(user=request.user, team_id=request.GET.get("team"))
    except TeamNotFound:
        raise Http404("no such team") from None
    title = page.team.name if page is not None else "Your team"
    return render(
        request, "casework/team.html", {"title": title, "active_nav": "team", "page": page}
    )
