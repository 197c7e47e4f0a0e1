"""Casework records kept by Jigsaw itself: who holds a child's case, and contacts at the front
door. Append-only and bitemporal like the agencies' records: `started_at`/`received_at` say when
it happened, `recorded_at` when Jigsaw was told; a change is a new row that supersedes.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from jigsaw.access.models import Team
from jigsaw.core.append_only import AppendOnlyModel
from jigsaw.identity.models import Person


class Allocation(AppendOnlyModel):
    """A child's case is held by `team` (and usually a named `worker`) from `started_at`.

    The child's allocation on a date is their latest row (by `started_at`, then id) that had
    started and been recorded by then; a row without a team ends the allocation (case closed).
    """

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="allocations")
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.PROTECT, related_name="allocations"
    )
    worker = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="allocations",
    )
    started_at = models.DateTimeField()
    recorded_at = models.DateTimeField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.TextField(blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["person", "started_at"]),
            models.Index(fields=["team", "started_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(worker__isnull=True) | models.Q(team__isnull=False),
                name="casework_allocation_worker_needs_team",
            )
        ]

    def __str__(self) -> str:
        return f"person {self.person_id} → team {self.team_id} from {self.started_at:%Y-%m-%d}"


class Contact(AppendOnlyModel):
    """A contact at the front door (MASH): someone worried about a child. In triage until a
    ContactDecision is recorded."""

    received_at = models.DateTimeField(help_text="when the contact was made (occurred_at)")
    recorded_at = models.DateTimeField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.PROTECT, related_name="contacts"
    )
    source_agency = models.CharField(
        max_length=200, blank=True, help_text="a known agency's code, or the name as given"
    )
    source_name = models.CharField(max_length=200, blank=True)
    source_role = models.CharField(max_length=200, blank=True)
    source_contact = models.CharField(
        max_length=200, blank=True, help_text="how to reach whoever raised it"
    )
    summary = models.TextField()

    class Meta:
        indexes = [models.Index(fields=["received_at"])]

    def __str__(self) -> str:
        return f"contact {self.pk} received {self.received_at:%Y-%m-%d %H:%M}"


class ContactSubject(AppendOnlyModel):
    """A person a contact is about (the child, or an adult named in it)."""

    contact = models.ForeignKey(Contact, on_delete=models.PROTECT, related_name="subjects")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="contacts")
    role = models.CharField(max_length=32, default="child")
    recorded_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"contact {self.contact_id}: person {self.person_id} ({self.role})"


class ContactDecision(AppendOnlyModel):
    """What the front door decided about a contact, and why. A contact has at most one."""

    class Decision(models.TextChoices):
        NO_FURTHER_ACTION = "no_further_action", "No further action"
        EARLY_HELP = "early_help", "Early help"
        ASSESSMENT = "assessment", "Assessment by children's social care"
        STRATEGY_DISCUSSION = "strategy_discussion", "Strategy discussion"

    contact = models.OneToOneField(Contact, on_delete=models.PROTECT, related_name="decision")
    decision = models.CharField(max_length=32, choices=Decision.choices)
    reason = models.TextField()
    decided_at = models.DateTimeField()
    recorded_at = models.DateTimeField()
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )

    def __str__(self) -> str:
        return f"contact {self.contact_id}: {self.decision}"


class ContactRating(AppendOnlyModel):
    """The front door's RAG rating of a contact: how urgent it looks. A new rating supersedes."""

    class Rag(models.TextChoices):
        RED = "red", "Red: the child may be at immediate risk"
        AMBER = "amber", "Amber: a decision is needed today"
        GREEN = "green", "Green: no immediate risk"

    contact = models.ForeignKey(Contact, on_delete=models.PROTECT, related_name="ratings")
    rag = models.CharField(max_length=8, choices=Rag.choices)
    reason = models.TextField()
    rated_at = models.DateTimeField()
    rated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )

    def __str__(self) -> str:
        return f"contact {self.contact_id}: {self.rag}"


class Significance(AppendOnlyModel):
    """A practitioner marks an event in a child's chronology as significant (or unmarks it):
    the latest mark per child and event holds. Kept apart from the agency's own record."""

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    event = models.ForeignKey("records.Event", on_delete=models.PROTECT, related_name="+")
    significant = models.BooleanField()
    note = models.TextField(blank=True)
    marked_at = models.DateTimeField()
    marked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        indexes = [models.Index(fields=["person", "event"])]

    def __str__(self) -> str:
        return f"person {self.person_id} event {self.event_id}: {self.significant}"


class FormReceipt(AppendOnlyModel):
    """A form that has been acted on, by the one-time key it carried: a second submission of
    the same form (a double click, a resend after a time-out) finds this and records nothing."""

    key = models.UUIDField(unique=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    form = models.CharField(max_length=64)
    created_at = models.DateTimeField()
    result = models.JSONField(default=dict, help_text="where the first submission led")

    def __str__(self) -> str:
        return f"{self.form} {self.key}"
