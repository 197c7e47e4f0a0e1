"""The two places other apps plug into the record store, registered explicitly at start-up.

Data flows one way (records -> identity -> ...): records never imports the apps that build on
it. Instead they register here, in their AppConfig.ready():

* `register_after_ingest(fn)`: `fn(report)` runs inside the ingest's transaction, after an
  accepted batch is written, so what it writes (links, say) is kept or rolled back with it.
* `register_related_records(fn)`: `fn(record_id=..., as_of=...)` says which records are the
  same person as a record, as known on a moment, so a chronology can span agencies.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from jigsaw.records.services import IngestReport


@dataclass(frozen=True)
class Related:
    """The records known to be one person with a record (the record itself included)."""

    record_ids: list[int]
    person: str | None = None  # the person's id, when something links records to persons


class RelatedResolver(Protocol):
    def __call__(self, *, record_id: int, as_of: datetime) -> Related: ...


_after_ingest: list[Callable[[IngestReport], None]] = []
_related: list[RelatedResolver] = []


def register_after_ingest(fn: Callable[[IngestReport], None]) -> None:
    if fn not in _after_ingest:
        _after_ingest.append(fn)


def after_ingest(report: IngestReport) -> None:
    for fn in list(_after_ingest):
        fn(report)


def register_related_records(fn: RelatedResolver) -> None:
    # One resolver: a second registration replaces the first (apps reloading in a shell).
    _related[:] = [fn]


def related_records(*, record_id: int, as_of: datetime) -> Related:
    if not _related:
        return Related(record_ids=[record_id])
    return _related[0](record_id=record_id, as_of=as_of)
