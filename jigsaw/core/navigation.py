"""The service navigation each role sees: only the places its work takes it (a page a role may
not use is refused anyway; not offering it keeps the menu short and honest)."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from jigsaw.access.roles import Role

CASE_ROLES: set[Role] = {Role.SOCIAL_WORKER, Role.TEAM_MANAGER, Role.HEAD_OF_SERVICE, Role.DIRECTOR,
              Role.MASH_PRACTITIONER, Role.AGENCY_PRACTITIONER, Role.AGENCY_SAFEGUARDING_LEAD,
              Role.INSPECTOR}  # fmt: skip
SEARCHERS = CASE_ROLES - {Role.DIRECTOR}
DECIDERS = {Role.SOCIAL_WORKER, Role.TEAM_MANAGER, Role.HEAD_OF_SERVICE, Role.MASH_PRACTITIONER}

# (key, text, url name, roles)
ITEMS: list[tuple[str, str, str, set[Role]]] = [
    ("home", "Home", "core:home", CASE_ROLES),
    ("front-door", "Front door", "casework:contacts",
     {Role.MASH_PRACTITIONER, Role.HEAD_OF_SERVICE}),
    ("team", "My team", "casework:team", {Role.TEAM_MANAGER, Role.HEAD_OF_SERVICE}),
    ("flags", "Flags", "casework:flags", CASE_ROLES),
    ("search", "Find a person", "identity:search", SEARCHERS),
    ("review", "Link review", "identity:review", DECIDERS),
    ("agencies", "Agencies", "records:agencies",
     CASE_ROLES - {Role.HEAD_OF_SERVICE, Role.MASH_PRACTITIONER}),
    ("analytics", "Analytics", "oversight:analytics",
     {Role.ANALYST, Role.HEAD_OF_SERVICE, Role.DIRECTOR}),
    ("staff", "Staff accounts", "access:staff", {Role.SYSTEM_ADMINISTRATOR}),
]  # fmt: skip


def navigation(request: Any, active: str = "") -> list[dict[str, Any]]:
    """The menu for the signed-in user of `request` ([] for nobody)."""
    user = getattr(request, "user", None)
    profile = getattr(user, "staff_profile", None) if user is not None else None
    if profile is None:
        return []
    return [
        {"href": reverse(name), "text": text, "active": key == active}
        for key, text, name, roles in ITEMS
        if profile.role in roles
    ]
