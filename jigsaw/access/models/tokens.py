from __future__ import annotations

from django.db import models


class ApiToken(models.Model):
    """A credential for one agency's system. Only a hash of the secret is kept."""

    class Scope(models.TextChoices):
        SEND = "send", "send batches"
        READ_FLAGS = "read_flags", "read flags for their children"

    agency_code = models.CharField(max_length=32)
    name = models.CharField(max_length=200, blank=True)
    prefix = models.CharField(max_length=12, unique=True, help_text="shown to identify the token")
    secret_hash = models.CharField(max_length=64)
    scopes = models.JSONField(default=list)
    created_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.agency_code} {self.prefix}…"
