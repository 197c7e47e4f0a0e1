from __future__ import annotations

from django.db import models

from jigsaw.core.append_only import AppendOnlyModel


class AuditEntry(AppendOnlyModel):
    """One thing someone did or saw, chained to the entry before it (ADR 007).

    `hash` is SHA-256 over the entry's canonical JSON and `prev_hash`, so changing, removing or
    reordering any stored entry breaks every hash after it; `jigsaw audit verify` finds where.
    Who is kept as id and username (not a foreign key): the entry must read the same forever.
    """

    class Action(models.TextChoices):
        READ = "read"
        SEARCH = "search"
        REFUSED = "refused"  # asked for something need-to-know does not allow
        WRITE = "write"
        INGEST = "ingest"
        EXPORT = "export"
        SIGN_IN = "sign_in"
        SIGN_IN_FAILED = "sign_in_failed"
        SIGN_IN_LOCKED = "sign_in_locked"
        SIGN_OUT = "sign_out"
        SESSION_ENDED = "session_ended"
        PASSWORD_CHANGED = "password_changed"
        TOKEN_USED = "token_used"
        BREAK_GLASS = "break_glass"
        ACCOUNT = "account"

    seq = models.PositiveBigIntegerField(unique=True, help_text="position in the chain, from 1")
    at = models.DateTimeField()
    user_id = models.BigIntegerField(null=True, blank=True)
    username = models.CharField(max_length=150, blank=True)
    role = models.CharField(max_length=32, blank=True)
    action = models.CharField(max_length=32, choices=Action.choices)
    object_type = models.CharField(max_length=64, blank=True)
    object_id = models.CharField(max_length=200, blank=True)
    person_ids = models.JSONField(default=list)
    record_ids = models.JSONField(default=list)
    basis = models.CharField(
        max_length=32, blank=True, help_text="allocation, involvement, break_glass, token…"
    )
    reason = models.TextField(blank=True)
    detail = models.JSONField(default=dict)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        verbose_name_plural = "audit entries"
        indexes = [models.Index(fields=["user_id", "at"]), models.Index(fields=["action", "at"])]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} by {self.username or 'system'}"


class AuditPerson(AppendOnlyModel):
    """Index of the people an entry concerns, for "who has looked at this child"."""

    entry = models.ForeignKey(AuditEntry, on_delete=models.PROTECT, related_name="people")
    person_id = models.CharField(max_length=64, db_index=True)

    def __str__(self) -> str:
        return f"#{self.entry_id} {self.person_id}"
