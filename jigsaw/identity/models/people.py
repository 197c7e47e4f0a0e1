from __future__ import annotations

from django.conf import settings
from django.db import models

from jigsaw.core.append_only import AppendOnlyModel
from jigsaw.records.models import PersonRecord, PersonVersion


class Person(AppendOnlyModel):
    """A master person: the one child or adult that agencies' records are linked to."""

    created_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"person {self.pk}"


class LinkageModel(AppendOnlyModel):
    """A trained matching model (the engine's `Model.to_dict()`); the latest one is used."""

    class Source(models.TextChoices):
        COMMAND = "command"  # `jigsaw linkage train`
        AUTOMATIC = "automatic"  # trained at ingest once there was enough data

    parameters = models.JSONField()
    trained_at = models.DateTimeField()
    record_count = models.PositiveIntegerField()
    source = models.CharField(max_length=16, choices=Source.choices)


class ReviewItem(AppendOnlyModel):
    """Two records the matcher could not decide on: a person must look. Resolved by a Decision."""

    record_a = models.ForeignKey(PersonRecord, on_delete=models.PROTECT, related_name="+")
    record_b = models.ForeignKey(PersonRecord, on_delete=models.PROTECT, related_name="+")
    weight = models.FloatField()
    probability = models.FloatField()
    explanation = models.JSONField(help_text="per comparison: level, both values, weight")
    raised_at = models.DateTimeField()


class Decision(AppendOnlyModel):
    """A person's decision about linkage. Who and why are always recorded."""

    class Kind(models.TextChoices):
        CONFIRM = "confirm"  # this record is this person
        REJECT = "reject"  # these two records are not the same person
        MERGE = "merge"  # these two persons are one
        UNMERGE = "unmerge"  # that merge was wrong: restore what was there before it

    kind = models.CharField(max_length=8, choices=Kind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_name = models.CharField(max_length=200)
    reason = models.TextField()
    made_at = models.DateTimeField()
    record_a = models.ForeignKey(
        PersonRecord, null=True, on_delete=models.PROTECT, related_name="+"
    )
    record_b = models.ForeignKey(
        PersonRecord, null=True, on_delete=models.PROTECT, related_name="+"
    )
    person_a = models.ForeignKey(Person, null=True, on_delete=models.PROTECT, related_name="+")
    person_b = models.ForeignKey(Person, null=True, on_delete=models.PROTECT, related_name="+")
    undoes = models.ForeignKey("self", null=True, on_delete=models.PROTECT, related_name="+")
    review_item = models.ForeignKey(
        ReviewItem, null=True, on_delete=models.PROTECT, related_name="decisions"
    )
    # What a merge changed: [{"record": id, "person": id before, "link": id before}], and the
    # links the merge wrote, so an unmerge can restore exactly and check nothing moved since.
    snapshot = models.JSONField(default=dict)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(reason=""), name="identity_decision_reason_required"
            ),
            models.CheckConstraint(
                condition=~models.Q(actor_name=""), name="identity_decision_actor_required"
            ),
        ]


class LinkMethod(models.TextChoices):
    NHS_NUMBER = "nhs_number"  # same valid NHS number and date of birth
    PROBABILISTIC = "probabilistic"  # the matcher's auto-link band
    HUMAN = "human"  # a person's decision
    NEW = "new"  # matched no one: a person of its own


class Link(AppendOnlyModel):
    """This record is this person, knowable from `known_from`. The latest link of a record wins."""

    record = models.ForeignKey(PersonRecord, on_delete=models.PROTECT, related_name="+")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="links")
    method = models.CharField(max_length=16, choices=LinkMethod.choices)
    weight = models.FloatField(null=True)
    probability = models.FloatField(null=True)
    # The record version the matcher looked at, and the record whose match justified the link.
    person_version = models.ForeignKey(
        PersonVersion, null=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    matched_record = models.ForeignKey(
        PersonRecord, null=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    known_from = models.DateTimeField(
        help_text="algorithm: latest recorded_at of the versions that justified it; "
        "human: when decided"
    )
    made_at = models.DateTimeField()
    decision = models.ForeignKey(
        Decision, null=True, on_delete=models.PROTECT, related_name="links", db_index=False
    )
    # An unmerge writes each record's link from before the merge again (same person, method,
    # weight and deciding decision, so the record is pinned again only if it was), and names
    # itself here.
    restored_by = models.ForeignKey(
        Decision, null=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )

    class Meta:
        indexes = [models.Index(fields=["record", "known_from"])]
