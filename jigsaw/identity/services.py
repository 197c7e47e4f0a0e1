"""Writes to identity: linking records to persons (at ingest and in batch), training the
matcher, and the human decisions that always win over it.

Every function takes the store's write lock (the ingest's), so links are written one
transaction at a time and their ids appear in order (the person index relies on that).

A human decision is refused unless the actor's role makes linkage decisions and they may act
on every person it touches (need-to-know, docs/security.md); refusals and decisions are audited.
"""

from __future__ import annotations

import math
import time
from collections import ChainMap, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied
from django.db import transaction

from jigsaw.access.models import AuditEntry
from jigsaw.access.need_to_know import (
    Access,
    NoAccess,
    Viewer,
    audit_read,
    audit_refused,
    require_access,
    viewer_of,
)
from jigsaw.access.roles import Scope
from jigsaw.core.bulk import allocate_ids, append_rows, chunks
from jigsaw.core.clock import clock
from jigsaw.core.collector import paused
from jigsaw.identity.linking import (
    CHUNK,
    Current,
    LinkState,
    apart_pairs,
    assign_persons,
    backdate_first_links,
    batch_link,
    candidate_record,
    confirmed_together,
    current_links,
    current_records,
    explanation_json,
    held_by_confirms,
    index_cache,
    is_deterministic,
    stored_model,
)
from jigsaw.identity.matching import Band, ConstraintConflict, Model, Thresholds, train
from jigsaw.identity.matching.cluster import conflict, other_child, twin_like
from jigsaw.identity.models import Decision, Link, LinkageModel, LinkMethod, Person, ReviewItem
from jigsaw.records.models import PersonRecord
from jigsaw.records.presenters import record_ref
from jigsaw.records.services import store_write_lock

# A batch that brings this many new or changed records is linked in one pass of the batch
# engine (vectorised, seconds for a whole local authority) instead of one record at a time.
BATCH_MIN = 500
# Until there are this many records the engine's default parameters are used: EM needs enough
# pairs to learn from. Then a model is trained on the data and stored, and trained again each
# time the records double, until someone trains one with `jigsaw linkage train`.
TRAIN_MIN = 500
RETRAIN_GROWTH = 2
# Review items raised for one record at most: the strongest few candidates are enough.
REVIEWS_PER_RECORD = 3


class IdentityError(ValueError):
    """A linkage request that cannot be carried out, with a message a person can act on."""


class NotFound(IdentityError, LookupError):
    pass


class DecisionConflict(IdentityError):
    """The decision contradicts an earlier human decision."""


# Linkage decisions change which records make up a person, for every agency at once: they are
# for the roles that hold cases or triage them, never for one agency's staff or read-only roles.
DECIDING_SCOPES = frozenset({Scope.ALLOCATED, Scope.TEAMS, Scope.SERVICE, Scope.TRIAGE})


@dataclass(frozen=True)
class Actor:
    """Who decides: a signed-in user, or a name given at the command line."""

    name: str
    user: AbstractBaseUser | None = None

    @classmethod
    def of(cls, user: Any) -> Actor:
        name = (user.get_full_name() or user.get_username()) if user is not None else ""
        return cls(name=name or str(user), user=user)


@dataclass
class LinkReport:
    records: int = 0  # records looked at
    links: dict[str, int] = field(default_factory=lambda: defaultdict(int))  # by method
    moved: int = 0  # records that changed person
    new_persons: int = 0
    reviews: int = 0
    refused: int = 0
    mode: str = ""
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "mode": self.mode,
            "records": self.records,
            "links": dict(self.links),
            "moved": self.moved,
            "new_persons": self.new_persons,
            "reviews": self.reviews,
            "refused": self.refused,
            "seconds": round(self.seconds, 2),
        }


# --- training --------------------------------------------------------------------------------


def linkage_train(
    *,
    source: str = LinkageModel.Source.COMMAND,
    seed: int = 1,
    auto_link: float | None = None,
    review: float | None = None,
) -> LinkageModel:
    """Train the matcher on every record's latest version and store it; it is used from now on.

    The thresholds stored with it are `auto_link` and `review` where given, else those of the
    latest stored model (the engine's defaults before any): retraining keeps what a local
    authority chose.
    """
    latest = LinkageModel.objects.order_by("-id").only("parameters").first()
    kept = Model.from_dict(latest.parameters).thresholds if latest else Thresholds()
    thresholds = Thresholds(
        auto_link=kept.auto_link if auto_link is None else auto_link,
        review=kept.review if review is None else review,
    )
    if not (math.isfinite(thresholds.auto_link) and math.isfinite(thresholds.review)):
        raise IdentityError("the auto-link and review thresholds must be numbers")
    if thresholds.review > thresholds.auto_link:
        raise IdentityError(
            f"the review threshold ({thresholds.review:g}) must not be above the auto-link "
            f"threshold ({thresholds.auto_link:g})"
        )
    with transaction.atomic():
        store_write_lock()
        records = current_records()
        model = train([c.rec for c in records.values()], seed=seed, thresholds=thresholds)
        return LinkageModel.objects.create(
            parameters=model.to_dict(),
            trained_at=clock.now(),
            record_count=len(records),
            source=source,
        )


def _model_for_linking(total: int) -> Any:
    latest = LinkageModel.objects.order_by("-id").only("record_count", "source").first()
    due = (latest is None and total >= TRAIN_MIN) or (
        latest is not None
        and latest.source == LinkageModel.Source.AUTOMATIC
        and total >= RETRAIN_GROWTH * latest.record_count
    )
    if due:
        linkage_train(source=LinkageModel.Source.AUTOMATIC)
    return stored_model()


# --- linking ---------------------------------------------------------------------------------


def records_link(*, record_ids: Iterable[int]) -> LinkReport:
    """Link new or changed records to persons (called after every accepted ingest).

    A record is looked at when it has no link yet, or its latest version is newer than the one
    its link was made from. A record a person confirmed is never moved.
    """
    started = time.perf_counter()
    ids = set(record_ids)
    report = LinkReport()
    if not ids:
        return report
    with transaction.atomic():
        store_write_lock()
        currents = current_records(ids)
        links = current_links(ids)
        needing = sorted(
            r
            for r, c in currents.items()
            if r not in links or (not links[r].pinned and links[r].version_id != c.version_id)
        )
        report.records = len(needing)
        if not needing:
            return report
        model = _model_for_linking(PersonRecord.objects.count())
        if len(needing) >= BATCH_MIN:
            _link_batch(report, model, movable=set(needing))
        else:
            _link_each(report, model, needing, currents, links)
    report.seconds = time.perf_counter() - started
    return report


def linkage_relink() -> LinkReport:
    """Link every record again from scratch, in one batch. People's decisions all hold: a
    confirmed or merged record stays, a rejected pair or an unmerged merge stays apart."""
    started = time.perf_counter()
    report = LinkReport()
    with transaction.atomic():
        store_write_lock()
        model = _model_for_linking(PersonRecord.objects.count())
        _link_batch(report, model, movable=None)
    report.seconds = time.perf_counter() - started
    return report


def _existing_review_pairs(record_ids: Iterable[int] | None) -> set[tuple[int, int]]:
    rows = ReviewItem.objects.values_list("record_a_id", "record_b_id")
    if record_ids is None:
        return {(min(a, b), max(a, b)) for a, b in rows}
    ids = sorted(set(record_ids))
    out: set[tuple[int, int]] = set()
    for part in chunks(ids, CHUNK):
        for a, b in rows.filter(record_a_id__in=part).union(rows.filter(record_b_id__in=part)):
            out.add((min(a, b), max(a, b)))
    return out


def _link_each(
    report: LinkReport,
    stored: Any,
    needing: list[int],
    currents: dict[int, Current],
    links: dict[int, LinkState],
) -> None:
    """Match each record against the person index, one at a time (small batches)."""
    report.mode = "index"
    s = index_cache.refresh(stored, ensure=needing)
    assert s.index is not None
    apart = apart_pairs()
    # Records a confirm keeps with the record confirmed into their person (as a relink does).
    kept = held_by_confirms(needing, links, apart)
    seen_pairs = _existing_review_pairs(needing)
    now = clock.now()
    new_links: list[Link] = []
    reviews: list[ReviewItem] = []
    for r in needing:
        cur = currents[r]
        evidence = s.evidence[r]
        usable = []
        nearby = []
        for candidate in s.index.match(cur.rec, limit=20):
            other, version = candidate_record(candidate)
            held = s.current.get(other)
            if other == r or held is None or held.version_id != version:
                continue  # the record itself, or an outdated version of another
            nearby.append(other)
            person = s.person_of.get(other)
            if person is None:
                continue  # not linked yet: it will match this one when its turn comes
            members = s.members[person]
            if apart.get(r, set()) & members:
                continue
            if any(conflict(evidence, s.evidence[m]) for m in members if m != r):
                if candidate.band != Band.AUTO:
                    continue
                # Refused as clustering would refuse it: a person looks instead.
                report.refused += 1
                candidate = replace(candidate, band=Band.REVIEW)
            usable.append((candidate, other, person))
        usable = _hold_twins(r, usable, nearby, s)
        current = links[r].person if r in links else None
        # A changed record that no longer matches any other record of its person leaves it:
        # its events must not stay in another child's chronology.
        others = s.members[current] - {r} if current is not None else set()
        still = any(p == current and c.band == Band.AUTO for c, _, p in usable)
        if others and not still and r not in kept:
            current = None
        auto = [u for u in usable if u[0].band == Band.AUTO and r not in kept]
        if auto and evidence.dob is None and not is_deterministic(auto[0][0].explanation):
            # No date of birth, and the records it matches were born years apart (a father
            # and son of one name at one address): a person decides.
            dobs = [d for _, o, _ in auto if (d := s.evidence[o].dob) is not None]
            if dobs and (max(dobs) - min(dobs)).days > 366:
                auto = []
        if auto:
            candidate, other, person = max(
                auto, key=lambda u: (is_deterministic(u[0].explanation), u[0].weight)
            )
            method = (
                LinkMethod.NHS_NUMBER
                if is_deterministic(candidate.explanation)
                else LinkMethod.PROBABILISTIC
            )
            target: int | None = person
            justification: tuple[Any, ...] | None = (
                method,
                candidate.weight,
                candidate.probability,
                other,
                max(cur.recorded_at, s.current[other].recorded_at),
            )
        else:
            target, justification = current, None
        if target is None:
            target = Person.objects.create(created_at=now).pk
            report.new_persons += 1
            justification = (LinkMethod.NEW, None, None, None, cur.recorded_at)
        if justification is not None:
            method, weight, p, other, known_from = justification
            new_links.append(
                Link(
                    record_id=r,
                    person_id=target,
                    method=method,
                    weight=weight,
                    probability=p,
                    person_version_id=cur.version_id,
                    matched_record_id=other,
                    known_from=known_from,
                    made_at=now,
                )
            )
            report.links[str(method)] += 1
            report.moved += r in links and links[r].person != target
            index_cache.note_link(s, r, target)
        raised = 0
        for candidate, other, person in usable:
            pair = (min(r, other), max(r, other))
            if (
                raised >= REVIEWS_PER_RECORD
                or candidate.band == Band.NONE
                or person == target
                or pair in seen_pairs
            ):
                continue
            seen_pairs.add(pair)
            raised += 1
            reviews.append(
                ReviewItem(
                    record_a_id=other,
                    record_b_id=r,
                    weight=candidate.weight,
                    probability=candidate.probability,
                    explanation=explanation_json(candidate.explanation),
                    raised_at=now,
                )
            )
    backdate_first_links(
        new_links,
        {r for r in needing if r not in links},
        stored.model,
        ChainMap(currents, s.current),
    )
    Link.objects.bulk_create(new_links)
    # The index already has these persons; reading the links back marks them as uncommitted,
    # so a rollback is noticed by the next refresh.
    index_cache.links_written(s)
    ReviewItem.objects.bulk_create(reviews)
    report.reviews = len(reviews)


def _hold_twins(
    r: int, usable: list[tuple[Any, int, int]], nearby: list[int], s: Any
) -> list[tuple[Any, int, int]]:
    """Candidates that could be r's twin rather than r go to review when the home shows
    another child born that day (as the batch engine's `_hold_twins`): among r, the records
    it matched (linked yet or not) and their persons' records, two that `other_child` says
    are two children."""
    ev = s.evidence
    if not any(c.band == Band.AUTO and twin_like(ev[r], ev[o]) for c, o, _ in usable):
        return usable
    near = sorted({r, *nearby, *(m for *_, p in usable for m in s.members[p])})
    near = [x for x in near if x in ev]
    marked: set[int] = set()
    for i, x in enumerate(near):
        for y in near[i + 1 :]:
            if other_child(ev[x], ev[y]):
                marked.update((x, y))
    return [
        (replace(c, band=Band.REVIEW), o, p)
        if c.band == Band.AUTO and twin_like(ev[r], ev[o]) and (r in marked or o in marked)
        else (c, o, p)
        for c, o, p in usable
    ]


@paused()
def _link_batch(report: LinkReport, stored: Any, *, movable: set[int] | None) -> None:
    """Link with the batch engine. `movable` None: a relink, where any unpinned record may
    move; else only those records are placed, beside records that stay where they are."""
    report.mode = "relink" if movable is None else "batch"
    records = current_records()
    links = current_links()
    pins = {r: state.person for r, state in links.items() if state.pinned}
    now_person = {r: state.person for r, state in links.items()}
    apart = apart_pairs()
    model = stored.model.for_population(len(records))
    together = [(a, b) for a, b in confirmed_together(links) if b not in apart.get(a, ())]
    try:
        result = batch_link(records, model, pins=pins, apart=apart, together=together)
    except ConstraintConflict:
        # A chain of confirms reaches a pair a person later kept apart: the later word (the
        # apart) holds, and only the pins themselves stay together.
        try:
            result = batch_link(records, model, pins=pins, apart=apart)
        except ConstraintConflict as exc:
            raise DecisionConflict(f"people's decisions contradict each other: {exc}") from exc
    report.refused = result.refused
    clusters: dict[int, list[int]] = defaultdict(list)
    for r, number in result.cluster_of.items():
        clusters[number].append(r)
    may_move = set(records) - set(pins) if movable is None else movable - set(pins)
    if movable is None:
        report.records = len(records)
    target = assign_persons(
        clusters, pins=pins, now_person=now_person, movable=may_move, exclusive=movable is None
    )
    now = clock.now()
    # New persons for the clusters no existing person takes: written in one go.
    unclaimed = sorted({result.cluster_of[r] for r in may_move if target.get(r) is None})
    fresh = dict(zip(unclaimed, allocate_ids(Person, len(unclaimed)), strict=True))
    append_rows(Person, ("id", "created_at"), [(pk, now) for pk in fresh.values()])
    report.new_persons += len(fresh)

    def person_of(record: int) -> int | None:
        return target.get(record) or fresh.get(result.cluster_of.get(record, -1))

    new_links: list[Link] = []
    for r in sorted(may_move):
        person = person_of(r)
        assert person is not None
        current = now_person.get(r)
        best = result.best.get(r)
        if best is not None and person_of(best[0]) != person:
            best = None  # its strongest match stayed on another person
        changed = person != current
        if not changed and (movable is None or best is None):
            continue  # same person, nothing new to say about why
        cur = records[r]
        if best is not None:
            other, weight, p, det = best
            method = LinkMethod.NHS_NUMBER if det else LinkMethod.PROBABILISTIC
            known_from = max(cur.recorded_at, records[other].recorded_at)
        else:
            other, weight, p = None, None, None
            method, known_from = LinkMethod.NEW, cur.recorded_at
        new_links.append(
            Link(
                record_id=r,
                person_id=person,
                method=method,
                weight=round(weight, 2) if weight is not None else None,
                probability=p,
                person_version_id=cur.version_id,
                matched_record_id=other,
                known_from=known_from,
                made_at=now,
            )
        )
        report.links[str(method)] += 1
        report.moved += current is not None and changed
    backdate_first_links(new_links, {r for r in may_move if r not in now_person}, model, records)
    Link.objects.bulk_create(new_links, batch_size=CHUNK)
    final = {**now_person, **{link.record_id: link.person_id for link in new_links}}
    seen_pairs = _existing_review_pairs(None)
    reviews = []
    for a, b, weight, p, explanation in result.review:
        pair = (min(a, b), max(a, b))
        if pair in seen_pairs or b in apart.get(a, ()) or final.get(a) == final.get(b):
            continue
        if movable is not None and a not in movable and b not in movable:
            continue
        seen_pairs.add(pair)
        reviews.append(
            ReviewItem(
                record_a_id=a,
                record_b_id=b,
                weight=weight,
                probability=p,
                explanation=explanation,
                raised_at=now,
            )
        )
    ReviewItem.objects.bulk_create(reviews, batch_size=CHUNK)
    report.reviews = len(reviews)


# --- who may decide --------------------------------------------------------------------------


def may_decide(viewer: Viewer) -> bool:
    """Whether the viewer's role makes linkage decisions (the operator always does)."""
    rules = viewer.rules
    return rules is None or (rules.may_write and rules.scope in DECIDING_SCOPES)


def decider_require(viewer: Viewer, *, object_type: str, object_id: str = "") -> None:
    """Refuse, audited, a viewer whose role does not make linkage decisions."""
    if not may_decide(viewer):
        audit_refused(
            viewer,
            object_type=object_type,
            object_id=object_id,
            why="role may not make linkage decisions",
        )
        raise PermissionDenied("your role may not make linkage decisions")


def decision_persons(decision: Decision) -> set[int]:
    """The persons a decision touched: those it names, every person a merge's records had
    before it, and the persons its records are in now."""
    persons = {p for p in (decision.person_a_id, decision.person_b_id) if p is not None}
    persons |= {int(e["person"]) for e in (decision.snapshot or {}).get("before", [])}
    records = [r for r in (decision.record_a_id, decision.record_b_id) if r is not None]
    persons |= {state.person for state in current_links(records).values()}
    return persons


def merge_holders(decision: Decision) -> set[int]:
    """The persons now holding the records a merge moved. Whoever may act on them may undo
    it: the persons the records came from are empty since, so nobody's need-to-know reaches
    them, yet their records are in plain view on the merged person."""
    records = [int(e["record"]) for e in (decision.snapshot or {}).get("before", [])]
    return {state.person for state in current_links(records).values()}


def _authorise(
    actor: Actor, persons: Iterable[int], *, object_type: str, object_id: str = ""
) -> tuple[Viewer, list[Access]]:
    """The actor as a viewer, and their access to each person, or an audited refusal.

    Called before the write's transaction, so the refusal's audit entry is kept."""
    viewer = viewer_of(actor.user)
    decider_require(viewer, object_type=object_type, object_id=object_id)
    try:
        accesses = [
            require_access(viewer, p, act=True, object_type=object_type, object_id=object_id)
            for p in sorted(set(persons))
        ]
    except NoAccess:
        # Without the person's id: the caller may not have named them (an unmerge, a review).
        raise NoAccess(f"this {object_type} concerns a person not open to you") from None
    return viewer, accesses


def _audit_decision(
    viewer: Viewer,
    decision: Decision,
    accesses: list[Access],
    records: Iterable[int],
    **detail: Any,
) -> None:
    audit_read(
        viewer,
        action=AuditEntry.Action.WRITE,
        object_type="decision",
        object_id=str(decision.pk),
        accesses=accesses,
        record_ids=sorted(set(records)),
        detail={
            "kind": decision.kind,
            "reason": decision.reason,
            **{k: v for k, v in detail.items() if v is not None},
        },
    )


# --- human decisions -------------------------------------------------------------------------


def _reason(reason: str) -> str:
    text = (reason or "").strip()
    if not text:
        raise IdentityError("give a reason: every linkage decision records why it was made")
    return text


def _members(person: Person) -> dict[int, LinkState]:
    """The records now linked to a person, with their latest links."""
    ever = set(Link.objects.filter(person=person).values_list("record_id", flat=True))
    return {r: s for r, s in current_links(ever).items() if s.person == person.pk}


def _describe(decision_id: int) -> str:
    d = Decision.objects.select_related("record_a__agency", "record_b__agency").get(pk=decision_id)
    when = d.made_at.date().isoformat()
    return f"decision {d.pk} ({d.kind}, by {d.actor_name} on {when}: \u201c{d.reason}\u201d)"


def _apart_decision(a: int, b: int) -> int | None:
    """The decision that keeps two records apart, if any."""
    reject = (
        Decision.objects.filter(kind=Decision.Kind.REJECT, record_a_id=a, record_b_id=b)
        .union(Decision.objects.filter(kind=Decision.Kind.REJECT, record_a_id=b, record_b_id=a))
        .values_list("id", flat=True)
    )
    found = list(reject)
    if found:
        return min(found)
    for pk, snapshot in Decision.objects.filter(kind=Decision.Kind.UNMERGE).values_list(
        "id", "snapshot"
    ):
        groups = [set(g) for g in (snapshot or {}).get("groups", {}).values()]
        split = not any(a in g and b in g for g in groups)
        if split and any(a in g for g in groups) and any(b in g for g in groups):
            return int(pk)
    return None


def _ref(record_id: int) -> str:
    record = PersonRecord.objects.select_related("agency").get(pk=record_id)
    return record_ref(record.agency.code, record.local_id)


def _check_not_apart(records: Iterable[int], others: Iterable[int]) -> None:
    apart = apart_pairs()
    others = set(others)
    for r in records:
        for o in sorted(apart.get(r, set()) & others):
            decision = _apart_decision(r, o)
            raise DecisionConflict(
                f"{_ref(r)} and {_ref(o)} were decided to be different people"
                + (f" by {_describe(decision)}" if decision else "")
                + ": that decision must be revisited first"
            )


def _decision(kind: str, actor: Actor, reason: str, **fields: Any) -> Decision:
    return Decision.objects.create(
        kind=kind,
        actor=actor.user,  # type: ignore[misc]
        actor_name=actor.name,
        reason=reason,
        made_at=clock.now(),
        **fields,
    )


def _human_links(decision: Decision, moves: dict[int, int]) -> list[Link]:
    versions = {r: c.version_id for r, c in current_records(moves).items()}
    return Link.objects.bulk_create(
        [
            Link(
                record_id=r,
                person_id=person,
                method=LinkMethod.HUMAN,
                person_version_id=versions.get(r),
                known_from=decision.made_at,
                made_at=decision.made_at,
                decision=decision,
            )
            for r, person in sorted(moves.items())
        ]
    )


def _item_id(item: ReviewItem | None) -> int | None:
    return item.pk if item is not None else None


def _open(item: ReviewItem | None) -> None:
    if item is not None and Decision.objects.filter(review_item=item).exists():
        raise DecisionConflict(f"review item {item.pk} has already been decided")


def link_confirm(
    *,
    record: PersonRecord,
    person: Person,
    actor: Actor,
    reason: str,
    review_item: ReviewItem | None = None,
) -> Decision:
    """A person confirms that this record is this person. The matcher will never move it."""
    text = _reason(reason)
    now_in = current_links([record.pk]).get(record.pk)
    viewer, accesses = _authorise(
        actor,
        {person.pk} | ({now_in.person} if now_in is not None else set()),
        object_type="confirm",
        object_id=f"{_ref(record.pk)} into {person.pk}",
    )
    with transaction.atomic():
        store_write_lock()
        _open(review_item)
        members = _members(person)
        _check_not_apart([record.pk], set(members) - {record.pk})
        decision = _decision(
            Decision.Kind.CONFIRM,
            actor,
            text,
            record_a=record,
            person_a=person,
            review_item=review_item,
            snapshot={"with": sorted(set(members) - {record.pk})},
        )
        _human_links(decision, {record.pk: person.pk})
        _audit_decision(viewer, decision, accesses, [record.pk], review_item=_item_id(review_item))
        return decision


def link_reject(
    *,
    record_a: PersonRecord,
    record_b: PersonRecord,
    actor: Actor,
    reason: str,
    review_item: ReviewItem | None = None,
) -> Decision:
    """A person says two records are not the same person. If they are now one person, the
    second record is split off to a person of its own; the matcher never joins them again."""
    text = _reason(reason)
    if record_a.pk == record_b.pk:
        raise IdentityError("a record cannot be rejected against itself")
    viewer, accesses = _authorise(
        actor,
        {state.person for state in current_links([record_a.pk, record_b.pk]).values()},
        object_type="reject",
        object_id=f"{_ref(record_a.pk)} and {_ref(record_b.pk)}",
    )
    with transaction.atomic():
        store_write_lock()
        _open(review_item)
        links = current_links([record_a.pk, record_b.pk])
        a, b = links.get(record_a.pk), links.get(record_b.pk)
        together = a is not None and b is not None and a.person == b.person
        if together and a is not None and b is not None and a.pinned and b.pinned:
            raise DecisionConflict(
                f"{_ref(record_a.pk)} and {_ref(record_b.pk)} were both placed in person "
                f"{a.person} by people ({_describe(a.decision_id or 0)}; "
                f"{_describe(b.decision_id or 0)}): unmerge or confirm one elsewhere first"
            )
        decision = _decision(
            Decision.Kind.REJECT,
            actor,
            text,
            record_a=record_a,
            record_b=record_b,
            review_item=review_item,
        )
        split: dict[str, Any] = {}
        if together:
            alone = Person.objects.create(created_at=decision.made_at)
            _human_links(decision, {record_b.pk: alone.pk})
            split = {"new_person": alone.pk}
        _audit_decision(
            viewer,
            decision,
            accesses,
            [record_a.pk, record_b.pk],
            review_item=_item_id(review_item),
            **split,
        )
        return decision


def person_merge(*, person_a: Person, person_b: Person, actor: Actor, reason: str) -> Decision:
    """A person says two persons are one: every record of `person_a` moves to `person_b`.

    What each record was linked to before is kept in the decision, so an unmerge restores it.
    Every record of both is pinned to `person_b`: the matcher cannot undo the merge.
    """
    text = _reason(reason)
    if person_a.pk == person_b.pk:
        raise IdentityError(f"person {person_a.pk} cannot be merged with itself")
    viewer, accesses = _authorise(
        actor,
        [person_a.pk, person_b.pk],
        object_type="merge",
        object_id=f"{person_a.pk} into {person_b.pk}",
    )
    with transaction.atomic():
        store_write_lock()
        moving, staying = _members(person_a), _members(person_b)
        if not moving:
            raise IdentityError(f"person {person_a.pk} has no records to merge")
        _check_not_apart(moving, staying)
        before = {**moving, **staying}
        snapshot = {
            "before": [
                {"record": r, "person": state.person, "link": state.link_id}
                for r, state in sorted(before.items())
            ]
        }
        decision = _decision(
            Decision.Kind.MERGE,
            actor,
            text,
            person_a=person_a,
            person_b=person_b,
            snapshot=snapshot,
        )
        _human_links(decision, dict.fromkeys(before, person_b.pk))
        _audit_decision(viewer, decision, accesses, before)
        return decision


def person_unmerge(*, decision: Decision, actor: Actor, reason: str) -> Decision:
    """Undo a merge: every record it touched goes back to the person it had before, and the
    two sides are kept apart from now on. Refused if a later decision has moved any of them."""
    text = _reason(reason)
    if decision.kind != Decision.Kind.MERGE:
        raise IdentityError(
            f"decision {decision.pk} is a {decision.kind}, not a merge: only a merge can be "
            "unmerged"
        )
    viewer, accesses = _authorise(
        actor, merge_holders(decision), object_type="unmerge", object_id=str(decision.pk)
    )
    with transaction.atomic():
        store_write_lock()
        done = Decision.objects.filter(undoes=decision).values_list("id", flat=True).first()
        if done is not None:
            raise DecisionConflict(
                f"decision {decision.pk} was already unmerged by {_describe(done)}"
            )
        before = {e["record"]: e["person"] for e in decision.snapshot.get("before", [])}
        links = current_links(before)
        moved = [r for r in sorted(before) if links[r].decision_id != decision.pk]
        if moved:
            reasons = []
            for r in moved:
                later = links[r].decision_id
                by = _describe(later) if later else "the matcher"
                reasons.append(f"{_ref(r)} is now in person {links[r].person}, moved by {by}")
            raise DecisionConflict(
                f"cannot unmerge decision {decision.pk}: records were moved by later "
                f"decisions, and undoing the merge would undo those too. {'; '.join(reasons)}. "
                "Revisit those decisions first."
            )
        groups: dict[str, list[int]] = defaultdict(list)
        for r, person in sorted(before.items()):
            groups[str(person)].append(r)
        undo = _decision(
            Decision.Kind.UNMERGE,
            actor,
            text,
            undoes=decision,
            person_a=decision.person_a,
            person_b=decision.person_b,
            snapshot={"groups": dict(groups)},
        )
        _restore_links(undo, [e["link"] for e in decision.snapshot.get("before", [])])
        _audit_decision(viewer, undo, accesses, before, undoes=decision.pk)
        return undo


def _restore_links(undo: Decision, link_ids: list[int]) -> None:
    """Write again, as new rows, the links a merge replaced: each record is back on its person
    as it was (the matcher's link stays the matcher's, a confirmed record is confirmed again),
    knowable from the unmerge, which each row names."""
    Link.objects.bulk_create(
        [
            Link(
                record_id=old.record_id,
                person_id=old.person_id,
                method=old.method,
                weight=old.weight,
                probability=old.probability,
                person_version_id=old.person_version_id,
                matched_record_id=old.matched_record_id,
                decision_id=old.decision_id,
                restored_by=undo,
                known_from=undo.made_at,
                made_at=undo.made_at,
            )
            for old in Link.objects.filter(pk__in=link_ids).order_by("record_id")
        ]
    )


def review_decide(*, item: ReviewItem, same: bool, actor: Actor, reason: str) -> Decision:
    """Resolve a review item: the two records are the same person (confirm the second into the
    first's person) or not (reject)."""
    record_a = PersonRecord.objects.get(pk=item.record_a_id)
    record_b = PersonRecord.objects.get(pk=item.record_b_id)
    if same:
        links = current_links([record_a.pk])
        if record_a.pk not in links:
            raise IdentityError(f"{_ref(record_a.pk)} is not linked to any person yet")
        person = Person.objects.get(pk=links[record_a.pk].person)
        return link_confirm(
            record=record_b, person=person, actor=actor, reason=reason, review_item=item
        )
    return link_reject(
        record_a=record_a, record_b=record_b, actor=actor, reason=reason, review_item=item
    )
