"""Roles: who a member of staff is in the work, and what that lets them see and do.

The rules here are data, read by the selectors that apply need-to-know (docs/security.md says
them in words). A role never widens by accident: anything not granted here is refused.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models


class Role(models.TextChoices):
    SOCIAL_WORKER = "social_worker", "Social worker"
    TEAM_MANAGER = "team_manager", "Team manager"
    HEAD_OF_SERVICE = "head_of_service", "Head of service"
    DIRECTOR = "director", "Director of children's services"
    MASH_PRACTITIONER = "mash_practitioner", "MASH practitioner"
    AGENCY_PRACTITIONER = "agency_practitioner", "Agency practitioner"
    AGENCY_SAFEGUARDING_LEAD = "agency_safeguarding_lead", "Agency safeguarding lead"
    ANALYST = "analyst", "Analyst"
    INSPECTOR = "inspector", "Inspector"
    SYSTEM_ADMINISTRATOR = "system_administrator", "System administrator"


class Sector(models.TextChoices):
    SOCIAL_CARE = "social_care", "Social care"
    HEALTH = "health", "Health"
    POLICE = "police", "Police"
    EDUCATION = "education", "Education"
    HOUSING = "housing", "Housing"
    PROBATION = "probation", "Probation"
    YOUTH_JUSTICE = "youth_justice", "Youth justice"
    EARLY_HELP = "early_help", "Early help"
    OTHER = "other", "Other"


class Scope(models.TextChoices):
    """Which children's case content a role reaches, before break-glass."""

    NONE = "none", "no case content"
    ALLOCATED = "allocated", "children allocated to them or their team"
    TEAMS = "teams", "children allocated to the teams they manage"
    SERVICE = "service", "every child in the service"
    TRIAGE = "triage", "contacts in MASH triage"
    AGENCY = "agency", "their agency's records; summaries of children they work with"
    PSEUDONYMISED = "pseudonymised", "pseudonymised data only"
    ALL_READ_ONLY = "all_read_only", "every child, read-only"


@dataclass(frozen=True)
class RoleRules:
    scope: Scope
    may_write: bool = False
    may_break_glass: bool = False
    sees_restricted: bool = False  # restricted categories (e.g. sexual health, adoption)
    manages_users: bool = False
    needs_sector: bool = False
    needs_agency: bool = False
    needs_team: bool = False
    time_limited: bool = False  # the account must carry an end date


RULES: dict[str, RoleRules] = {
    Role.SOCIAL_WORKER: RoleRules(
        Scope.ALLOCATED, may_write=True, may_break_glass=True, needs_team=True
    ),
    Role.TEAM_MANAGER: RoleRules(
        Scope.TEAMS, may_write=True, may_break_glass=True, sees_restricted=True, needs_team=True
    ),
    Role.HEAD_OF_SERVICE: RoleRules(
        Scope.SERVICE, may_write=True, may_break_glass=True, sees_restricted=True
    ),
    Role.DIRECTOR: RoleRules(Scope.SERVICE, sees_restricted=True),
    Role.MASH_PRACTITIONER: RoleRules(
        Scope.TRIAGE, may_write=True, may_break_glass=True, needs_team=True
    ),
    Role.AGENCY_PRACTITIONER: RoleRules(
        Scope.AGENCY, may_write=True, needs_sector=True, needs_agency=True
    ),
    Role.AGENCY_SAFEGUARDING_LEAD: RoleRules(
        Scope.AGENCY, may_write=True, may_break_glass=True, needs_sector=True, needs_agency=True
    ),
    Role.ANALYST: RoleRules(Scope.PSEUDONYMISED),
    Role.INSPECTOR: RoleRules(Scope.ALL_READ_ONLY, time_limited=True),
    Role.SYSTEM_ADMINISTRATOR: RoleRules(Scope.NONE, manages_users=True),
}


def rules_for(role: str) -> RoleRules:
    return RULES[Role(role)]
