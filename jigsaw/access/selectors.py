"""Reads for access: accounts, the audit trail, break-glass grants and notifications."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet

from jigsaw.access.audit import audit_record
from jigsaw.access.models import AuditEntry, BreakGlass, Notification, StaffProfile, Team
from jigsaw.access.roles import Role, rules_for
from jigsaw.core.clock import clock


def staff_list() -> QuerySet[StaffProfile]:
    return StaffProfile.objects.select_related("user", "team").order_by("user__username")


def staff_profile(*, user: Any) -> StaffProfile | None:
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return StaffProfile.objects.select_related("team").filter(user=user).first()


def staff_profile_by_username(*, username: str) -> StaffProfile | None:
    return (
        StaffProfile.objects.select_related("user", "team").filter(user__username=username).first()
    )


def teams_managed_by(*, user: Any) -> QuerySet[Team]:
    return Team.objects.filter(manager=user)


def audit_recent() -> QuerySet[AuditEntry]:
    return AuditEntry.objects.order_by("-seq")


def audit_for_person(*, person_id: str) -> QuerySet[AuditEntry]:
    """Who has looked at (or changed) anything about this person, newest first."""
    return AuditEntry.objects.filter(people__person_id=str(person_id)).order_by("-seq")


def audit_for_manager(*, manager: Any, person_id: str | None = None) -> QuerySet[AuditEntry]:
    """What the staff of the teams a manager runs have done (optionally about one person)."""
    members = StaffProfile.objects.filter(team__manager=manager).values_list("user_id", flat=True)
    entries = AuditEntry.objects.filter(user_id__in=list(members))
    if person_id is not None:
        entries = entries.filter(people__person_id=str(person_id))
    return entries.order_by("-seq")


def break_glass_active(*, user: Any, person_id: str) -> BreakGlass | None:
    """The user's live break-glass grant for a person, if any: selectors widen access by it."""
    return (
        BreakGlass.objects.filter(user=user, person_id=str(person_id), expires_at__gt=clock.now())
        .order_by("-expires_at")
        .first()
    )


def break_glass_for_review(*, reviewer: Any | None = None) -> QuerySet[BreakGlass]:
    """Grants not yet reviewed; a manager sees those by their teams' staff or notified to them."""
    grants = BreakGlass.objects.filter(reviewed_at__isnull=True).select_related("user")
    if reviewer is not None:
        grants = grants.filter(
            Q(user__staff_profile__team__manager=reviewer) | Q(notification__recipient=reviewer)
        ).distinct()
    return grants.order_by("started_at")


def notifications_for(*, user: Any, unread_only: bool = True) -> QuerySet[Notification]:
    notes = Notification.objects.filter(recipient=user)
    if unread_only:
        notes = notes.filter(read_at__isnull=True)
    return notes.order_by("-created_at")


# --- pages: break-glass review, notifications, the staff list -------------------------------
# Each takes the acting user and refuses (PermissionDenied, a 403) anyone whose role does not
# give them the page; the views only call these.

REVIEWER_ROLES = frozenset({Role.TEAM_MANAGER, Role.HEAD_OF_SERVICE})


def role_of(*, user: Any) -> str:
    """The user's role, or "" for anyone without a usable staff account."""
    profile = staff_profile(user=user)
    if profile is None or not profile.usable_at(clock.now()):
        return ""
    return profile.role


def may_break_glass(*, user: Any) -> bool:
    role = role_of(user=user)
    return bool(role) and rules_for(role).may_break_glass


def break_glass_review_queue(*, reviewer: Any) -> list[BreakGlass]:
    """The grants waiting for this reviewer, oldest first: a head of service sees every one, a
    team manager those by their teams' staff or notified to them. Nobody reviews their own."""
    role = role_of(user=reviewer)
    if role not in REVIEWER_ROLES:
        raise PermissionDenied("only team managers and heads of service review break-glass")
    scoped = break_glass_for_review(reviewer=None if role == Role.HEAD_OF_SERVICE else reviewer)
    grants = list(scoped.exclude(user=reviewer).select_related("user", "user__staff_profile__team"))
    if grants:
        audit_record(
            action=AuditEntry.Action.READ,
            user=reviewer,
            object_type="break_glass_review",
            person_ids=[g.person_id for g in grants],
            detail={"grants": [g.pk for g in grants]},
        )
    return grants


def break_glass_reviewable(*, reviewer: Any, grant_id: int | str) -> BreakGlass | None:
    """One grant from the reviewer's queue, or None (reviewed already, or not theirs)."""
    role = role_of(user=reviewer)
    if role not in REVIEWER_ROLES:
        raise PermissionDenied("only team managers and heads of service review break-glass")
    try:
        pk = int(grant_id)
    except (TypeError, ValueError):
        return None
    scoped = break_glass_for_review(reviewer=None if role == Role.HEAD_OF_SERVICE else reviewer)
    return scoped.exclude(user=reviewer).filter(pk=pk).first()


def unread_notification_count(*, user: Any) -> int:
    if user is None or not getattr(user, "is_authenticated", False):
        return 0
    return notifications_for(user=user, unread_only=True).count()


def staff_accounts(*, user: Any) -> list[StaffProfile]:
    """Every staff account, for a system administrator: accounts only, never case content."""
    if not _manages_users(user):
        raise PermissionDenied("only system administrators manage accounts")
    accounts = list(staff_list())
    audit_record(
        action=AuditEntry.Action.READ,
        user=user,
        object_type="staff_accounts",
        detail={"rows": len(accounts)},
    )
    return accounts


def staff_account(*, user: Any, username: str) -> StaffProfile | None:
    if not _manages_users(user):
        raise PermissionDenied("only system administrators manage accounts")
    return staff_profile_by_username(username=username)


def _manages_users(user: Any) -> bool:
    role = role_of(user=user)
    return bool(role) and rules_for(role).manages_users
