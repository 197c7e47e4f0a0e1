"""Flags: what the risk engine raised about a child, every change to it, and what people did.

All three are append-only. A flag's current state (open, acknowledged, closed), severity and
escalation level are derived from its revisions and actions by the selectors.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from jigsaw.core.append_only import AppendOnlyModel
from jigsaw.identity.models import Person


class Severity(models.TextChoices):
    IMMEDIATE = "immediate"
    HIGH = "high"
    MEDIUM = "medium"


class Flag(AppendOnlyModel):
    """One flag: the engine's key (rule, child, episode) is its identity."""

    key = models.CharField(max_length=300, unique=True)
    rule_id = models.CharField(max_length=64)
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    title = models.CharField(max_length=200)
    basis = models.TextField()
    raised_at = models.DateTimeField(help_text="when the condition first became true and knowable")
    known_at = models.DateTimeField(help_text="when Jigsaw first raised it (the clock)")

    class Meta:
        indexes = [models.Index(fields=["person", "raised_at"])]

    def __str__(self) -> str:
        return self.key


class FlagRevision(AppendOnlyModel):
    """What the flag says: the first when it is raised, then one each time evidence joins or
    the severity rises."""

    flag = models.ForeignKey(Flag, on_delete=models.PROTECT, related_name="revisions")
    number = models.PositiveIntegerField()
    severity = models.CharField(max_length=16, choices=Severity.choices)
    evidence = models.JSONField(help_text="[{agency, event_id, type, occurred_at}]")
    reason = models.TextField()
    action = models.TextField()
    owner = models.CharField(max_length=32)
    due_by = models.DateTimeField()
    known_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["flag", "number"], name="risk_flagrevision_unique"),
        ]


class EscalationLevel(models.TextChoices):
    TEAM_MANAGER = "team_manager"
    HEAD_OF_SERVICE = "head_of_service"


class CloseReason(models.TextChoices):
    ACTION_TAKEN = "action_taken"
    NO_FURTHER_ACTION_NEEDED = "no_further_action_needed"
    DUPLICATE = "duplicate"
    RAISED_IN_ERROR = "raised_in_error"
    TRANSFERRED = "transferred"
    # Recorded by Jigsaw, never chosen by a person: see "first load of old history".
    HISTORICAL = "historical"


class FlagAction(AppendOnlyModel):
    """Something done about a flag, by a named person (or by Jigsaw, for escalations)."""

    class Kind(models.TextChoices):
        ACKNOWLEDGED = "acknowledged"
        ACTION_RECORDED = "action_recorded"
        CLOSED = "closed"
        ESCALATED = "escalated"

    flag = models.ForeignKey(Flag, on_delete=models.PROTECT, related_name="actions")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    close_reason = models.CharField(max_length=32, choices=CloseReason.choices, blank=True)
    level = models.CharField(max_length=16, choices=EscalationLevel.choices, blank=True)
    text = models.TextField(blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_name = models.CharField(max_length=200)
    at = models.DateTimeField()

    class Meta:
        constraints = [
            # Two workers ticking at once cannot escalate (or close) a flag twice.
            models.UniqueConstraint(
                fields=["flag", "level"],
                condition=models.Q(kind="escalated"),
                name="risk_flagaction_one_escalation_per_level",
            ),
            models.UniqueConstraint(
                fields=["flag"],
                condition=models.Q(kind="closed"),
                name="risk_flagaction_closed_once",
            ),
            models.CheckConstraint(
                condition=~models.Q(actor_name=""), name="risk_flagaction_actor_required"
            ),
        ]
        indexes = [models.Index(fields=["flag", "at"])]
