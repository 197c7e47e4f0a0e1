"""Reads for access: accounts, the audit trail, break-glass grants and notifications."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from jigsaw.access.models import AuditEntry, BreakGlass, Notification, StaffProfile, Team
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
