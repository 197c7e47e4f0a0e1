"""The home page: what the signed-in member of staff needs first, by role."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from jigsaw.access.roles import Role
from jigsaw.access.selectors import role_of
from jigsaw.casework.caseload import home_page

TITLES = {
    Role.SOCIAL_WORKER: "Your caseload",
    Role.TEAM_MANAGER: "Your team and caseload",
    Role.HEAD_OF_SERVICE: "Across the service",
    Role.DIRECTOR: "Across the service",
    Role.INSPECTOR: "Across the service",
    Role.MASH_PRACTITIONER: "Front door",
    Role.AGENCY_PRACTITIONER: "Children your agency works with",
    Role.AGENCY_SAFEGUARDING_LEAD: "Children your agency works with",
}
# Roles with no case content start where their work is.
ELSEWHERE = {Role.ANALYST: "oversight:analytics", Role.SYSTEM_ADMINISTRATOR: "access:staff"}


@login_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    role = role_of(user=request.user)
    if role in ELSEWHERE:
        return redirect(ELSEWHERE[Role(role)])
    page = home_page(user=request.user)  # refuses (403) an account without a case role
    return render(
        request,
        "casework/home.html",
        {"title": TITLES.get(Role(page.role), "Home"), "active_nav": "home", "page": page},
    )
