"""Writes to the record store. The one way in is `batch_ingest`: files and the API both call it.

A batch is validated whole before anything is written (all or nothing), then written in chunks
inside one transaction. The source is read more than once rather than held in memory, so a
file of millions of lines is streamed.
"""

from __future__ import annotations

import gzip
import hashlib
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
from django.conf import settings
from django.db import transaction

from jigsaw.core.clock import clock
from jigsaw.records.exchange import (
    EVENT_TYPES,
    AgencyIn,
    EventIn,
    ExchangeObject,
    PersonIn,
    check_times,
    content_hash,
    parse_object,
)
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
    if stripped.startswith(b"{") and b"\n" not in body.strip():
        # A single object is a batch of one.
        return (lambda: _decode_lines([body])), "jsonl"
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


class _Validator:
    """Pass one: every object checked alone, then the references between them and the store."""

    def __init__(self, report: IngestReport, as_agency: str | None, now: datetime) -> None:
        self.report = report
        self.as_agency = as_agency
        self.now = now
        self.tolerance = timedelta(seconds=settings.JIGSAW_FUTURE_TOLERANCE_SECONDS)
        self.seen: dict[tuple[str, str, str], _Seen] = {}
        self.batch_sectors: dict[str, str] = {}
        self.store_sectors = _agency_sectors()
        # References that could only be settled once the whole batch was read.
        self.agency_refs: list[tuple[int, str, str]] = []
        self.subject_refs: dict[tuple[str, str], list[tuple[int, str]]] = defaultdict(list)
        self.sector_checks: list[tuple[int, str, str]] = []

    def feed(self, position: int, raw: Raw) -> None:
        self.report.objects += 1
        if isinstance(raw, _Undecodable):
            self.report.add_error(position, "(line)", raw.message)
            return
        obj, problems = parse_object(raw)
        if obj is not None:
            problems += check_times(obj, now=self.now, tolerance=self.tolerance)
        for problem in problems:
            self.report.add_error(position, problem.path, problem.message)
        if obj is None:
            return
        agency = obj.code if isinstance(obj, AgencyIn) else obj.agency
        if self.as_agency is not None and agency != self.as_agency:
            path = "code" if isinstance(obj, AgencyIn) else "agency"
            self.report.forbidden.append(
                BatchError(
                    position, path, f"this token sends as '{self.as_agency}', not '{agency}'"
                )
            )
            return
        if problems:
            return
        self._remember(position, obj)

    def _remember(self, position: int, obj: ExchangeObject) -> None:
        key: tuple[str, str, str] = (obj.kind, *_key_parts(obj))
        digest = content_hash(obj)
        earlier = self.seen.get(key)
        if earlier is not None:
            if earlier.digest != digest:
                self.report.add_error(
                    position,
                    _id_field(obj),
                    f"repeats {_id_field(obj)} '{key[2] or key[1]}' of position {earlier.position} "
                    "with different content",
                )
            return
        self.seen[key] = _Seen(position, digest)
        if isinstance(obj, AgencyIn):
            self.batch_sectors[obj.code] = obj.sector
            return
        self.agency_refs.append((position, obj.agency, "agency"))
        if isinstance(obj, EventIn):
            for index, subject in enumerate(obj.subjects):
                self.subject_refs[(obj.agency, subject.local_id)].append(
                    (position, f"subjects[{index}].local_id")
                )
            if EVENT_TYPES[obj.type].sent_by:
                self.sector_checks.append((position, obj.agency, obj.type))

    def finish(self) -> None:
        sectors = {**self.store_sectors, **self.batch_sectors}
        for position, code, path in self.agency_refs:
            if code not in sectors:
                self.report.add_error(
                    position, path, f"agency '{code}' is not known: send its agency object first"
                )
        for position, code, type_name in self.sector_checks:
            sector = sectors.get(code)
            allowed = EVENT_TYPES[type_name].sent_by
            if sector is not None and sector not in allowed:
                self.report.add_error(
                    position,
                    "type",
                    f"'{type_name}' is sent by {' or '.join(sorted(allowed))} agencies; "
                    f"'{code}' is {sector}",
                )
        missing = {ref for ref in self.subject_refs if ("person", ref[0], ref[1]) not in self.seen}
        missing -= _existing_person_keys(missing)
        for agency, local_id in sorted(missing):
            for position, path in self.subject_refs[(agency, local_id)]:
                self.report.add_error(
                    position,
                    path,
                    f"person '{local_id}' of agency '{agency}' is not known: send the person first",
                )


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
    for code, sector in AgencyVersion.objects.order_by("agency_id", "version").values_list(
        "agency__code", "sector"
    ):
        sectors[code] = sector  # the highest version wins
    return sectors


def _existing_person_keys(keys: set[tuple[str, str]]) -> set[tuple[str, str]]:
    found: set[tuple[str, str]] = set()
    by_agency: dict[str, list[str]] = defaultdict(list)
    for agency, local_id in keys:
        by_agency[agency].append(local_id)
    for agency, local_ids in by_agency.items():
        for start in range(0, len(local_ids), CHUNK):
            found.update(
                PersonRecord.objects.filter(
                    agency__code=agency, local_id__in=local_ids[start : start + CHUNK]
                ).values_list("agency__code", "local_id")
            )
    return found


# --- write pass ------------------------------------------------------------------------------


class _Writer:
    def __init__(
        self, report: IngestReport, submission_id: uuid.UUID, received_at: datetime
    ) -> None:
        self.report = report
        self.submission_id = submission_id
        self.received_at = received_at
        self.agency_ids: dict[str, int] = dict(Agency.objects.values_list("code", "id"))
        self.record_ids: dict[tuple[str, str], int] = {}

    def agencies(self, objs: list[AgencyIn]) -> None:
        for obj in objs:
            digest = content_hash(obj)
            agency_id = self.agency_ids.get(obj.code)
            latest = None
            if agency_id is None:
                agency = Agency.objects.create(code=obj.code, received_at=self.received_at)
                agency_id = self.agency_ids[obj.code] = agency.pk
            else:
                latest = (
                    AgencyVersion.objects.filter(agency_id=agency_id)
                    .order_by("-version")
                    .values_list("version", "content_hash")
                    .first()
                )
            if latest is not None and latest[1] == digest:
                self.report.count("agency", "unchanged")
                continue
            AgencyVersion.objects.create(
                agency_id=agency_id,
                version=(latest[0] + 1) if latest else 1,
                name=obj.name,
                sector=obj.sector,
                recorded_at=obj.recorded_at or self.received_at,
                received_at=self.received_at,
                content_hash=digest,
                submission_id=self.submission_id,
            )
            self.report.count("agency", "superseded" if latest else "new")

    def persons(self, objs: list[PersonIn]) -> None:
        keys = [(o.agency, o.local_id) for o in objs]
        existing = self._record_ids(keys)
        latest = _latest_versions(PersonVersion, "record_id", existing.values())
        new_records = [
            PersonRecord(agency_id=self.agency_ids[a], local_id=lid, received_at=self.received_at)
            for (a, lid) in dict.fromkeys(k for k in keys if k not in existing)
        ]
        for record in PersonRecord.objects.bulk_create(new_records, batch_size=CHUNK):
            existing[(self._code(record.agency_id), record.local_id)] = record.pk
        self.record_ids.update(existing)
        versions = []
        for obj in objs:
            record_id = existing[(obj.agency, obj.local_id)]
            digest = content_hash(obj)
            previous = latest.get(record_id)
            if previous is not None and previous[1] == digest:
                self.report.count("person", "unchanged")
                continue
            number = previous[0] + 1 if previous else 1
            latest[record_id] = (number, digest)
            address = obj.address
            versions.append(
                PersonVersion(
                    record_id=record_id,
                    version=number,
                    given_name=obj.given_name or "",
                    family_name=obj.family_name or "",
                    other_names=obj.other_names,
                    date_of_birth=obj.date_of_birth,
                    sex=obj.sex or "",
                    nhs_number=obj.nhs_number or "",
                    address_line1=(address.line1 or "") if address else "",
                    address_line2=(address.line2 or "") if address else "",
                    address_town=(address.town or "") if address else "",
                    postcode=(address.postcode or "") if address else "",
                    address_from=obj.address_from,
                    recorded_at=obj.recorded_at or self.received_at,
                    received_at=self.received_at,
                    content_hash=digest,
                    submission_id=self.submission_id,
                )
            )
            self.report.count("person", "superseded" if previous else "new")
            self.report.touched_records.add(record_id)
        PersonVersion.objects.bulk_create(versions, batch_size=CHUNK)

    def events(self, objs: list[EventIn]) -> None:
        subject_keys = {(o.agency, s.local_id) for o in objs for s in o.subjects}
        unknown = [k for k in subject_keys if k not in self.record_ids]
        if unknown:
            self.record_ids.update(self._record_ids(unknown))
        existing = self._event_ids([(o.agency, o.event_id) for o in objs])
        latest = _latest_versions(EventVersion, "event_id", existing.values())
        new_events = [
            Event(agency_id=self.agency_ids[a], event_id=eid, received_at=self.received_at)
            for (a, eid) in dict.fromkeys((o.agency, o.event_id) for o in objs)
            if (a, eid) not in existing
        ]
        for event in Event.objects.bulk_create(new_events, batch_size=CHUNK):
            existing[(self._code(event.agency_id), event.event_id)] = event.pk
        versions: list[EventVersion] = []
        subjects: list[list[tuple[int, str]]] = []
        for obj in objs:
            event_pk = existing[(obj.agency, obj.event_id)]
            digest = content_hash(obj)
            previous = latest.get(event_pk)
            if previous is not None and previous[1] == digest:
                self.report.count("event", "unchanged")
                continue
            number = previous[0] + 1 if previous else 1
            latest[event_pk] = (number, digest)
            author = obj.author
            versions.append(
                EventVersion(
                    event_id=event_pk,
                    version=number,
                    type=obj.type,
                    occurred_at=obj.occurred_at,
                    recorded_at=obj.recorded_at or self.received_at,
                    received_at=self.received_at,
                    author_name=(author.name or "") if author else "",
                    author_role=(author.role or "") if author else "",
                    details=obj.details,
                    narrative=obj.narrative or "",
                    content_hash=digest,
                    submission_id=self.submission_id,
                )
            )
            subject_rows: list[tuple[int, str]] = [
                (self.record_ids[(obj.agency, s.local_id)], s.role) for s in obj.subjects
            ]
            subjects.append(subject_rows)
            self.report.touched_records.update(r for r, _ in subject_rows)
            self.report.count("event", "superseded" if previous else "new")
        created = EventVersion.objects.bulk_create(versions, batch_size=CHUNK)
        EventSubject.objects.bulk_create(
            [
                EventSubject(event_version_id=version.pk, record_id=record_id, role=role)
                for version, rows in zip(created, subjects, strict=True)
                for record_id, role in rows
            ],
            batch_size=CHUNK,
        )

    def _code(self, agency_id: int) -> str:
        return next(code for code, pk in self.agency_ids.items() if pk == agency_id)

    def _record_ids(self, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], int]:
        return _ids_by_key(PersonRecord, "local_id", keys, self.agency_ids)

    def _event_ids(self, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], int]:
        return _ids_by_key(Event, "event_id", keys, self.agency_ids)


def _ids_by_key(
    model: type[PersonRecord] | type[Event],
    field_name: str,
    keys: Iterable[tuple[str, str]],
    agency_ids: dict[str, int],
) -> dict[tuple[str, str], int]:
    codes = {pk: code for code, pk in agency_ids.items()}
    by_agency: dict[int, list[str]] = defaultdict(list)
    for code, local in keys:
        by_agency[agency_ids[code]].append(local)
    found: dict[tuple[str, str], int] = {}
    for agency_id, locals_ in by_agency.items():
        for start in range(0, len(locals_), CHUNK):
            rows = model.objects.filter(
                agency_id=agency_id, **{f"{field_name}__in": locals_[start : start + CHUNK]}
            ).values_list(field_name, "id")
            found.update(((codes[agency_id], local), pk) for local, pk in rows)
    return found


def _latest_versions(
    model: type[PersonVersion] | type[EventVersion], fk: str, ids: Iterable[int]
) -> dict[int, tuple[int, str]]:
    latest: dict[int, tuple[int, str]] = {}
    id_list = list(ids)
    for start in range(0, len(id_list), CHUNK):
        rows = model.objects.filter(**{f"{fk}__in": id_list[start : start + CHUNK]}).values_list(
            fk, "version", "content_hash"
        )
        for owner, version, digest in rows:
            if owner not in latest or version > latest[owner][0]:
                latest[owner] = (version, digest)
    return latest


def _objects_of_kind(source: Source, kinds: tuple[str, ...]) -> Iterator[list[Any]]:
    """Pass two: the batch again, only the given kinds, re-validated (cheap), in chunks."""
    chunk: list[Any] = []
    for _position, raw in source():
        if not isinstance(raw, dict) or raw.get("kind") not in kinds:
            continue
        obj, _ = parse_object(raw)
        chunk.append(obj)
        if len(chunk) >= CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def batch_ingest(
    *,
    source: Source,
    channel: str,
    source_name: str,
    sha256: str,
    as_agency: str | None = None,
) -> IngestReport:
    """Validate a whole batch, then store all of it or nothing.

    `as_agency` (API tokens) limits the batch to one agency's own objects.
    """
    report = IngestReport()
    received_at = clock.now()
    validator = _Validator(report, as_agency, received_at)
    for position, raw in source():
        validator.feed(position, raw)
    if report.accepted:
        validator.finish()
    if not report.accepted:
        return report

    submission_id = uuid.uuid4()
    with transaction.atomic():
        writer = _Writer(report, submission_id, received_at)
        for chunk in _objects_of_kind(source, ("agency",)):
            writer.agencies(_dedupe(chunk, report))
        for chunk in _objects_of_kind(source, ("person",)):
            writer.persons(_dedupe(chunk, report))
        for chunk in _objects_of_kind(source, ("event",)):
            writer.events(_dedupe(chunk, report))
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


def _dedupe(objs: list[Any], report: IngestReport) -> list[Any]:
    """An identical repeat inside one chunk is an unchanged resend (differing ones were refused)."""
    seen: set[tuple[str, str, str]] = set()
    out = []
    for obj in objs:
        key = (obj.kind, *_key_parts(obj))
        if key in seen:
            report.count(obj.kind, "unchanged")
        else:
            seen.add(key)
            out.append(obj)
    return out
