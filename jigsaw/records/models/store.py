from __future__ import annotations

import uuid

from django.db import models

from jigsaw.core.append_only import AppendOnlyModel


class Sector(models.TextChoices):
    HEALTH = "health"
    POLICE = "police"
    EDUCATION = "education"
    SOCIAL_CARE = "social_care"
    HOUSING = "housing"
    PROBATION = "probation"
    ADULT_MENTAL_HEALTH = "adult_mental_health"
    SUBSTANCE_MISUSE = "substance_misuse"
    VOLUNTARY = "voluntary"
    OTHER = "other"


class Submission(AppendOnlyModel):
    """One accepted batch: a file given to `jigsaw ingest` or a body posted to the API."""

    class Channel(models.TextChoices):
        FILE = "file"
        API = "api"
        WEB = "web"  # recorded by a practitioner in Jigsaw's own pages

    # Chosen before the batch is written, so versions can name it; the row itself is written last,
    # with the counts, in the same transaction.
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    channel = models.CharField(max_length=8, choices=Channel.choices)
    source = models.CharField(max_length=500, help_text="file name, or the agency that posted")
    sha256 = models.CharField(max_length=64)
    received_at = models.DateTimeField()
    new = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    superseded = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.channel}:{self.source}@{self.received_at:%Y-%m-%d %H:%M}"


class Provenance(AppendOnlyModel):
    """What every version carries: when it was recorded and received, a digest, its batch."""

    recorded_at = models.DateTimeField(
        help_text="when the agency recorded it; 'as known on' uses this"
    )
    received_at = models.DateTimeField(help_text="when Jigsaw stored it")
    content_hash = models.CharField(max_length=32)
    submission = models.ForeignKey(
        Submission, on_delete=models.PROTECT, related_name="+", db_index=False
    )

    class Meta:
        abstract = True


class Agency(AppendOnlyModel):
    """An agency's identity. Its name and sector live in versions."""

    code = models.CharField(max_length=32, unique=True)
    received_at = models.DateTimeField()

    class Meta:
        verbose_name_plural = "agencies"

    def __str__(self) -> str:
        return self.code


class AgencyVersion(Provenance):
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="versions")
    version = models.PositiveIntegerField()
    name = models.CharField(max_length=200)
    sector = models.CharField(max_length=32, choices=Sector.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["agency", "version"], name="agencyversion_unique"),
        ]


class PersonRecord(AppendOnlyModel):
    """One agency's record of a person, identified by the agency's own local id."""

    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="person_records")
    local_id = models.CharField(max_length=64)
    received_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["agency", "local_id"], name="personrecord_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.agency_id}:{self.local_id}"


class PersonVersion(Provenance):
    """What the agency said about the person, as of `recorded_at`."""

    # Indexed by the (record, version) constraint; a second index would only slow the ingest.
    record = models.ForeignKey(
        PersonRecord, on_delete=models.PROTECT, related_name="versions", db_index=False
    )
    version = models.PositiveIntegerField()
    given_name = models.CharField(max_length=100, blank=True)
    family_name = models.CharField(max_length=100, blank=True)
    other_names = models.JSONField(default=list)
    date_of_birth = models.DateField(null=True)
    sex = models.CharField(max_length=1, blank=True)
    nhs_number = models.CharField(max_length=10, blank=True)
    address_line1 = models.CharField(max_length=200, blank=True)
    address_line2 = models.CharField(max_length=200, blank=True)
    address_town = models.CharField(max_length=100, blank=True)
    postcode = models.CharField(max_length=8, blank=True)
    address_from = models.DateField(null=True)
    extra = models.JSONField(
        default=dict, help_text="fields beyond exchange format v1, kept as sent"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["record", "version"], name="personversion_unique"),
        ]
        indexes = [
            models.Index(fields=["record", "recorded_at"]),
            # A child's household: who else any agency places at the same postcode.
            models.Index(fields=["postcode"], name="personversion_postcode"),
        ]


class Event(AppendOnlyModel):
    """An event's identity: the agency and its own event id."""

    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="events")
    event_id = models.CharField(max_length=64)
    received_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["agency", "event_id"], name="event_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.agency_id}:{self.event_id}"


class EventVersion(Provenance):
    """One version of an event. A resend with changed content appends a version that supersedes."""

    event = models.ForeignKey(
        Event, on_delete=models.PROTECT, related_name="versions", db_index=False
    )
    version = models.PositiveIntegerField()
    type = models.CharField(max_length=40)
    occurred_at = models.DateTimeField()
    author_name = models.CharField(max_length=200, blank=True)
    author_role = models.CharField(max_length=200, blank=True)
    details = models.JSONField(default=dict)
    narrative = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["event", "version"], name="eventversion_unique"),
        ]
        indexes = [
            models.Index(fields=["event", "recorded_at"]),
            models.Index(fields=["recorded_at"]),
        ]


class EventSubject(AppendOnlyModel):
    """A person record an event version is about, with their role in it."""

    event_version = models.ForeignKey(
        EventVersion, on_delete=models.PROTECT, related_name="subjects"
    )
    record = models.ForeignKey(
        PersonRecord, on_delete=models.PROTECT, related_name="event_subjects"
    )
    role = models.CharField(max_length=32)

    class Meta:
        indexes = [models.Index(fields=["record", "event_version"])]
