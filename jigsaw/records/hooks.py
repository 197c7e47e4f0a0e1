"""The two places other apps plug into the record store, registered explicitly at start-up.

Data flows one way (records -> identity -> ...): records never imports the apps that build on
it. Instead they register here, in their AppConfig.ready():

* `register_after_ingest(fn)`: `fn(report)` runs inside the ingest's transaction, after an
  accepted batch is written, so what it writes (links, say) is kept or rolled back with it.
  A deferrable hook runs once at the end of a bulk load instead (`bulk_load()`); a `last` one
  after every other (the audit entry, which names the persons the records are linked to).
* `register_after_bulk_load(fn)`: `fn(reports)` runs at the end of a bulk load, after its
  deferred hooks, with every batch's report: for what only the end of the load knows.
* `register_related_records(fn)`: `fn(record_id=..., as_of=...)` says which records are the
  same person as a record, as known on a moment, so a chronology can span agencies.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from django.db import transaction

if TYPE_CHECKING:
    from jigsaw.records.services import IngestReport


@dataclass(frozen=True)
class Related:
    """The records known to be one person with a record (the record itself included)."""

    record_ids: list[int]
    person: str | None = None  # the person's id, when something links records to persons


class RelatedResolver(Protocol):
    def __call__(self, *, record_id: int, as_of: datetime) -> Related: ...


_after_ingest: list[tuple[Callable[[IngestReport], None], bool, bool]] = []
_after_bulk_load: list[Callable[[list[IngestReport]], None]] = []
_related: list[RelatedResolver] = []
# While a bulk load runs, the reports whose deferrable hooks wait for its end.
_held: ContextVar[list[IngestReport] | None] = ContextVar("held_ingest_reports", default=None)


def register_after_ingest(
    fn: Callable[[IngestReport], None], *, deferrable: bool = False, last: bool = False
) -> None:
    """`deferrable`: the hook may run once after a bulk load instead of after each batch (work
    over the whole population, such as linking, is far cheaper done once). `last`: it runs
    after every hook that is not, whatever the order the apps registered in, so it sees what
    they wrote."""
    if all(registered is not fn for registered, *_ in _after_ingest):
        _after_ingest.append((fn, deferrable, last))


def register_after_bulk_load(fn: Callable[[list[IngestReport]], None]) -> None:
    if fn not in _after_bulk_load:
        _after_bulk_load.append(fn)


def _in_order() -> list[tuple[Callable[[IngestReport], None], bool, bool]]:
    return sorted(_after_ingest, key=lambda hook: hook[2])  # stable: `last` ones at the end


def after_ingest(report: IngestReport) -> None:
    held = _held.get()
    for fn, deferrable, _last in _in_order():
        if not (deferrable and held is not None):
            fn(report)
    if held is not None:
        held.append(report)


@contextmanager
def bulk_load() -> Iterator[None]:
    """Run deferrable hooks once, at the end, over everything the batches inside touched.

    Each batch is still stored (and committed) on its own; between a batch's commit and the end
    of the load its records are stored but not yet linked. Used by `jigsaw ingest` for files.
    """
    from jigsaw.records.services import IngestReport

    if _held.get() is not None:  # already inside a bulk load: the outer one runs the hooks
        yield
        return
    token = _held.set([])
    try:
        yield
        held = _held.get() or []
    finally:
        _held.reset(token)
    if not held:
        return
    merged = IngestReport()
    for report in held:
        merged.touched_records |= report.touched_records
    with transaction.atomic():
        for fn, deferrable, _last in _in_order():
            if deferrable:
                fn(merged)
        for after in list(_after_bulk_load):
            after(held)


def register_related_records(fn: RelatedResolver) -> None:
    # One resolver: a second registration replaces the first (apps reloading in a shell).
    _related[:] = [fn]


def related_records(*, record_id: int, as_of: datetime) -> Related:
    if not _related:
        return Related(record_ids=[record_id])
    return _related[0](record_id=record_id, as_of=as_of)
