"""Writes to the record store. The one way in is `batch_ingest`: files and the API both call it.

A batch is validated whole before anything is written (all or nothing), then written in chunks
inside one transaction. The source is read more than once rather than held in memory, so a
file of millions of lines is streamed.
"""

from __future__ import annotations

import gzip
import hashlib
import time
import uuid
import zlib
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
from django.conf import settings
from django.db import connection, transaction

from jigsaw.core.bulk import allocate_ids, append_rows, select_in
from jigsaw.core.bulk import aware_datetime as _aware
from jigsaw.core.clock import clock
from jigsaw.records.exchange import (
    EVENT_TYPES,
    AddressIn,
    AgencyIn,
    EventIn,
    ExchangeObject,
    PersonIn,
    Problem,
    check_times,
    content_hash,
    parse_object,
)
from jigsaw.records.hooks import after_ingest
from jigsaw.records.models import (
    Agency,
    AgencyVersion,
    Event,
    EventSubject,
    EventVersion,
    PersonRecord,
    PersonVersion,
    Submission,
)

MAX_REPORTED_ERRORS = 1000
CHUNK = 2000


@dataclass(frozen=True, slots=True)
class BatchError:
    position: int  # line number (files, JSON Lines) or index (JSON arrays)
    path: str
    message: str


@dataclass
class IngestReport:
    new: int = 0
    unchanged: int = 0
    superseded: int = 0
    by_kind: dict[str, dict[str, int]] = field(
        default_factory=lambda: {
            k: {"new": 0, "unchanged": 0, "superseded": 0} for k in ("agency", "person", "event")
        }
    )
    errors: list[BatchError] = field(default_factory=list)
    error_count: int = 0
    forbidden: list[BatchError] = field(default_factory=list)
    submission_id: uuid.UUID | None = None
    objects: int = 0
    touched_records: set[int] = field(default_factory=set)

    @property
    def accepted(self) -> bool:
        return self.error_count == 0 and not self.forbidden

    def add_error(self, position: int, path: str, message: str) -> None:
        self.error_count += 1
        if len(self.errors) < MAX_REPORTED_ERRORS:
            self.errors.append(BatchError(position, path, message))

    def count(self, kind: str, outcome: str) -> None:
        setattr(self, outcome, getattr(self, outcome) + 1)
        self.by_kind[kind][outcome] += 1

    def as_dict(self) -> dict[str, Any]:
        return {
            "accepted": self.accepted,
            "new": self.new,
            "unchanged": self.unchanged,
            "superseded": self.superseded,
            "by_kind": self.by_kind,
            "submission": str(self.submission_id) if self.submission_id else None,
            "error_count": self.error_count,
            "errors": [
                {"position": e.position, "path": e.path, "message": e.message} for e in self.errors
            ],
        }


class _Undecodable:
    __slots__ = ("message",)

    def __init__(self, message: str) -> None:
        self.message = message


Raw = Any  # a decoded JSON value, or _Undecodable
Source = Callable[[], Iterator[tuple[int, Raw]]]


def jsonl_source(path: Path) -> Source:
    """Lines of a JSON Lines file (plain or gzip), numbered from 1, decoded one at a time."""

    def lines() -> Iterator[tuple[int, Raw]]:
        opener = gzip.open if path.suffix == ".gz" else open
        with opener(path, "rb") as handle:
            yield from _decode_lines(handle)

    return lines


def _decode_lines(lines: Iterable[bytes]) -> Iterator[tuple[int, Raw]]:
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            yield number, orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            yield number, _Undecodable(f"invalid JSON: {exc}")


def body_source(body: bytes) -> tuple[Source, str]:
    """An HTTP body: a JSON array (positions are indexes) or JSON Lines (line numbers)."""
    stripped = body.lstrip()
    if stripped.startswith(b"["):
        try:
            items = orjson.loads(body)
        except orjson.JSONDecodeError as exc:
            bad = _Undecodable(f"invalid JSON: {exc}")
            return (lambda: iter([(0, bad)])), "json"
        return (lambda: iter(enumerate(items))), "json"
    if stripped.startswith(b"{"):
        # A single object, on one line or pretty-printed over many, is a batch of one.
        try:
            one = orjson.loads(body)
        except orjson.JSONDecodeError:
            pass  # JSON Lines
        else:
            return (lambda: iter([(1, one)])), "jsonl"
    return (lambda: _decode_lines(body.splitlines())), "jsonl"


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# --- validation pass -------------------------------------------------------------------------


@dataclass
class _Seen:
    position: int
    digest: str
    recorded_at: datetime | None


class _Validator:
    """Each object checked alone, against what came before it in the batch, and the store."""

    def __init__(self, report: IngestReport, as_agency: str | None, now: datetime) -> None:
        self.report = report
        self.as_agency = as_agency
        self.now = now
        self.tolerance = timedelta(seconds=settings.JIGSAW_FUTURE_TOLERANCE_SECONDS)
        # Every object of the batch so far: where it was and a digest of what it said.
        self.seen: dict[tuple[str, str, str], _Seen] = {}
        # The digest of each valid object not yet written, by position.
        self.digest_at: dict[int, str] = {}
        self.sectors = _agency_sectors()

    def feed(self, position: int, raw: Raw) -> ExchangeObject | None:
        """The object, if it is valid and new to this batch; else None (errors reported)."""
        self.report.objects += 1
        if isinstance(raw, _Undecodable):
            self.report.add_error(position, "(line)", raw.message)
            return None
        obj, problems = parse_object(raw)
        if obj is None:
            self._report(position, problems)
            return None
        problems += check_times(obj, now=self.now, tolerance=self.tolerance)
        agency = obj.code if isinstance(obj, AgencyIn) else obj.agency
        if self.as_agency is not None and agency != self.as_agency:
            path = "code" if isinstance(obj, AgencyIn) else "agency"
            self.report.forbidden.append(
                BatchError(
                    position, path, f"this token sends as '{self.as_agency}', not '{agency}'"
                )
            )
            return None
        if isinstance(obj, AgencyIn):
            self.sectors.setdefault(obj.code, obj.sector)
        else:
            problems += self._check_agency(obj)
        if problems:
            self._report(position, problems)
            return None
        return self._remember(position, obj)

    def _report(self, position: int, problems: list[Problem]) -> None:
        for problem in problems:
            self.report.add_error(position, problem.path, problem.message)

    def _check_agency(self, obj: PersonIn | EventIn) -> list[Problem]:
        sector = self.sectors.get(obj.agency)
        if sector is None:
            return [
                Problem(
                    "agency", f"agency '{obj.agency}' is not known: send its agency object first"
                )
            ]
        if isinstance(obj, EventIn) and obj.type in EVENT_TYPES:
            allowed = EVENT_TYPES[obj.type].sent_by
            if allowed and sector not in allowed:
                return [
                    Problem(
                        "type",
                        f"'{obj.type}' is sent by {' or '.join(sorted(allowed))} agencies; "
                        f"'{obj.agency}' is {sector}",
                    )
                ]
        return []

    def _remember(self, position: int, obj: ExchangeObject) -> ExchangeObject | None:
        key: tuple[str, str, str] = (obj.kind, *_key_parts(obj))
        digest = content_hash(obj)
        earlier = self.seen.get(key)
        if earlier is not None and earlier.digest == digest:
            self.report.count(obj.kind, "unchanged")  # an identical repeat inside the batch
            return None
        if earlier is not None and not _later(obj.recorded_at, earlier.recorded_at):
            # Two versions in one batch are history only if their order is stated.
            self.report.add_error(
                position,
                _id_field(obj),
                f"repeats {_id_field(obj)} '{key[2] or key[1]}' of position {earlier.position} "
                "with different content and no later recorded_at",
            )
            return None
        self.seen[key] = _Seen(position, digest, obj.recorded_at)
        self.digest_at[position] = digest
        return obj


def _later(this: datetime | None, than: datetime | None) -> bool:
    return this is not None and than is not None and this > than


def _key_parts(obj: ExchangeObject) -> tuple[str, str]:
    if isinstance(obj, AgencyIn):
        return obj.code, ""
    if isinstance(obj, PersonIn):
        return obj.agency, obj.local_id
    return obj.agency, obj.event_id


def _id_field(obj: ExchangeObject) -> str:
    return {"agency": "code", "person": "local_id", "event": "event_id"}[obj.kind]


def _agency_sectors() -> dict[str, str]:
    sectors: dict[str, str] = {}
    for code, sector in AgencyVersion.objects.order_by(
        "agency_id", "recorded_at", "version"
    ).values_list("agency__code", "sector"):
        sectors[code] = sector  # the highest version wins
    return sectors


# --- write pass ------------------------------------------------------------------------------


_PERSON_VERSION_FIELDS = (
    "id",
    "record",
    "version",
    "given_name",
    "family_name",
    "other_names",
    "date_of_birth",
    "sex",
    "nhs_number",
    "address_line1",
    "address_line2",
    "address_town",
    "postcode",
    "address_from",
    "extra",
    "recorded_at",
    "received_at",
    "content_hash",
    "submission",
)
_EVENT_VERSION_FIELDS = (
    "id",
    "event",
    "version",
    "type",
    "occurred_at",
    "recorded_at",
    "received_at",
    "author_name",
    "author_role",
    "details",
    "narrative",
    "content_hash",
    "submission",
)


class _Writer:
    def __init__(
        self,
        report: IngestReport,
        submission_id: uuid.UUID,
        received_at: datetime,
        seen: dict[tuple[str, str, str], _Seen],
        digest_at: dict[int, str],
    ) -> None:
        self.seen = seen  # every object of the batch so far
        self.digest_at = digest_at  # each object's content digest, by position
        self.report = report
        self.submission_id = submission_id
        self.received_at = received_at
        self.agency_ids: dict[str, int] = dict(Agency.objects.values_list("code", "id"))
        self.record_ids: dict[tuple[str, str], int] = {}

    def agencies(self, objs: list[AgencyIn]) -> None:
        for obj in objs:
            digest = content_hash(obj)
            agency_id = self.agency_ids.get(obj.code)
            if agency_id is None:
                agency = Agency.objects.create(code=obj.code, received_at=self.received_at)
                agency_id = self.agency_ids[obj.code] = agency.pk
            known = _known_versions(AgencyVersion, "agency_id", [agency_id])[agency_id]
            outcome = known.outcome(digest, obj.recorded_at)
            self.report.count("agency", outcome)
            if outcome == "unchanged":
                continue
            AgencyVersion.objects.create(
                agency_id=agency_id,
                version=known.top + 1,
                name=obj.name,
                sector=obj.sector,
                recorded_at=obj.recorded_at or self.received_at,
                received_at=self.received_at,
                content_hash=digest,
                submission_id=self.submission_id,
            )

    def persons(self, items: list[tuple[int, PersonIn]]) -> None:
        objs = [obj for _, obj in items]
        existing = self._identities(
            PersonRecord, "local_id", [(o.agency, o.local_id) for o in objs]
        )
        known = _known_versions(PersonVersion, "record_id", existing.values())
        self.record_ids.update(existing)
        rows: list[tuple[Any, ...]] = []
        for position, obj in items:
            record_id = existing[(obj.agency, obj.local_id)]
            digest = self.digest_at.pop(position)
            stored = known[record_id]
            outcome = stored.outcome(digest, obj.recorded_at)
            self.report.count("person", outcome)
            if outcome == "unchanged":
                continue
            number = stored.top + 1
            recorded_at = obj.recorded_at or self.received_at
            stored.add(number, digest, recorded_at)
            address = obj.address or AddressIn()
            rows.append(
                (
                    record_id,
                    number,
                    obj.given_name or "",
                    obj.family_name or "",
                    obj.other_names,
                    obj.date_of_birth,
                    obj.sex or "",
                    obj.nhs_number or "",
                    address.line1 or "",
                    address.line2 or "",
                    address.town or "",
                    address.postcode or "",
                    obj.address_from,
                    {},
                    recorded_at,
                    self.received_at,
                    digest,
                    self.submission_id,
                )
            )
            self.report.touched_records.add(record_id)
        ids = allocate_ids(PersonVersion, len(rows))
        append_rows(
            PersonVersion,
            _PERSON_VERSION_FIELDS,
            [(pk, *row) for pk, row in zip(ids, rows, strict=True)],
        )

    def resolvable(
        self, events: list[tuple[int, EventIn]]
    ) -> tuple[list[tuple[int, EventIn]], list[tuple[int, EventIn]]]:
        """Split events into those whose subjects are all stored and those still waiting."""
        keys = {(e.agency, s.local_id) for _, e in events for s in e.subjects}
        unknown = [k for k in keys if k not in self.record_ids]
        if unknown:
            self.record_ids.update(self._record_ids(unknown))
        ready: list[tuple[int, EventIn]] = []
        waiting: list[tuple[int, EventIn]] = []
        for item in events:
            event = item[1]
            known = all((event.agency, s.local_id) in self.record_ids for s in event.subjects)
            (ready if known else waiting).append(item)
        return ready, waiting

    def events(self, items: list[tuple[int, EventIn]]) -> None:
        objs = [obj for _, obj in items]
        existing = self._identities(Event, "event_id", [(o.agency, o.event_id) for o in objs])
        known = _known_versions(EventVersion, "event_id", existing.values())
        versions: list[tuple[Any, ...]] = []
        subjects: list[tuple[int, int, str]] = []  # (index into versions, record, role)
        for position, obj in items:
            event_pk = existing[(obj.agency, obj.event_id)]
            digest = self.digest_at.pop(position)
            stored = known[event_pk]
            outcome = stored.outcome(digest, obj.recorded_at)
            self.report.count("event", outcome)
            if outcome == "unchanged":
                continue
            number = stored.top + 1
            recorded_at = obj.recorded_at or self.received_at
            stored.add(number, digest, recorded_at)
            author = obj.author
            versions.append(
                (
                    event_pk,
                    number,
                    obj.type,
                    obj.occurred_at,
                    recorded_at,
                    self.received_at,
                    (author.name or "") if author else "",
                    (author.role or "") if author else "",
                    obj.details,
                    obj.narrative or "",
                    digest,
                    self.submission_id,
                )
            )
            for subject in obj.subjects:
                record_id = self.record_ids[(obj.agency, subject.local_id)]
                subjects.append((len(versions) - 1, record_id, subject.role))
                self.report.touched_records.add(record_id)
        version_ids = allocate_ids(EventVersion, len(versions))
        append_rows(
            EventVersion,
            _EVENT_VERSION_FIELDS,
            [(pk, *row) for pk, row in zip(version_ids, versions, strict=True)],
        )
        subject_ids = allocate_ids(EventSubject, len(subjects))
        append_rows(
            EventSubject,
            ("id", "event_version", "record", "role"),
            [
                (pk, version_ids[index], record_id, role)
                for pk, (index, record_id, role) in zip(subject_ids, subjects, strict=True)
            ],
        )

    def _identities(
        self,
        model: type[PersonRecord] | type[Event],
        field_name: str,
        keys: list[tuple[str, str]],
    ) -> dict[tuple[str, str], int]:
        """Ids of the identity rows for (agency, local key), appending those not yet stored."""
        existing = _ids_by_key(model, field_name, keys, self.agency_ids)
        fresh = [k for k in dict.fromkeys(keys) if k not in existing]
        ids = allocate_ids(model, len(fresh))
        append_rows(
            model,
            ("id", "agency", field_name, "received_at"),
            [
                (pk, self.agency_ids[agency], local, self.received_at)
                for pk, (agency, local) in zip(ids, fresh, strict=True)
            ],
        )
        existing.update(zip(fresh, ids, strict=True))
        return existing

    def _record_ids(self, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], int]:
        return _ids_by_key(PersonRecord, "local_id", keys, self.agency_ids)


def _ids_by_key(
    model: type[PersonRecord] | type[Event],
    field_name: str,
    keys: Iterable[tuple[str, str]],
    agency_ids: dict[str, int],
) -> dict[tuple[str, str], int]:
    codes = {pk: code for code, pk in agency_ids.items()}
    by_agency: dict[int, list[str]] = defaultdict(list)
    for code, local in keys:
        if code in agency_ids:  # an agency not (yet) stored has nothing stored
            by_agency[agency_ids[code]].append(local)
    found: dict[tuple[str, str], int] = {}
    for agency_id, locals_ in by_agency.items():
        rows = select_in(
            model,
            (field_name, "id"),
            where={"agency": agency_id},
            column=field_name,
            values=locals_,
        )
        found.update(((codes[agency_id], local), pk) for local, pk in rows)
    return found


class _Known:
    """What is stored for one agency, person record or event: how to treat a version of it."""

    __slots__ = ("current", "history", "top")

    def __init__(self) -> None:
        self.top = 0  # the highest version number
        self.current: tuple[datetime, int, str] | None = None  # (recorded_at, version, digest)
        self.history: set[tuple[str, datetime]] = set()  # (digest, recorded_at) of every version

    def add(self, version: int, digest: str, recorded_at: datetime) -> None:
        self.top = max(self.top, version)
        self.history.add((digest, recorded_at))
        if self.current is None or (recorded_at, version) > self.current[:2]:
            self.current = (recorded_at, version, digest)

    def outcome(self, digest: str, recorded_at: datetime | None) -> str:
        """`unchanged`: the current content, or an exact replay of a stored version (a file of
        history sent again); otherwise a new version: `superseded`, or `new` if none is stored."""
        if self.current is None:
            return "new"
        if digest == self.current[2] or (digest, recorded_at) in self.history:
            return "unchanged"
        return "superseded"


def _known_versions(
    model: type[AgencyVersion] | type[PersonVersion] | type[EventVersion],
    fk: str,
    ids: Iterable[int],
) -> dict[int, _Known]:
    known: dict[int, _Known] = defaultdict(_Known)
    owner = fk.removesuffix("_id")
    rows = select_in(
        model,
        (owner, "version", "content_hash", "recorded_at"),
        where={},
        column=owner,
        values=list(ids),
    )
    for owner_id, version, digest, recorded_at in rows:
        known[owner_id].add(version, digest, _aware(recorded_at))
    return known


class _Pending:
    """Valid objects waiting to be written, in chunks: persons before the events that name them.

    An event naming a person not yet stored waits until the end of the batch (the person may come
    later in it); if the person is still unknown then, that is an error and nothing is kept.
    """

    def __init__(self, writer: _Writer, report: IngestReport) -> None:
        self.writer = writer
        self.report = report
        self.persons: list[tuple[int, PersonIn]] = []
        self.events: list[tuple[int, EventIn]] = []
        self.waiting: list[tuple[int, EventIn]] = []
        self.locked: set[str] = set()  # agencies this batch holds the ingest lock of

    def add(self, position: int, obj: ExchangeObject) -> None:
        code = obj.code if isinstance(obj, AgencyIn) else obj.agency
        if code not in self.locked:
            _agency_lock(code, first=not self.locked)
            self.locked.add(code)
        if isinstance(obj, AgencyIn):
            self.flush()
            self.writer.agencies([obj])
        elif isinstance(obj, PersonIn):
            self.persons.append((position, obj))
            if len(self.persons) >= CHUNK:
                self._flush_persons()
        else:
            self.events.append((position, obj))
            if len(self.events) >= CHUNK:
                self.flush()

    def _flush_persons(self) -> None:
        if self.persons:
            self.writer.persons(self.persons)
            self.persons = []

    def flush(self) -> None:
        self._flush_persons()
        if self.events:
            ready, waiting = self.writer.resolvable(self.events)
            self.writer.events(ready)
            self.waiting += waiting
            self.events = []

    def finish(self) -> None:
        if self.report.accepted:
            self.flush()
        else:  # nothing will be kept, but what the events name is still checked
            self.waiting += self.events
            self.events = []
        ready, unknown = self.writer.resolvable(self.waiting)
        for position, event in unknown:
            for index, subject in enumerate(event.subjects):
                key = (event.agency, subject.local_id)
                if key not in self.writer.record_ids and ("person", *key) not in self.writer.seen:
                    self.report.add_error(
                        position,
                        f"subjects[{index}].local_id",
                        f"person '{subject.local_id}' of agency '{event.agency}' is not known: "
                        "send the person first",
                    )
        if self.report.accepted:
            self.writer.events(ready)


_STORE_LOCK = 0x4A1653  # an arbitrary constant naming the store-wide write lock
_AGENCY_LOCKS = 0x4A16  # the namespace of the per-agency ingest locks
AGENCY_LOCK_WAIT_SECONDS = 60


class AgencyBusy(Exception):
    """Another batch has been storing this agency's records for longer than we wait."""


def store_write_lock() -> None:
    """Take the store-wide write lock for the rest of the transaction.

    For writes that must never interleave, whichever agency they concern (linking people across
    agencies, human decisions). SQLite has one writer anyway (transactions begin IMMEDIATE).
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_STORE_LOCK])


def _agency_lock(code: str, *, first: bool) -> None:
    """Batches for different agencies are stored side by side; two for one agency take turns.

    The first agency of a batch is waited for; a batch naming a second agency tries for a
    minute and then gives up (rolled back, nothing stored) rather than risk two batches each
    waiting for the other's agency.
    """
    if connection.vendor != "postgresql":
        return
    key = [_AGENCY_LOCKS, zlib.crc32(code.encode()) & 0x7FFFFFFF]
    with connection.cursor() as cursor:
        if first:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", key)
            return
        deadline = time.monotonic() + AGENCY_LOCK_WAIT_SECONDS
        while True:
            cursor.execute("SELECT pg_try_advisory_xact_lock(%s, %s)", key)
            if cursor.fetchone()[0]:
                return
            if time.monotonic() > deadline:
                raise AgencyBusy(f"another batch for agency '{code}' is being stored; send again")
            time.sleep(0.2)


def batch_ingest(
    *,
    source: Source,
    channel: str,
    source_name: str,
    sha256: str,
    as_agency: str | None = None,
) -> IngestReport:
    """Validate and store a whole batch: all of it, or (on any error) nothing.

    One pass: objects are written in chunks as they are validated, inside one transaction that
    is rolled back if any object fails, so a file of millions of lines is streamed and every
    error in it is still reported. `as_agency` (API tokens) limits the batch to one agency.
    """
    report = IngestReport()
    received_at = clock.now()
    validator = _Validator(report, as_agency, received_at)
    submission_id = uuid.uuid4()
    with transaction.atomic():
        writer = _Writer(report, submission_id, received_at, validator.seen, validator.digest_at)
        pending = _Pending(writer, report)
        for position, raw in source():
            obj = validator.feed(position, raw)
            if obj is not None and report.accepted:
                pending.add(position, obj)
            elif isinstance(obj, EventIn):
                pending.waiting.append((position, obj))  # to report unknown subjects too
        if not report.forbidden:
            pending.finish()
        if not report.accepted:
            transaction.set_rollback(True)
            report.errors.sort(key=lambda error: error.position)
            # Nothing was stored: the counts of what was written before the error go too.
            empty = IngestReport()
            report.new, report.unchanged, report.superseded = 0, 0, 0
            report.by_kind, report.touched_records = empty.by_kind, empty.touched_records
            return report
        report.submission_id = submission_id  # the after-ingest hooks name the submission
        after_ingest(report)
        Submission.objects.create(
            id=submission_id,
            channel=channel,
            source=source_name[:500],
            sha256=sha256,
            received_at=received_at,
            new=report.new,
            unchanged=report.unchanged,
            superseded=report.superseded,
        )
    report.submission_id = submission_id
    return report
