from __future__ import annotations

from django.conf import settings
from django.db import models


class BreakGlass(models.Model):
    """Emergency access to one child's record beyond need-to-know: a stated reason, for a while.

    Every one is listed for review; `reviewed_at`/`reviewed_by` are the only fields that change.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="break_glass"
    )
    person_id = models.CharField(max_length=64, help_text="the child's person id")
    reason = models.TextField()
    started_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    review_note = models.TextField(blank=True)

    class Meta:
        indexes = [models.Index(fields=["user", "person_id", "expires_at"])]

    def __str__(self) -> str:
        return f"break-glass by {self.user} on person {self.person_id}"


class Notification(models.Model):
    """Something a member of staff must be told (a break-glass on a child of their team)."""

    class Kind(models.TextChoices):
        BREAK_GLASS = "break_glass", "break-glass access"

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="notifications"
    )
    kind = models.CharField(max_length=32, choices=Kind.choices)
    message = models.TextField()
    created_at = models.DateTimeField()
    read_at = models.DateTimeField(null=True, blank=True)
    break_glass = models.ForeignKey(BreakGlass, null=True, blank=True, on_delete=models.PROTECT)

    def __str__(self) -> str:
        return f"{self.kind} for {self.recipient}"
