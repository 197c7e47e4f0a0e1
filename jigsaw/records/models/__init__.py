"""The append-only, bitemporal record store.

Each thing an agency sends has an identity row (inserted once, never changed) and version rows
(appended). The current state of anything "as known on X" is its highest version whose
`recorded_at` is on or before X. Nothing here is ever updated or deleted: the model layer refuses,
and database triggers refuse too (jigsaw.core.append_only).
"""

from jigsaw.core.append_only import AppendOnlyError, AppendOnlyModel

from .store import (
    Agency,
    AgencyVersion,
    Event,
    EventSubject,
    EventVersion,
    PersonRecord,
    PersonVersion,
    Sector,
    Submission,
)

__all__ = [
    "Agency",
    "AgencyVersion",
    "AppendOnlyError",
    "AppendOnlyModel",
    "Event",
    "EventSubject",
    "EventVersion",
    "PersonRecord",
    "PersonVersion",
    "Sector",
    "Submission",
]
