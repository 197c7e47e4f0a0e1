"""Writes for flags: evaluating children (at ingest, on a tick, in a replay), escalating, and
what people record (acknowledge, action, close).

The engine is pure; here its findings become flags. A finding's key is the flag's identity: a
new key raises a flag with its first revision; new evidence or a change of severity for an open
flag adds a revision; a closed flag is never reopened by the same episode (the key). A flag
whose finding is no longer returned (the child since seen, the decision since made) stays open
as it last was: the catalogue has a named person close every flag, with a reason. Jigsaw closes
only history loaded long after its due date ("historical").
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Max

from jigsaw.core.bulk import allocate_ids, append_rows, chunks
from jigsaw.core.clock import clock
from jigsaw.core.collector import paused, set_aside
from jigsaw.core.forked import cores
from jigsaw.core.workdays import due_within_working_days
from jigsaw.identity.selectors import links_as_of
from jigsaw.records.models import EventSubject
from jigsaw.risk.config import RiskSettings, risk_settings
from jigsaw.risk.engine import Finding, evaluate
from jigsaw.risk.loading import Snapshot
from jigsaw.risk.models import CloseReason, EscalationLevel, Flag, FlagAction, FlagRevision

SYSTEM_ACTOR = "Jigsaw"
INGEST_MAX_PERSONS = 200
# A child with no event recorded for this long and no open flag is not re-evaluated by a tick.
TICK_ACTIVE_DAYS = 400
PERSON_CLOSE_REASONS = [r for r in CloseReason if r != CloseReason.HISTORICAL]


class FlagError(ValueError):
    pass


class FlagClosed(FlagError):
    """The flag is closed: nothing more is recorded on it."""


@dataclass
class EvaluationReport:
    children: int = 0
    evaluations: int = 0
    flags_raised: int = 0
    revisions: int = 0
    historical: int = 0
    escalations: int = 0
    events: int = 0

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


def evidence_json(finding: Finding) -> list[dict[str, str]]:
    return [
        {
            "agency": e.agency,
            "event_id": e.event_id,
            "type": e.type,
            "occurred_at": e.occurred_at.isoformat(),
        }
        for e in finding.evidence
    ]


@dataclass
class _Known:
    """A flag as the store has it: its latest revision and whether it is closed."""

    flag_id: int | None
    severity: str
    evidence: list[dict[str, str]]
    revisions: int
    closed: bool
    due_by: datetime


# The columns the writer fills, in the order of its rows.
_FLAG_FIELDS = ("id", "key", "rule_id", "person", "title", "basis", "raised_at", "known_at")
_REVISION_FIELDS = (
    "id", "flag", "number", "severity", "evidence", "reason", "action", "owner", "due_by",
    "known_at",
)  # fmt: skip
_ACTION_FIELDS = ("id", "flag", "kind", "close_reason", "level", "text", "actor_name", "at")
_HISTORICAL_TEXT = "Raised from history loaded after its due date had long passed."


@dataclass
class _Writer:
    """Collects the rows a pass of evaluations adds, then writes them in a few statements
    (`append_rows`: the ORM's bulk_create spent more time preparing each value than writing)."""

    cfg: RiskSettings
    known: dict[str, _Known] = field(default_factory=dict)
    # Rows in the order of their fields above, without the ids (and, for the revisions, the
    # flag: each is kept with its flag's key).
    flags: list[tuple[Any, ...]] = field(default_factory=list)
    revisions: list[tuple[str, tuple[Any, ...]]] = field(default_factory=list)
    closes: list[tuple[str, datetime]] = field(default_factory=list)
    report: EvaluationReport = field(default_factory=EvaluationReport)

    def load(self, person_ids: Iterable[int]) -> None:
        # A chunk of persons at a time: a whole authority's persons are more query parameters
        # than a database takes. A flag's revisions all come with its person's chunk.
        latest = {
            r.flag_id: r
            for part in chunks(list(person_ids))
            for r in FlagRevision.objects.filter(flag__person_id__in=part)
            .select_related("flag")
            .order_by("flag_id", "number")
        }
        closed = {
            flag_id
            for part in chunks(list(latest))
            for flag_id in FlagAction.objects.filter(
                flag_id__in=part, kind=FlagAction.Kind.CLOSED
            ).values_list("flag_id", flat=True)
        }
        for flag_id, r in latest.items():
            self.known[r.flag.key] = _Known(
                flag_id, r.severity, r.evidence, r.number, flag_id in closed, r.due_by
            )

    def take(self, person: int, findings: list[Finding], known_at: datetime) -> None:
        for f in findings:
            evidence = evidence_json(f)
            have = self.known.get(f.key)
            if have is None:
                self.flags.append(
                    (f.key, f.rule_id, person, f.title, f.basis, f.raised_at, known_at)
                )
                have = self.known[f.key] = _Known(None, "", [], 0, False, f.due_by)
                self.report.flags_raised += 1
                # Old history loaded late: the deadline had long gone when Jigsaw learnt of it.
                limit = known_at - timedelta(days=self.cfg.escalation.historical_after_days)
                if f.due_by < limit:
                    have.closed = True
                    self.closes.append((f.key, known_at))
                    self.report.historical += 1
            elif have.closed or (have.severity == f.severity and have.evidence == evidence):
                continue
            have.revisions += 1
            have.severity, have.evidence, have.due_by = str(f.severity), evidence, f.due_by
            self.revisions.append(
                (
                    f.key,
                    (
                        have.revisions,
                        str(f.severity),
                        evidence,
                        f.reason,
                        f.action,
                        f.owner,
                        f.due_by,
                        known_at,
                    ),
                )
            )
            if have.revisions > 1:
                self.report.revisions += 1

    def close_historical(self, now: datetime) -> None:
        """Open flags whose deadline had long passed by `now` (the end of a replay)."""
        limit = now - timedelta(days=self.cfg.escalation.historical_after_days)
        for key, have in self.known.items():
            if not have.closed and have.due_by < limit:
                have.closed = True
                self.closes.append((key, now))
                self.report.historical += 1

    def write(self) -> None:
        """Inside a transaction (the ids are taken up front)."""
        ids = dict(
            zip(
                (row[0] for row in self.flags),
                allocate_ids(Flag, len(self.flags)),
                strict=True,
            )
        )
        append_rows(Flag, _FLAG_FIELDS, [(ids[row[0]], *row) for row in self.flags])
        missing = {k for k, _ in self.revisions if k not in ids} | {
            k for k, _ in self.closes if k not in ids
        }
        for part in chunks(sorted(missing)):
            ids.update(Flag.objects.filter(key__in=part).values_list("key", "pk"))
        append_rows(
            FlagRevision,
            _REVISION_FIELDS,
            [
                (pk, ids[key], *row)
                for pk, (key, row) in zip(
                    allocate_ids(FlagRevision, len(self.revisions)), self.revisions, strict=True
                )
            ],
        )
        append_rows(
            FlagAction,
            _ACTION_FIELDS,
            [
                (
                    pk,
                    ids[key],
                    FlagAction.Kind.CLOSED.value,
                    CloseReason.HISTORICAL.value,
                    "",
                    _HISTORICAL_TEXT,
                    SYSTEM_ACTOR,
                    at,
                )
                for pk, (key, at) in zip(
                    allocate_ids(FlagAction, len(self.closes)), self.closes, strict=True
                )
            ],
        )
        for key, have in self.known.items():
            if have.flag_id is None and key in ids:
                have.flag_id = ids[key]
        self.flags, self.revisions, self.closes = [], [], []


# --- evaluation ---------------------------------------------------------------------------


def children_evaluate(
    *, person_ids: Iterable[int], now: datetime | None = None, snapshot: Snapshot | None = None
) -> EvaluationReport:
    """Evaluate each child among `person_ids` as known at `now` and keep the flags."""
    now = now or clock.now()
    cfg = risk_settings()
    persons = sorted(set(person_ids))
    snapshot = snapshot or Snapshot(persons, now)
    writer = _Writer(cfg)
    with transaction.atomic():
        writer.load(persons)
        for person in persons:
            if not snapshot.records_of(person, now) or not snapshot.is_child(person, now):
                continue
            writer.report.children += 1
            writer.report.evaluations += 1
            writer.take(person, evaluate(snapshot.context(person, now), cfg.rules), now)
        writer.write()
    return writer.report


def evaluate_after_ingest(report: Any) -> None:
    """The after-ingest hook: re-evaluate the children whose records the batch touched."""
    if not report.touched_records:
        return
    now = clock.now()
    persons = {
        link.person_id
        for link in links_as_of(record_ids=report.touched_records, as_of=now).values()
    }
    # A bulk load (a first load of an agency's history) is evaluated by `jigsaw replay` or the
    # next tick instead: evaluating thousands of children would hold the ingest's transaction.
    limit = getattr(settings, "JIGSAW_RISK_INGEST_MAX_PERSONS", INGEST_MAX_PERSONS)
    if persons and len(persons) <= limit:
        children_evaluate(person_ids=persons, now=now)


def active_children(*, now: datetime) -> set[int]:
    """Whom a tick re-evaluates: persons with an event recorded in the last TICK_ACTIVE_DAYS
    days, and every person with an open flag (the time-based rules need the clock to move)."""
    since = now - timedelta(days=TICK_ACTIVE_DAYS)
    records = set(
        EventSubject.objects.filter(
            event_version__recorded_at__gt=since, event_version__recorded_at__lte=now
        ).values_list("record_id", flat=True)
    )
    persons = {link.person_id for link in links_as_of(record_ids=records, as_of=now).values()}
    closed = FlagAction.objects.filter(kind=FlagAction.Kind.CLOSED).values("flag_id")
    persons |= set(
        Flag.objects.exclude(pk__in=closed).values_list("person_id", flat=True).distinct()
    )
    return persons


def flags_tick(*, now: datetime | None = None) -> EvaluationReport:
    """One pass at the clock: time-based rules for every active child, then escalations."""
    now = now or clock.now()
    report = children_evaluate(person_ids=active_children(now=now), now=now)
    report.escalations = escalations_run(now=now)
    return report


# --- escalation ---------------------------------------------------------------------------


def head_of_service_due(due_by: datetime, cfg: RiskSettings | None = None) -> datetime:
    cfg = cfg or risk_settings()
    return due_within_working_days(due_by, cfg.escalation.head_of_service_after_working_days)


def escalation_level_at(due_by: datetime, at: datetime, cfg: RiskSettings | None = None) -> str:
    """Where an unacknowledged flag with this deadline stands at `at` ("" when not overdue)."""
    if at <= due_by:
        return ""
    if at > head_of_service_due(due_by, cfg):
        return EscalationLevel.HEAD_OF_SERVICE
    return EscalationLevel.TEAM_MANAGER


def escalations_run(*, now: datetime | None = None) -> int:
    """Escalate every open, unacknowledged flag past its deadline; each escalation is an action.
    Returns how many were recorded."""
    now = now or clock.now()
    cfg = risk_settings()
    settled = FlagAction.objects.filter(
        kind__in=[FlagAction.Kind.CLOSED, FlagAction.Kind.ACKNOWLEDGED]
    ).values("flag_id")
    due = (
        FlagRevision.objects.exclude(flag_id__in=settled)
        .values("flag_id")
        .annotate(number=Max("number"))
    )
    latest = {
        r.flag_id: r.due_by
        for part in chunks([row["flag_id"] for row in due])
        for r in FlagRevision.objects.filter(flag_id__in=part, due_by__lt=now).order_by(
            "flag_id", "number"
        )
    }
    done: dict[int, set[str]] = {}
    for part in chunks(list(latest)):
        for flag_id, level in FlagAction.objects.filter(
            flag_id__in=part, kind=FlagAction.Kind.ESCALATED
        ).values_list("flag_id", "level"):
            done.setdefault(flag_id, set()).add(level)
    rows = []
    for flag_id, due_by in latest.items():
        level = escalation_level_at(due_by, now, cfg)
        wanted = [EscalationLevel.TEAM_MANAGER]
        if level == EscalationLevel.HEAD_OF_SERVICE:
            wanted.append(EscalationLevel.HEAD_OF_SERVICE)
        for w in wanted if level else []:
            if w not in done.get(flag_id, set()):
                rows.append(
                    FlagAction(
                        flag_id=flag_id,
                        kind=FlagAction.Kind.ESCALATED,
                        level=w,
                        actor_name=SYSTEM_ACTOR,
                        at=now,
                        text=f"Not acknowledged by its due date: escalated to the "
                        f"{w.label.lower()}.",
                    )
                )
    if rows:
        with transaction.atomic():
            FlagAction.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


# --- replay -------------------------------------------------------------------------------

# A replay of at least this many persons shares the evaluation among processes.
REPLAY_PARALLEL_FROM = 500


def timeline_instants(snapshot: Snapshot, person: int) -> list[datetime]:
    """When the child is evaluated in a replay: just before each moment something new about
    them became known, and at the end. Between two such moments only the clock moves, so a
    time-based flag that a live tick would have raised in between still holds just before the
    next one; every flag live running raises, a replay raises too, with the same key, dates,
    severity and evidence."""
    return snapshot.instants(person)


def timeline_findings(
    snapshot: Snapshot, person: int, cfg: RiskSettings, *, latest_wording: bool = True
) -> list[tuple[datetime, list[Finding]]]:
    """The child's findings over the replay instants, each with when live running would have
    seen them (the last moment something became known before that instant). Only instants where
    a finding can differ from before are returned (see `Snapshot.timeline`; a replay that
    stores flags needs no `latest_wording`)."""
    return snapshot.timeline(person, cfg.rules, latest_wording=latest_wording)


def _replay_workers(persons: int) -> int:
    """The workers share the loaded rows by being forked: as many as `core.forked.cores` says
    (the setting's value, else the cores), one for a small replay."""
    wanted = getattr(settings, "JIGSAW_RISK_REPLAY_WORKERS", None) or os.environ.get(
        "JIGSAW_RISK_REPLAY_WORKERS", ""
    )
    if not wanted and persons < REPLAY_PARALLEL_FROM:
        return 1
    return cores(wanted)


Timeline = list[tuple[datetime, list[Finding]]]
_SHARED: tuple[Snapshot, RiskSettings] | None = None  # what forked workers read


def _timelines_part(persons: list[int]) -> tuple[list[tuple[int, Timeline]], int]:
    assert _SHARED is not None
    snapshot, cfg = _SHARED
    return _kept_timelines(snapshot, persons, cfg)


def _kept_timelines(
    snapshot: Snapshot, persons: list[int], cfg: RiskSettings
) -> tuple[list[tuple[int, Timeline]], int]:
    before = snapshot.evaluations
    done = [
        (p, _changes_only(timeline_findings(snapshot, p, cfg, latest_wording=False)))
        for p in persons
    ]
    return done, snapshot.evaluations - before


def _changes_only(steps: Timeline) -> Timeline:
    """The steps a replay keeps: each flag's first finding and each change of its severity or
    evidence (the rest would add nothing), so that less is sent back from a worker."""
    last: dict[str, tuple[str, tuple[Any, ...]]] = {}
    out = []
    for before, findings in steps:
        kept = []
        for f in findings:
            state = (str(f.severity), f.evidence)
            if last.get(f.key) != state:
                last[f.key] = state
                kept.append(f)
        if kept:
            out.append((before, kept))
    return out


def replay_timelines(
    snapshot: Snapshot, persons: list[int], cfg: RiskSettings, *, workers: int = 1
) -> tuple[list[tuple[int, Timeline]], int]:
    """What a replay keeps of every person's timeline (`_changes_only`: each flag's first
    finding and each change of its severity or evidence; the latest wording is not needed, so
    not worked out), in the order given, and how many evaluations it took. With more than one
    worker the persons are shared between this process and forked ones, which read the
    snapshot already in memory and never the database."""
    global _SHARED
    if workers <= 1 or len(persons) < 2:
        return _kept_timelines(snapshot, persons, cfg)
    parts = [persons[i::workers] for i in range(workers)]
    _SHARED = (snapshot, cfg)
    try:
        with multiprocessing.get_context("fork").Pool(workers - 1) as pool:
            pending = pool.map_async(_timelines_part, parts[1:])
            results = [_timelines_part(parts[0]), *pending.get()]
    finally:
        _SHARED = None
    by_person = dict(item for part, _n in results for item in part)
    return [(p, by_person[p]) for p in persons], sum(n for _part, n in results)


def flags_replay(
    *, person_ids: Iterable[int] | None = None, until: datetime | None = None
) -> EvaluationReport:
    """Re-evaluate the whole recorded history, in the order it became known, and keep the
    flags as they would have been raised. Idempotent: what is already stored is not repeated."""
    until = until or clock.now()
    cfg = risk_settings()
    persons = sorted(set(person_ids) if person_ids is not None else _all_persons(until))
    # Every object the snapshot makes is kept: the collector would walk them all again and
    # again as they are made (a third of the time of reading them).
    with paused():
        snapshot = Snapshot(persons, until, everyone=person_ids is None)
    # What is in memory now lives until the replay ends: the collector leaves it alone (and a
    # forked worker that walked it would copy every page it is on).
    with set_aside():
        timelines, evaluations = replay_timelines(
            snapshot, persons, cfg, workers=_replay_workers(len(persons))
        )
        writer = _Writer(cfg)
        writer.report.evaluations = evaluations
        with transaction.atomic():
            writer.load(persons)
            for person, steps in timelines:
                if steps:
                    writer.report.children += 1
                for before, findings in steps:
                    for f in findings:
                        writer.take(person, [f], max(before, f.raised_at))
            writer.close_historical(until)
            writer.write()
    writer.report.events = snapshot.event_count()
    return writer.report


def _all_persons(until: datetime) -> set[int]:
    from jigsaw.identity.models import Link

    return set(
        Link.objects.filter(known_from__lte=until).values_list("person_id", flat=True).distinct()
    )


def all_persons(*, until: datetime) -> set[int]:
    return _all_persons(until)


# --- what people record -------------------------------------------------------------------


def _actor_name(user: Any, name: str) -> str:
    name = (name or "").strip()
    if not name and user is not None:
        name = (user.get_full_name() or user.get_username()).strip()
    if not name:
        raise FlagError("a named person must record this")
    return name


def _closed(flag: Flag) -> bool:
    return FlagAction.objects.filter(flag=flag, kind=FlagAction.Kind.CLOSED).exists()


def flag_acknowledge(*, flag: Flag, user: Any, name: str = "") -> FlagAction:
    with transaction.atomic():
        if _closed(flag):
            raise FlagClosed("the flag is closed")
        return FlagAction.objects.create(
            flag=flag,
            kind=FlagAction.Kind.ACKNOWLEDGED,
            actor=user,
            actor_name=_actor_name(user, name),
            at=clock.now(),
        )


def flag_action_record(*, flag: Flag, user: Any, text: str, name: str = "") -> FlagAction:
    if not (text or "").strip():
        raise FlagError("say what was done")
    with transaction.atomic():
        if _closed(flag):
            raise FlagClosed("the flag is closed")
        return FlagAction.objects.create(
            flag=flag,
            kind=FlagAction.Kind.ACTION_RECORDED,
            text=text.strip(),
            actor=user,
            actor_name=_actor_name(user, name),
            at=clock.now(),
        )


def flag_close(*, flag: Flag, user: Any, reason: str, text: str, name: str = "") -> FlagAction:
    if reason not in PERSON_CLOSE_REASONS:
        raise FlagError(
            f"the reason must be one of: {', '.join(str(r) for r in PERSON_CLOSE_REASONS)}"
        )
    if not (text or "").strip():
        raise FlagError("say why the flag is closed")
    with transaction.atomic():
        if _closed(flag):
            raise FlagClosed("the flag is already closed")
        return FlagAction.objects.create(
            flag=flag,
            kind=FlagAction.Kind.CLOSED,
            close_reason=reason,
            text=text.strip(),
            actor=user,
            actor_name=_actor_name(user, name),
            at=clock.now(),
        )
