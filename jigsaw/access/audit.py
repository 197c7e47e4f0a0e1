"""The audit trail: every entry chained to the one before by a SHA-256 hash (ADR 007).

`audit_record` is the one way to append. It takes the chain's lock (a PostgreSQL advisory lock;
on SQLite the write lock that every transaction takes at BEGIN IMMEDIATE) so two writers cannot
both extend the same tail and fork the chain; `seq` being unique is the backstop.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.db import connection, transaction

from jigsaw.access.models import AuditEntry, AuditPerson
from jigsaw.core.bulk import append_rows
from jigsaw.core.clock import clock

GENESIS = "0" * 64
# A fixed key for pg_advisory_xact_lock: "jigsaw audit" as a signed 64-bit number.
_PG_LOCK_KEY = int.from_bytes(hashlib.sha256(b"jigsaw audit").digest()[:8], "big", signed=True)

# The API token behind the current request, if any, so entries written deeper down (an ingest)
# can say on whose behalf. Reset at the start of every request by the access middleware.
current_token: ContextVar[Any] = ContextVar("current_token", default=None)

_HASHED_FIELDS = (
    "seq",
    "at",
    "user_id",
    "username",
    "role",
    "action",
    "object_type",
    "object_id",
    "person_ids",
    "record_ids",
    "basis",
    "reason",
    "detail",
    "prev_hash",
)


def _instant(at: datetime) -> str:
    return at.astimezone(UTC).isoformat(timespec="microseconds")


def canonical(entry: AuditEntry) -> bytes:
    """The entry as it is hashed: sorted-key JSON of every field but `hash` (and the row id)."""
    values: dict[str, Any] = {name: getattr(entry, name) for name in _HASHED_FIELDS}
    values["at"] = _instant(entry.at)
    return json.dumps(values, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def entry_hash(entry: AuditEntry) -> str:
    return hashlib.sha256(canonical(entry)).hexdigest()


def _lock_chain() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_PG_LOCK_KEY])
    # SQLite: transactions begin IMMEDIATE (settings), so this one already holds the write lock.


def _who(user: Any) -> tuple[int | None, str, str]:
    if user is None or not getattr(user, "is_authenticated", False):
        return None, "", ""
    profile = getattr(user, "staff_profile", None)
    return user.pk, user.get_username(), profile.role if profile else ""


# Entries held back to be written together (`audit_together`), or None when each is written at
# once.
_held: ContextVar[list[AuditEntry] | None] = ContextVar("audit_held", default=None)


@contextmanager
def audit_together() -> Iterator[None]:
    """Within: reads (`audit_record(..., hold=True)`) are kept and appended together on leaving,
    in one transaction and one take of the chain's lock, instead of one each: a page that shows
    a child's record, chronology, household and flags writes four entries in one go. Each keeps
    the moment it was made. Written on leaving whatever happens, so a page that fails half-way
    still leaves what it read on the record."""
    if _held.get() is not None:  # inside another: the outer one writes
        yield
        return
    token = _held.set([])
    try:
        yield
    finally:
        held = _held.get() or []
        _held.reset(token)
        if held:
            _append(held)


def audit_record(
    *,
    action: str,
    user: Any = None,
    username: str = "",
    role: str = "",
    object_type: str = "",
    object_id: str = "",
    person_ids: Iterable[str] = (),
    record_ids: Iterable[int] = (),
    basis: str = "",
    reason: str = "",
    detail: Mapping[str, Any] | None = None,
    hold: bool = False,
) -> AuditEntry:
    """Append one entry. `username` names someone not signed in (a failed sign-in). `hold`: a
    read, which within `audit_together` may wait to be written with the others (the entry
    returned then has no sequence number yet)."""
    user_id, known_name, known_role = _who(user)
    token = current_token.get()
    if token is not None and not basis:
        basis = "token"
    details = dict(detail or {})
    if token is not None:
        details.setdefault("token", f"{token.agency_code} {token.prefix}")
    entry = AuditEntry(
        at=clock.now(),
        user_id=user_id,
        username=known_name or username,
        role=role or known_role,
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        person_ids=sorted({str(p) for p in person_ids}),
        record_ids=sorted({int(r) for r in record_ids}),
        basis=basis,
        reason=reason,
        # Hash what the database will give back: JSON round-trips, datetimes to microseconds.
        detail=json.loads(json.dumps(details, default=str)),
    )
    held = _held.get()
    if hold and held is not None:
        held.append(entry)
        return entry
    _append([entry])
    return entry


def _append(entries: list[AuditEntry]) -> None:
    """Chain the entries onto the tail, in order, in one transaction."""
    with transaction.atomic():
        _lock_chain()
        tail = AuditEntry.objects.order_by("-seq").values_list("seq", "hash").first()
        seq, prev_hash = (tail[0], tail[1]) if tail else (0, GENESIS)
        for entry in entries:
            seq += 1
            entry.seq, entry.prev_hash = seq, prev_hash
            entry.hash = prev_hash = entry_hash(entry)
        if len(entries) == 1:
            entries[0].save()
        else:
            AuditEntry.objects.bulk_create(entries)
            if entries[0].pk is None:  # a database that does not give the ids back
                ids = dict(
                    AuditEntry.objects.filter(seq__gte=entries[0].seq).values_list("seq", "pk")
                )
                for entry in entries:
                    entry.pk = ids[entry.seq]
        # An ingest's entry can name a whole local authority: COPY / executemany, not the ORM.
        append_rows(
            AuditPerson,
            ("entry", "person_id"),
            [(entry.pk, p) for entry in entries for p in entry.person_ids],
        )


@dataclass(frozen=True)
class ChainReport:
    checked: int
    head: str  # the last entry's hash: note it somewhere else to detect a cut-off tail
    broken_seq: int | None = None
    problem: str = ""
    # What broke: the hash "chain", or the "index" of people (AuditPerson) that "who has looked
    # at this child" reads, which the chain does not cover.
    part: str = "chain"

    @property
    def ok(self) -> bool:
        return self.broken_seq is None


VERIFY_CHUNK = 2000


def _index_problem(entry: AuditEntry, indexed: list[str]) -> str:
    """How the AuditPerson rows of an entry differ from the person ids it names ("" if not)."""
    if sorted(indexed) == entry.person_ids:
        return ""
    named, held = set(entry.person_ids), set(indexed)
    parts = []
    if named - held:
        parts.append(f"person {', '.join(sorted(named - held)[:5])} missing from it")
    if held - named:
        parts.append(f"person {', '.join(sorted(held - named)[:5])} added to it")
    if not parts:
        parts.append("a person indexed twice")
    return "its index of people does not match its person ids: " + "; ".join(parts)


def _chunks(entries: Iterable[AuditEntry]) -> Iterable[list[AuditEntry]]:
    chunk: list[AuditEntry] = []
    for entry in entries:
        chunk.append(entry)
        if len(chunk) == VERIFY_CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def audit_verify() -> ChainReport:
    """Walk the chain from the first entry; stop at the first that does not hold.

    Each entry's hash covers its person ids, but "who has looked at this child" reads the
    AuditPerson index beside it, so deleting index rows would hide a look without breaking the
    chain: every entry's index rows must therefore name exactly its person ids.
    """
    prev, expected, checked = GENESIS, 1, 0
    entries = AuditEntry.objects.order_by("seq").iterator(chunk_size=VERIFY_CHUNK)
    for chunk in _chunks(entries):
        indexed: dict[int, list[str]] = {entry.pk: [] for entry in chunk}
        rows = AuditPerson.objects.filter(entry_id__in=list(indexed)).values_list(
            "entry_id", "person_id"
        )
        for entry_id, person_id in rows.iterator(chunk_size=VERIFY_CHUNK):
            indexed[entry_id].append(person_id)
        for entry in chunk:
            if entry.seq != expected:
                return ChainReport(checked, prev, expected, f"entry {expected} is missing")
            if entry.prev_hash != prev:
                return ChainReport(
                    checked, prev, entry.seq, "its prev_hash is not the previous entry's hash"
                )
            if entry_hash(entry) != entry.hash:
                return ChainReport(checked, prev, entry.seq, "its content does not match its hash")
            problem = _index_problem(entry, indexed[entry.pk])
            if problem:
                return ChainReport(checked, prev, entry.seq, problem, part="index")
            prev, expected, checked = entry.hash, expected + 1, checked + 1
    return ChainReport(checked, prev)
