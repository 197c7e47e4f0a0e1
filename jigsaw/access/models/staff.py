from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import models

from jigsaw.access.roles import Role, Sector


class Team(models.Model):
    """A team of staff (a social work team, the MASH); children are allocated to teams."""

    name = models.CharField(max_length=200, unique=True)
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="managed_teams",
    )

    def __str__(self) -> str:
        return self.name


class StaffProfile(models.Model):
    """What Jigsaw knows about a member of staff beyond their login: role, team, agency."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="staff_profile"
    )
    role = models.CharField(max_length=32, choices=Role.choices)
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.PROTECT, related_name="members"
    )
    agency_code = models.CharField(max_length=32, blank=True)
    sector = models.CharField(max_length=32, choices=Sector.choices, blank=True)
    expires_at = models.DateTimeField(
        null=True, blank=True, help_text="the account stops working at this moment (inspectors)"
    )
    must_change_password = models.BooleanField(default=True)
    is_demo = models.BooleanField(
        default=False, help_text="a demo login on synthetic data: its code may be printed"
    )
    created_at = models.DateTimeField()
    disabled_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.user} ({self.role})"

    def usable_at(self, at: datetime) -> bool:
        return self.disabled_at is None and (self.expires_at is None or at < self.expires_at)
