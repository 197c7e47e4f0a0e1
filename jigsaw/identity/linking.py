"""The machinery behind linking: current records as the matcher sees them, the constraints that
human decisions impose, the process-level person index, and batch linkage.

Services (services.py) call into this; nothing here is called from views or the API.
"""

from __future__ import annotations

import dataclasses
import sys
import threading
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connection, transaction

from jigsaw.core.bulk import chunks, table_name
from jigsaw.core.collector import paused, settle
from jigsaw.identity.matching import Band, Candidate, Contribution, Model, Rec, Thresholds, link
from jigsaw.identity.matching.cluster import Evidence
from jigsaw.identity.matching.comparisons import C_DOB, C_NHS, D_EXACT, D_SWAPPED
from jigsaw.identity.matching.engine import Table
from jigsaw.identity.matching.engine import evidence_of as _evidence_of_norm
from jigsaw.identity.matching.normalise import normalise
from jigsaw.identity.matching.search import PersonIndex
from jigsaw.identity.models import Decision, Link, LinkageModel
from jigsaw.records.models import PersonVersion

CHUNK = 2000
# Decisions whose links a person made to hold: the matcher never moves such a record.
PINNING = (Decision.Kind.CONFIRM, Decision.Kind.MERGE, Decision.Kind.UNMERGE)

_VERSION_FIELDS = (
    "id",
    "record_id",
    "recorded_at",
    "content_hash",
    "given_name",
    "family_name",
    "other_names",
    "date_of_birth",
    "sex",
    "nhs_number",
    "address_line1",
    "postcode",
    "record__agency__code",
)


@dataclass(frozen=True, slots=True)
class Current:
    """A record's latest version, as the matcher sees it."""

    record_id: int
    version_id: int
    recorded_at: datetime
    content_hash: str
    rec: Rec


def _shared(text: str) -> str:
    # Names, addresses, postcodes and agency codes repeat across records: one copy of each
    # held, not one per record (the person index holds every record for the process's life).
    return sys.intern(text) if text else text


def _current_of(row: tuple[Any, ...]) -> Current:
    (vid, rid, recorded_at, digest, given, family, others, dob, sex, nhs, line1, postcode, code) = (
        row
    )
    return Current(
        record_id=rid,
        version_id=vid,
        recorded_at=recorded_at,
        content_hash=digest,
        rec=Rec(
            id=f"{rid}:{vid}",
            source=_shared(code),
            given_name=_shared(given),
            family_name=_shared(family),
            other_names=tuple(_shared(n) for n in others) if others else (),
            date_of_birth=dob,
            sex=sex,
            nhs_number=nhs,
            address_line=_shared(line1),
            postcode=_shared(postcode),
        ),
    )


def current_records(record_ids: Iterable[int] | None = None) -> dict[int, Current]:
    """The latest version of each record (all records when `record_ids` is None)."""
    out: dict[int, Current] = {}
    if record_ids is None:
        rows = PersonVersion.objects.order_by("record_id", "version").values_list(*_VERSION_FIELDS)
        for row in rows.iterator(chunk_size=5000):
            out[row[1]] = _current_of(row)
        return out
    ids = sorted(set(record_ids))
    for part in chunks(ids, CHUNK):
        for row in (
            PersonVersion.objects.filter(record_id__in=part)
            .order_by("record_id", "version")
            .values_list(*_VERSION_FIELDS)
        ):
            out[row[1]] = _current_of(row)
    return out


@dataclass(frozen=True, slots=True)
class LinkState:
    link_id: int
    person: int
    version_id: int | None
    pinned: bool
    decision_id: int | None


def current_links(record_ids: Iterable[int] | None = None) -> dict[int, LinkState]:
    """Each record's latest link (by id): what Jigsaw now holds, whatever its known_from."""
    fields = ("id", "record_id", "person_id", "person_version_id", "decision__kind", "decision_id")
    out: dict[int, LinkState] = {}

    def take(rows: Iterable[tuple[Any, ...]]) -> None:
        for link_id, rid, person, version, kind, decision in rows:
            out[rid] = LinkState(link_id, person, version, kind in PINNING, decision)

    if record_ids is None:
        take(Link.objects.order_by("record_id", "id").values_list(*fields).iterator(5000))
        return out
    ids = sorted(set(record_ids))
    for part in chunks(ids, CHUNK):
        take(
            Link.objects.filter(record_id__in=part).order_by("record_id", "id").values_list(*fields)
        )
    return out


def apart_pairs() -> dict[int, set[int]]:
    """Records a person said are not the same person: rejected pairs, and the two sides of
    every unmerged merge."""
    apart: dict[int, set[int]] = defaultdict(set)

    def keep(a: int, b: int) -> None:
        apart[a].add(b)
        apart[b].add(a)

    for kind, a, b, snapshot in Decision.objects.filter(
        kind__in=(Decision.Kind.REJECT, Decision.Kind.UNMERGE)
    ).values_list("kind", "record_a_id", "record_b_id", "snapshot"):
        if kind == Decision.Kind.REJECT:
            keep(a, b)
        else:
            groups = list((snapshot or {}).get("groups", {}).values())
            for i, left in enumerate(groups):
                for right in groups[i + 1 :]:
                    for x in left:
                        for y in right:
                            keep(x, y)
    return apart


def confirmed_together(links: dict[int, LinkState]) -> list[tuple[int, int]]:
    """Pairs a confirm decision put together: the confirmed record and the records its person
    had then, while they are still on it. Those records are not pinned, but the matcher may not
    part them from it (a person may: a later decision or an unmerge that put one elsewhere)."""
    confirms = {s.decision_id for s in links.values() if s.pinned and s.decision_id}
    pairs = []
    for pk, record, snapshot in Decision.objects.filter(
        pk__in=confirms, kind=Decision.Kind.CONFIRM
    ).values_list("id", "record_a_id", "snapshot"):
        home = links[record]
        if home.decision_id != pk:
            continue
        for other in (snapshot or {}).get("with", []):
            held = links.get(other)
            if held is not None and held.person == home.person:
                pairs.append((record, other))
    return pairs


def held_by_confirms(
    record_ids: Iterable[int], links: dict[int, LinkState], apart: dict[int, set[int]]
) -> set[int]:
    """Those of `record_ids` that a confirm keeps on their person: the record was on the person
    when another was confirmed into it, and that one is still there by that decision. The rule
    `confirmed_together` gives a relink, for records linked one at a time."""
    ids = set(record_ids)
    persons = {links[r].person for r in ids if r in links}
    if not persons:
        return set()
    confirms = list(
        Decision.objects.filter(kind=Decision.Kind.CONFIRM, person_a_id__in=persons).values_list(
            "id", "record_a_id", "snapshot"
        )
    )
    homes = current_links([record for _, record, _ in confirms])
    held: set[int] = set()
    for pk, record, snapshot in confirms:
        home = homes.get(record)
        if home is None or home.decision_id != pk:
            continue
        for other in (snapshot or {}).get("with", []):
            state = links.get(other)
            if (
                other in ids
                and state is not None
                and state.person == home.person
                and other not in apart.get(record, ())
            ):
                held.add(other)
    return held


def explanation_json(explanation: Iterable[Contribution]) -> list[dict[str, Any]]:
    return [
        {
            "comparison": c.comparison,
            "level": c.level,
            "value_a": c.value_a,
            "value_b": c.value_b,
            "weight": c.weight,
        }
        for c in explanation
    ]


def is_deterministic(explanation: Iterable[Contribution]) -> bool:
    by = {c.comparison: c.level for c in explanation}
    return by.get("nhs_number") == "agree" and by.get("date_of_birth") in (
        "exact",
        "day and month swapped",
    )


def evidence_of(rec: Rec) -> Evidence:
    return _evidence_of_norm(normalise(rec))


# --- the model -------------------------------------------------------------------------------


@dataclass(frozen=True)
class StoredModel:
    key: tuple[Any, ...]  # identifies the stored model the index was built with
    model: Model


def thresholds_in_force(stored: Thresholds) -> Thresholds:
    """The stored model's thresholds, less those the local authority set in the environment
    (JIGSAW_LINK_AUTO_THRESHOLD, JIGSAW_LINK_REVIEW_THRESHOLD), which win."""
    auto = getattr(settings, "JIGSAW_LINK_AUTO_THRESHOLD", None)
    review = getattr(settings, "JIGSAW_LINK_REVIEW_THRESHOLD", None)
    chosen = Thresholds(
        auto_link=stored.auto_link if auto is None else float(auto),
        review=stored.review if review is None else float(review),
    )
    if chosen.review > chosen.auto_link:
        raise ImproperlyConfigured(
            f"the review threshold ({chosen.review:g}) is above the auto-link threshold "
            f"({chosen.auto_link:g}): check JIGSAW_LINK_REVIEW_THRESHOLD and "
            "JIGSAW_LINK_AUTO_THRESHOLD, or the thresholds `jigsaw linkage train` stored"
        )
    return chosen


def stored_model() -> StoredModel:
    """The latest trained model (the engine's defaults before any), with the thresholds in
    force."""
    latest = (
        LinkageModel.objects.order_by("-id").values_list("pk", "trained_at", "record_count").first()
    )
    key: tuple[Any, ...] = ("default",) if latest is None else tuple(latest)
    parsed = _parsed_models.get(key)
    if parsed is None:
        # A stored model never changes (rows are appended), so it is parsed once per process:
        # every search asks for it.
        parsed = (
            Model.default()
            if latest is None
            else Model.from_dict(LinkageModel.objects.get(pk=latest[0]).parameters)
        )
        _parsed_models.clear()
        _parsed_models[key] = parsed
    model = dataclasses.replace(parsed, thresholds=thresholds_in_force(parsed.thresholds))
    return StoredModel(key, model)


_parsed_models: dict[tuple[Any, ...], Model] = {}


# --- the process-level person index ----------------------------------------------------------


@dataclass
class _State:
    key: tuple[Any, ...] | None = None
    index: PersonIndex | None = None
    version_seen: int = 0
    link_seen: int = 0
    # record -> index rows (a tuple: most records have one row, and a list holds room for more)
    rows: dict[int, tuple[int, ...]] = field(default_factory=dict)
    loaded: set[int] = field(default_factory=set)  # version ids in the index
    current: dict[int, Current] = field(default_factory=dict)  # record -> latest version
    evidence: dict[int, Evidence] = field(default_factory=dict)
    person_of: dict[int, int] = field(default_factory=dict)  # record -> person (latest link)
    members: dict[int, set[int]] = field(default_factory=lambda: defaultdict(set))
    # Records linked but not (yet) in the index: kept as links and versions arrive, since
    # working it out from person_of and current on every search costs time in proportion to
    # every record held.
    unindexed: set[int] = field(default_factory=set)
    # Rows read inside a transaction not yet committed: checked before each use, since a
    # rollback (or a test's) can take them away again.
    tentative_versions: dict[int, tuple[int, str]] = field(default_factory=dict)
    tentative_links: dict[int, tuple[int, int]] = field(default_factory=dict)


def _high_water() -> tuple[int, int]:
    """The highest person version id and link id stored (0: none)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT (SELECT MAX(id) FROM {table_name(PersonVersion)}),"
            f" (SELECT MAX(id) FROM {table_name(Link)})"
        )
        versions, links = cursor.fetchone()
    return int(versions or 0), int(links or 0)


# An index this large is set aside from the garbage collector once built.
SETTLE_FROM = 100_000


class IndexCache:
    """Every record's latest version in a PersonIndex, with the persons they are linked to.

    Loaded once per process, then brought up to date by reading only the versions and links
    with ids above those already seen, so a one-event API batch does not reload every record.
    Writes to the store are serialised (one ingest or decision at a time), so ids become
    visible in order and nothing below the high-water mark can appear later.
    """

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.state = _State()

    def clear(self) -> None:
        with self.lock:
            self.state = _State()

    def refresh(self, model: StoredModel, *, ensure: Iterable[int] = ()) -> _State:
        """The index, up to date; `ensure` names records that must be in it at their latest
        version (the ones about to be linked)."""
        with self.lock:
            s = self.state
            built = s.key != model.key or not self._still_there(s)
            if built:
                s = self.state = _State(key=model.key, index=PersonIndex(model.model))
            # Most searches find nothing new: one query says so.
            versions_top, links_top = (None, None) if built else _high_water()
            with paused():
                if versions_top is None or versions_top > s.version_seen:
                    self._load_versions(s)
                if links_top is None or links_top > s.link_seen:
                    self._load_links(s)
            if built and len(s.current) >= SETTLE_FROM:
                # A long-lived index of a million records is tens of millions of objects:
                # set aside, the collector never walks them again (a walk takes seconds, and
                # would stall whichever search met it).
                settle()
            # Batches of different agencies may commit out of id order: a version below the
            # high-water mark can appear late. Every record gets a link (written under the
            # store-wide lock, so links do arrive in order); a record linked but not indexed,
            # or about to be linked, is read by id.
            wanted = set(ensure) | s.unindexed
            if wanted:
                self._add(s, list(current_records(wanted).values()))
            assert s.index is not None
            s.index.model = model.model.for_population(len(s.current))
            return s

    def links_written(self, s: _State) -> None:
        with self.lock:
            self._load_links(s)

    def _still_there(self, s: _State) -> bool:
        for ids, model, fields, expected in (
            (
                sorted(s.tentative_versions),
                PersonVersion,
                ("id", "record_id", "content_hash"),
                s.tentative_versions,
            ),
            (
                sorted(s.tentative_links),
                Link,
                ("id", "record_id", "person_id"),
                s.tentative_links,
            ),
        ):
            for part in chunks(ids, CHUNK):
                found = {
                    row[0]: tuple(row[1:])
                    for row in model.objects.filter(id__in=part).values_list(*fields)
                }
                if any(found.get(i) != expected[i] for i in part):
                    return False
        return True

    def _load_versions(self, s: _State) -> None:
        rows = (
            PersonVersion.objects.filter(id__gt=s.version_seen)
            .order_by("id")
            .values_list(*_VERSION_FIELDS)
        )
        self._add(s, [_current_of(row) for row in rows])

    def _add(self, s: _State, versions: list[Current]) -> None:
        fresh = [c for c in versions if c.version_id not in s.loaded]
        if not fresh:
            return
        assert s.index is not None
        start = len(s.index)
        persons = [str(s.person_of[c.record_id]) if c.record_id in s.person_of else None
                   for c in fresh]  # fmt: skip
        if len(fresh) > 200:
            s.index.add_many([c.rec for c in fresh], persons)
        else:
            for c, person in zip(fresh, persons, strict=True):
                s.index.add(c.rec, person)
        for offset, c in enumerate(fresh):
            s.loaded.add(c.version_id)
            s.rows[c.record_id] = (*s.rows.get(c.record_id, ()), start + offset)
            previous = s.current.get(c.record_id)
            if previous is None or previous.version_id < c.version_id:
                s.current[c.record_id] = c
                s.unindexed.discard(c.record_id)
                s.evidence[c.record_id] = evidence_of(c.rec)
        s.version_seen = max(s.version_seen, max(c.version_id for c in fresh))
        if connection.in_atomic_block:
            loaded = {c.version_id: (c.record_id, c.content_hash) for c in fresh}
            s.tentative_versions.update(loaded)
            transaction.on_commit(lambda: self._committed(s, versions=loaded))

    def _load_links(self, s: _State) -> None:
        rows = list(
            Link.objects.filter(id__gt=s.link_seen)
            .order_by("id")
            .values_list("id", "record_id", "person_id")
        )
        if not rows:
            return
        for _, record_id, person in rows:
            self.note_link(s, record_id, person)
        s.link_seen = rows[-1][0]
        if connection.in_atomic_block:
            loaded = {link_id: (record_id, person) for link_id, record_id, person in rows}
            s.tentative_links.update(loaded)
            transaction.on_commit(lambda: self._committed(s, links=loaded))

    def _committed(
        self,
        s: _State,
        versions: dict[int, tuple[int, str]] | None = None,
        links: dict[int, tuple[int, int]] | None = None,
    ) -> None:
        with self.lock:
            for key in versions or ():
                s.tentative_versions.pop(key, None)
            for key in links or ():
                s.tentative_links.pop(key, None)

    @staticmethod
    def note_link(s: _State, record_id: int, person: int) -> None:
        """Record in the index that `record_id` is now `person` (after a link is written)."""
        previous = s.person_of.get(record_id)
        if previous == person:
            return
        if previous is not None:
            s.members[previous].discard(record_id)
        s.person_of[record_id] = person
        s.members[person].add(record_id)
        if record_id not in s.current:
            s.unindexed.add(record_id)
        assert s.index is not None
        text = _shared(str(person))  # one string per person, not one per record
        for row in s.rows.get(record_id, ()):
            s.index.person_ids[row] = text


index_cache = IndexCache()


def candidate_record(candidate: Candidate) -> tuple[int, int]:
    record, _, version = candidate.record_id.partition(":")
    return int(record), int(version)


# --- batch linkage ---------------------------------------------------------------------------


@dataclass
class BatchResult:
    """What batch linkage decided for each record: its cluster and its strongest link."""

    cluster_of: dict[int, int]
    best: dict[int, tuple[int, float, float, bool]]  # record -> (partner, weight, p, nhs rule)
    review: list[tuple[int, int, float, float, list[dict[str, Any]]]]
    refused: int


def batch_link(
    records: dict[int, Current],
    model: Model,
    *,
    pins: dict[int, int],
    apart: dict[int, set[int]],
    together: list[tuple[int, int]] = (),  # type: ignore[assignment]
) -> BatchResult:
    """Link every record at once with the engine, honouring what people decided.

    Records pinned to one person must stay together; records said to be different people are
    kept apart. Records pinned to two different persons can still fall into one cluster through
    unpinned records: the caller keeps them on their persons.
    """
    ids = sorted(records)
    recs = [records[r].rec for r in ids]
    by_person: dict[int, list[int]] = defaultdict(list)
    for record, person in pins.items():
        if record in records:
            by_person[person].append(record)
    must = [
        (records[group[0]].rec.id, records[other].rec.id)
        for group in by_person.values()
        for other in group[1:]
    ] + [
        (records[a].rec.id, records[b].rec.id) for a, b in together if a in records and b in records
    ]
    cannot = [
        (records[a].rec.id, records[b].rec.id)
        for a, partners in apart.items()
        for b in partners
        if a < b and a in records and b in records
    ]
    result = link(recs, model=model, must_link=must, cannot_link=cannot)
    record_of = {records[r].rec.id: r for r in ids}
    cluster_of = {record_of[rid]: number for rid, number in result.persons.items()}
    ia, ib, weights, bands = result.pairs
    auto = np.flatnonzero(bands == Band.AUTO.value)
    levels = result.levels
    det = (levels[:, C_NHS] == 1) & np.isin(levels[:, C_DOB], (D_EXACT, D_SWAPPED))
    best: dict[int, tuple[int, float, float, bool]] = {}
    row_ids = [record_of[i] for i in result.ids]
    for k in auto.tolist():
        a, b = row_ids[int(ia[k])], row_ids[int(ib[k])]
        if cluster_of[a] != cluster_of[b]:
            continue
        w = float(weights[k])
        strength = w + (1000.0 if det[k] else 0.0)
        p = float(1.0 / (1.0 + 2.0 ** (-w)))
        for x, y in ((a, b), (b, a)):
            held = best.get(x)
            if held is None or strength > held[1] + (1000.0 if held[3] else 0.0):
                best[x] = (y, w, p, bool(det[k]))
    review = [
        (record_of[pair.a], record_of[pair.b], pair.weight, pair.probability,
         explanation_json(pair.explanation))
        for pair in result.review
    ]  # fmt: skip
    return BatchResult(cluster_of, best, review, len(result.refused))


def assign_persons(
    clusters: dict[int, list[int]],
    *,
    pins: dict[int, int],
    now_person: dict[int, int],
    movable: set[int],
    exclusive: bool,
) -> dict[int, int | None]:
    """The person each record goes to: a cluster keeps the person most of its records already
    have; None means a new person (one per cluster).

    Pinned records always keep their person, and records not in `movable` keep theirs. With
    `exclusive` (a relink, where every record may move) each person goes to one cluster only,
    and a person with pinned records to the cluster that holds them.
    """
    out: dict[int, int | None] = {}
    taken: set[int] = set()
    pinned_persons = set(pins.values()) if exclusive else set()
    # Beside records that stay where they are, a cluster may keep a person only if it holds
    # some of those records: a changed record that no longer matches its person's other
    # records leaves it, rather than holding it by its own vote.
    staying: dict[int, set[int]] = defaultdict(set)
    if not exclusive:
        for r, person in now_person.items():
            if r not in movable or r in pins:
                staying[person].add(r)
    # Biggest clusters choose first, so a person stays with the bulk of its records.
    for members in sorted(clusters.values(), key=lambda m: (-len(m), min(m))):
        pinned_here = Counter(pins[r] for r in members if r in pins)
        if pinned_here:
            home: int | None = pinned_here.most_common(1)[0][0]
        else:
            held = set(members)
            votes = Counter(
                now_person[r]
                for r in members
                if r in now_person and now_person[r] not in taken
                and now_person[r] not in pinned_persons
                and (not staying[now_person[r]] or staying[now_person[r]] & held)
            )  # fmt: skip
            ranked = sorted(votes.items(), key=lambda kv: (-kv[1], kv[0]))
            home = ranked[0][0] if ranked else None
        if home is not None and exclusive:
            taken.add(home)
        for r in members:
            if r in pins:
                out[r] = pins[r]
            elif r not in movable:
                out[r] = now_person.get(r)
            else:
                out[r] = home
    return out


# --- when a first link became knowable ---------------------------------------------------------


def _histories(record_ids: Iterable[int]) -> dict[int, list[Current]]:
    """Every version of the records that have more than one, oldest first."""
    ids = sorted(set(record_ids))
    many: set[int] = set()
    for part in chunks(ids, CHUNK):
        many.update(
            PersonVersion.objects.filter(record_id__in=part, version__gt=1)
            .values_list("record_id", flat=True)
            .distinct()
        )
    out: dict[int, list[Current]] = defaultdict(list)
    wanted = sorted(many)
    for part in chunks(wanted, CHUNK):
        for row in (
            PersonVersion.objects.filter(record_id__in=part)
            .order_by("record_id", "version")
            .values_list(*_VERSION_FIELDS)
        ):
            out[row[1]].append(_current_of(row))
    return dict(out)


def _as_of(history: list[Current], at: datetime) -> Current | None:
    held = None
    for version in history:
        if version.recorded_at > at:
            break
        held = version
    return held


def backdate_first_links(
    new_links: list[Link], first_time: set[int], model: Model, currents: Mapping[int, Current]
) -> int:
    """Move back the `known_from` of links that place a record for the first time, to the first
    moment the records' versions then held justified them; returns how many moved.

    A record linked once its whole history is stored (a bulk load, or a batch carrying several
    versions) is matched on its latest version, so the link would otherwise be knowable only
    from that version's `recorded_at`, and "as known on" any earlier date would show the
    record on its own although live linking would have placed it. So:
    - a match holds from the earliest moment at which the two records' versions as then
      recorded agree on NHS number and date of birth or score in the automatic band (if none
      does, from the latest versions, as before);
    - the record that founds a person (a new person's record, or the earliest of the records a
      pass puts on a person nobody else was on before) is that person from its first version.
    `currents` holds the latest version of records at hand; others are read."""
    placing = [made for made in new_links if made.record_id in first_time]
    if not placing:
        return 0
    involved = {made.record_id for made in placing} | {
        made.matched_record_id for made in placing if made.matched_record_id is not None
    }
    histories = _histories(involved)
    missing = {r for r in involved if r not in histories and r not in currents}
    found = current_records(missing) if missing else {}
    for r in involved - histories.keys():
        histories[r] = [currents[r] if r in currents else found[r]]
    before = {id(made): made.known_from for made in placing}
    pairs: list[tuple[Link, datetime, Current, Current]] = []
    for made in placing:
        own = histories[made.record_id]
        if made.matched_record_id is None:
            made.known_from = min(made.known_from, own[0].recorded_at)
            continue
        other = histories[made.matched_record_id]
        start = max(own[0].recorded_at, other[0].recorded_at)
        for at in sorted({v.recorded_at for v in own + other if v.recorded_at > start} | {start}):
            if at >= made.known_from:
                break
            a, b = _as_of(own, at), _as_of(other, at)
            assert a is not None  # both records exist from `start`
            assert b is not None
            pairs.append((made, at, a, b))
    if pairs:
        table = Table.build(
            [a.rec for _m, _at, a, _b in pairs] + [b.rec for _m, _at, _a, b in pairs]
        )
        n = len(pairs)
        left = np.arange(n)
        levels = table.comparator.levels(table.columns, left, table.columns, left + n)
        bands = model.bands(levels, model.weights(levels))
        det = (levels[:, C_NHS] == 1) & np.isin(levels[:, C_DOB], (D_EXACT, D_SWAPPED))
        done: set[int] = set()
        for k, (made, at, _a, _b) in enumerate(pairs):
            # Each link's moments come in time order: the first that holds is the earliest.
            if id(made) in done or not (det[k] or bands[k] == Band.AUTO.value):
                continue
            done.add(id(made))
            made.known_from = at
    # Founders: per person, the placed record first recorded, unless the person already held
    # a record from no later than that.
    by_person: dict[int, list[Link]] = defaultdict(list)
    for made in placing:
        by_person[made.person_id].append(made)
    placed = {made.record_id for made in placing}
    held_from: dict[int, datetime] = {}
    persons = sorted(by_person)
    for part in chunks(persons, CHUNK):  # a bulk load places a million records
        for person, record, known_from in Link.objects.filter(person_id__in=part).values_list(
            "person_id", "record_id", "known_from"
        ):
            if record not in placed and (person not in held_from or known_from < held_from[person]):
                held_from[person] = known_from
    for person, made_here in by_person.items():
        founder = min(made_here, key=lambda m: (histories[m.record_id][0].recorded_at, m.record_id))
        first = histories[founder.record_id][0].recorded_at
        held = held_from.get(person)
        if first < founder.known_from and (held is None or first < held):
            founder.known_from = first
    return sum(made.known_from != before[id(made)] for made in placing)
