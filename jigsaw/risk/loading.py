"""What the engine sees, read from the record store and identity in a few bulk queries.

`Snapshot(person_ids, until)` reads every row the persons' evaluations can need up to `until`
(identity's `HouseholdRows`: their records' links, versions and events, and their households'),
then builds the engine's `EvaluationContext` as known at any moment up to `until` without
touching the database again. Households come from identity's own builder, on the same rows.

`Snapshot.timeline` is a replay's view of one child: the findings at each moment a live run
would have evaluated them, worked out by evaluating each rule only when something it reads has
changed (or the clock has passed a moment its findings depend on), so a replay costs a few
evaluations per child rather than one per thing that ever became known about them.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from jigsaw.identity.households import EventRow, Household, HouseholdRows, adult_from
from jigsaw.risk.engine import (
    Child,
    Config,
    DobClaim,
    EvaluationContext,
    Event,
    Finding,
    HouseholdMember,
    HouseholdSource,
    Rule,
    Subject,
    household_known,
    in_order,
)
from jigsaw.risk.engine.model import INJURIES, INJURY_EVENT_TYPES, injuries_listed
from jigsaw.risk.engine.rules import RULES
from jigsaw.risk.engine.rules.base import RuleSettings
from jigsaw.risk.engine.timing import start_of_uk_day

CHILD_ROLES = frozenset({"child"})


class Snapshot:
    def __init__(
        self,
        person_ids: Iterable[int],
        until: datetime,
        *,
        everyone: bool = False,
        rows: HouseholdRows | None = None,
    ) -> None:
        """`everyone`: the persons are all those linked by `until` (see `HouseholdRows.load`);
        `rows`: those rows, already read (or made by hand)."""
        self.until = until
        self.person_ids = sorted(set(person_ids))
        self.rows = rows or HouseholdRows.load(
            person_ids=self.person_ids, until=until, member_events=True, everyone=everyone
        )
        self._agencies = self.rows.agencies
        self._made: dict[tuple[int, str, tuple[Subject, ...]], Event] = {}
        self._plans: list[tuple[Config, _Plan]] = []
        self._typed_lists: dict[tuple[int, frozenset[str]], list[list[EventRow]]] = {}
        self._claims: dict[tuple[date, str], DobClaim] = {}
        self.evaluations = 0  # moments at which `timeline` ran rules

    def event_count(self) -> int:
        """How many events name the persons' records."""
        rows = self.rows
        return len(
            {
                versions[0].event
                for p in self.person_ids
                for r in rows.person_records.get(p, ())
                for versions in rows.events.get(r, ())
            }
        )

    # --- as known at a moment ---------------------------------------------------------------

    def person_of(self, record: int, at: datetime) -> int | None:
        return self.rows.person_of(record, at)

    def records_of(self, person: int, at: datetime) -> list[int]:
        return self.rows.records_of(person, at)

    def change_points(self, person: int) -> list[datetime]:
        """Every moment something about the person became known: a link, a version of one of
        their records, an event becoming recorded or happening."""
        rows = self.rows
        points: set[datetime] = set()
        add = points.add
        for r in rows.person_records.get(person, ()):
            points.update(known for known, _l, _p in rows.links.get(r, ()))
            points.update(v.recorded_at for v in rows.versions.get(r, ()))
            for versions in rows.events.get(r, ()):
                for v in versions:
                    # When it was knowable: the later of when it happened and was recorded.
                    occurred, recorded = v.occurred_at, v.recorded_at
                    add(occurred if occurred > recorded else recorded)
        until = self.until
        return sorted(p for p in points if p <= until)

    def child(self, person: int, at: datetime) -> Child:
        return self._child(person, self.records_of(person, at), at)

    def _child(self, person: int, records: list[int], at: datetime) -> Child:
        claims = []
        first_seen: dict[date, datetime] = {}
        refs = self.rows.refs
        for r in records:
            latest = None
            for v in self.rows.versions.get(r, ()):
                if v.recorded_at <= at:
                    latest = v
            if latest is None or latest.date_of_birth is None:
                continue
            dob = latest.date_of_birth
            claims.append(self._claim(dob, refs[r][0]))
            first_seen[dob] = min(first_seen.get(dob, latest.recorded_at), latest.recorded_at)
        best = None
        if len(claims) == 1:
            best = claims[0].value
        elif claims:
            # The value most agencies give; a tie goes to the one known first.
            counts = Counter(c.value for c in claims)
            best = min(counts, key=lambda d: (-counts[d], first_seen[d], d))
        return Child(
            person_id=person,
            records=tuple(sorted(refs[r] for r in records)),
            date_of_birth=best,
            dob_claims=tuple(sorted(claims, key=lambda c: (c.value, c.agency))),
        )

    def _claim(self, dob: date, code: str) -> DobClaim:
        """The claim an agency's record makes (the same object each time: never changed)."""
        key = (dob, code)
        found = self._claims.get(key)
        if found is None:
            found = self._claims[key] = DobClaim(dob, code, self._agencies.get(code, (code, ""))[0])
        return found

    def is_child(self, person: int, at: datetime) -> bool:
        """Under 18 by the best date of birth; with none, named as a child in an event."""
        records = self.records_of(person, at)
        return _Being(self, person, records, at).is_child(at)

    def events(self, records: list[int], at: datetime) -> list[Event]:
        mine = set(records)
        lists = [versions for r in records for versions in self.rows.events.get(r, ())]
        return self._events_of(lists, mine, at)

    def _events_of(self, lists: list[list[EventRow]], mine: set[int], at: datetime) -> list[Event]:
        out: list[Event] = []
        seen: set[int] = set()
        for versions in lists:
            latest = None
            for v in versions:
                if v.recorded_at <= at:
                    latest = v
            if latest is None or latest.event in seen:
                continue
            roles = [role for rec, role in latest.subjects if rec in mine]
            if not roles:
                continue  # a correction took the person off it
            seen.add(latest.event)
            out.append(self._event(latest, roles, mine, at))
        return out

    def _event(self, v: EventRow, roles: list[str], mine: set[int], at: datetime) -> Event:
        role = next((r for r in roles if r in CHILD_ROLES), None) or sorted(roles)[0]
        others = tuple(
            Subject(self.person_of(rec, at) or f"record:{rec}", role_)
            for rec, role_ in v.subjects
            if rec not in mine
        )
        return self._made_event(v, role, others)

    def _made_event(self, v: EventRow, role: str, others: tuple[Subject, ...] = ()) -> Event:
        # The same version seen the same way at another moment is the same (immutable) event.
        key = (v.id, role, others)
        made = self._made.get(key)
        if made is None:
            code, event_id = self.rows.event_refs[v.event]
            name, sector = self._agencies.get(code, (code, ""))
            made = self._made[key] = Event(
                agency=code,
                agency_name=name,
                sector=sector,
                event_id=event_id,
                type=v.type,
                occurred_at=v.occurred_at,
                recorded_at=v.recorded_at,
                details=v.details,
                role=role,
                others=others,
            )
        return made

    def context(self, person: int, at: datetime, *, household: bool = True) -> EvaluationContext:
        records = self.records_of(person, at)
        child = self._child(person, records, at)
        events = self.events(records, at)
        members = self.household(person, at) if household else []
        return EvaluationContext(child=child, now=at, events=events, household=members)

    # --- household ---------------------------------------------------------------------------

    def household(
        self, person: int, at: datetime, types: frozenset[str] | None = None
    ) -> list[HouseholdMember]:
        """The household identity's builder gives at `at`, for the engine: each source with
        when it was recorded, each member with their own events (of `types` only, if given)."""
        return self._members(self.rows.household(person, at), at, types)

    def _members(
        self, built: Household, at: datetime, types: frozenset[str] | None
    ) -> list[HouseholdMember]:
        return [
            HouseholdMember(**shell, events=tuple(self._member_events(ids, at, types)))
            for shell, ids in self._shells(built)
        ]

    def _shells(self, built: Household) -> list[tuple[dict[str, Any], list[int]]]:
        """Each member of an identity household as the engine has them, but for their events:
        the fields, and the member's records."""
        out = []
        for m in built.members:
            ids = m.record_ids
            if m.person_id is not None:
                person_id: int | str = m.person_id
            else:
                person_id = f"record:{ids[0]}" if ids else f"member:{m.name}"
            sources = []
            for s in m.sources:
                assert s.recorded_at is not None
                name = self._agencies.get(s.agency, (s.agency, ""))[0]
                sources.append(
                    HouseholdSource(
                        s.agency, name, s.sector, s.kind, s.reference, s.since, s.recorded_at
                    )
                )
            shell = {
                "person_id": person_id,
                "name": m.name,
                "relationship": m.relationship,
                "adult": m.adult,
                "since": m.since,
                "sources": tuple(sources),
                "known_to_social_care": m.known_to_social_care,
            }
            out.append((shell, ids))
        return out

    def _member_events(
        self, records: list[int], at: datetime, types: frozenset[str] | None
    ) -> list[Event]:
        mine = set(records)
        out = []
        seen: set[int] = set()
        for r in records:
            for versions in self.rows.events.get(r, ()) if types is None else self._typed(r, types):
                event = versions[0].event
                if event in seen:
                    continue
                latest = None
                for v in versions:
                    if v.recorded_at <= at:
                        latest = v
                if latest is None:
                    continue
                seen.add(event)
                if types is not None and latest.type not in types:
                    continue
                roles = [role for rec, role in latest.subjects if rec in mine]
                if roles:
                    out.append(self._made_event(latest, min(roles)))
        return out

    def _typed(self, record: int, types: frozenset[str]) -> list[list[EventRow]]:
        """The record's events with a version of one of `types`."""
        key = (record, types)
        found = self._typed_lists.get(key)
        if found is None:
            found = self._typed_lists[key] = [
                vs for vs in self.rows.events.get(record, ()) if any(v.type in types for v in vs)
            ]
        return found

    # --- a replay's view of one child -------------------------------------------------------

    def instants(self, person: int, points: list[datetime] | None = None) -> list[datetime]:
        """When the child is evaluated in a replay: just before each moment something new about
        them became known, and at the end. Between two such moments only the clock moves, so a
        time-based flag that a live tick would have raised in between still holds just before
        the next one."""
        if points is None:
            points = self.change_points(person)
        # The points are in order, distinct and no later than `until`: so are these.
        return [*(p - _TICK for p in points[1:]), self.until]

    def timeline(
        self, person: int, config: Config, *, latest_wording: bool = True
    ) -> list[tuple[datetime, list[Finding]]]:
        """The child's findings at the replay's instants, each with the last moment something
        became known before it (when live running would have seen it).

        Only what can differ from one instant to the next is returned: a rule is evaluated
        when something it reads has changed, when the clock passes a moment its findings depend
        on, and, for a rule whose wording follows the clock (days overdue, an age) and has
        findings, just before either and at the end. In between, its findings are those it gave
        when last evaluated. So every flag gets the same raised and due dates, severities,
        evidence and first and latest wording as from evaluating every rule at every instant.

        Without `latest_wording`, a rule whose wording follows the clock is not evaluated for
        its wording alone (just before a change, and at the end): its findings then keep their
        keys, severities and evidence, so each flag's first finding and every change of its
        severity or evidence (what a replay stores) are the same, but its latest wording (what
        "as known on" shows) may be older.
        """
        plan = self._plan(config)
        # Nobody is evaluated before one of their records is linked to them.
        linked = [
            k for r in self.rows.person_records.get(person, ()) for k, _l, _p in self.rows.links[r]
        ]
        if not linked or not self._may_be_a_child(person, min(linked)):
            return []
        points = self.change_points(person)
        instants = self.instants(person, points)
        masks = _interval_masks(instants, self._marks(person, plan))
        rules = plan.rules
        steady: list[datetime | None] = [None] * len(rules)
        finding: list[bool] = [False] * len(rules)  # whether it found anything when last run
        out: list[tuple[datetime, list[Finding]]] = []
        being: _Being | None = None
        fresh = True
        # The household, once a household rule could find something in it (before that, each
        # finds nothing whoever lives there, so an empty one serves).
        household_masks: list[int] | None = None
        household_from: datetime | None = None
        household: tuple[HouseholdMember, ...] = ()
        made: Household | None = None  # identity's household, as last built
        shells: list[tuple[dict[str, Any], list[int]]] = []  # its members, for the engine
        household_until: datetime | None = None
        count = len(instants)
        soonest: datetime | None = None  # the earliest of `steady`
        watching = False  # a rule whose wording follows the clock has findings
        # The child's events as last read, kept until one of theirs changes.
        events: list[Event] | None = None
        events_from: _Being | None = None
        for i, t in enumerate(instants):
            changed = masks[i]
            if changed & ~(_HOUSEHOLD | _MEMBER_EVENTS):
                events = None
            if being is None or changed & (_RECORDS | _CHILD):
                now_being = _Being(self, person, self.records_of(person, t), t, plan, being)
                if being is None or now_being.view != being.view:
                    changed |= _ALL
                elif now_being.records != being.records:
                    # The events of records gained or lost appear, go, or change role.
                    for r in set(now_being.records) ^ set(being.records):
                        for versions in self.rows.events.get(r, ()):
                            for v in versions:
                                changed |= plan.bits_of(v)
                being = now_being
            if not being.is_child(t):
                fresh, household, made = True, (), None
                continue
            if fresh:
                changed |= _ALL
                fresh = False
            last = i + 1 == count
            nxt = instants[i + 1] if not last else t
            ahead = _ALL if last else masks[i + 1]
            if plan.household:
                if household_masks is None:
                    household_masks, household_from = self._household_marks(person, plan, instants)
                changed |= household_masks[i]
                if not last:
                    ahead |= household_masks[i + 1]
                before = household
                if household_from is not None and t >= household_from:
                    members = made is None or bool(
                        changed & (_ALL | _RECORDS | _CHILD | _HOUSEHOLD)
                        or (household_until is not None and t > household_until)
                    )
                    if members:
                        last_made = made
                        made = self.rows.household(person, t)
                        household_until = made.same_until
                        # Most rebuilds find the same members (a neighbour's record changed,
                        # not where they live): the engine's members then stay as they were.
                        members = last_made is None or made.members != last_made.members
                        if members:
                            shells = self._shells(made)
                    if members or changed & _MEMBER_EVENTS:
                        household = household_known(
                            [
                                HouseholdMember(
                                    **shell,
                                    events=tuple(self._member_events(ids, t, plan.member_types)),
                                )
                                for shell, ids in shells
                            ],
                            t,
                        )
                # The rules see a change only when what they are given differs.
                changed &= ~(_HOUSEHOLD | _MEMBER_EVENTS)
                if household != before:
                    changed |= _HOUSEHOLD
            if not changed and not watching and (soonest is None or t <= soonest):
                continue  # only the clock has moved, and nothing waits on it yet
            if ahead & (_ALL | _RECORDS | _CHILD) or not being.is_child(nxt):
                ahead |= _ALL
            household_ahead = bool(ahead & (_ALL | _HOUSEHOLD | _MEMBER_EVENTS)) or (
                household_until is not None and nxt > household_until
            )
            due = []
            for k, rule in enumerate(rules):
                until = steady[k]
                now = bool(changed & rule.mask) or (until is not None and t > until)
                # Wording that follows the clock is also taken just before the findings may
                # change, and at the end, so that the latest wording is the one kept.
                soon = (
                    latest_wording
                    and rule.dated
                    and finding[k]
                    and (
                        bool(ahead & rule.mask)
                        or (until is not None and nxt > until)
                        or (rule.household and household_ahead)
                    )
                )
                if now or soon:
                    due.append(k)
            if not due:
                continue
            if events is None or events_from is not being:
                events, events_from = being.events_at(self, t), being
            # A rule finds nothing while neither the child nor the household has an event of a
            # type it reads: such a rule is not run (and has nothing whose wording could age).
            present = {e.type for e in events}
            if any(e.injuries for e in events):
                present.add(INJURIES)
            if any(rules[k].household for k in due):
                present.update(e.type for m in household for e in m.events)
            findings: list[Finding] = []
            context = None
            for k in due:
                rule = rules[k]
                if not all(group & present for group in rule.needs):
                    finding[k], steady[k] = False, None
                    continue
                if context is None:
                    self.evaluations += 1
                    context = EvaluationContext(
                        child=being.child,
                        now=t,
                        events=events,
                        household=household if any(rules[j].household for j in due) else (),
                    )
                found = rule.rule.evaluate(context, rule.settings)
                finding[k] = bool(found)
                findings.extend(found)
                if rule.rule.steady_until is not None:
                    steady[k] = rule.rule.steady_until(context, rule.settings)
            soonest = min((u for u in steady if u is not None), default=None)
            watching = latest_wording and any(
                finding[k] and rules[k].dated for k in range(len(rules))
            )
            if findings:
                index = bisect_right(points, t) - 1
                out.append((points[index] if index >= 0 else t, in_order(findings)))
        return out

    def _may_be_a_child(self, person: int, first: datetime) -> bool:
        """False when every date of birth any of the person's records ever gives made them an
        adult before `first` (and none leaves it out): they are never evaluated."""
        for r in self.rows.person_records.get(person, ()):
            versions = self.rows.versions.get(r, ())
            if not versions:
                return True
            for v in versions:
                grown = adult_from(v.date_of_birth) if v.date_of_birth else None
                if grown is None or start_of_uk_day(grown) > first:
                    return True
        return False

    def _plan(self, config: Config) -> _Plan:
        for known, plan in self._plans:
            if known is config:
                return plan
        plan = _Plan(config)
        self._plans.append((config, plan))
        return plan

    def _marks(self, person: int, plan: _Plan) -> list[tuple[datetime, int]]:
        """When something a rule reads about the person themself can change, and what: which
        records are theirs (_RECORDS), a version of one (_CHILD: a date of birth, an address),
        an event of a type some rule reads (its bit)."""
        rows = self.rows
        marks: list[tuple[datetime, int]] = []
        seen: set[int] = set()
        for r in rows.person_records.get(person, set()):
            marks.extend((known, _RECORDS) for known, _l, _p in rows.links.get(r, ()))
            marks.extend((v.recorded_at, _CHILD) for v in rows.versions.get(r, ()))
            for versions in rows.events.get(r, ()):
                if versions[0].event in seen:
                    continue
                seen.add(versions[0].event)
                before = 0
                for v in versions:
                    bit = plan.bits_of(v)
                    if bit | before:  # it may appear, change type, or stop naming the person
                        marks.append((v.recorded_at, bit | before))
                    if bit and v.occurred_at > v.recorded_at:
                        marks.append((v.occurred_at, bit))
                    before = bit
        marks.sort(key=lambda m: m[0])
        return marks

    def _only_own(self, person: int) -> set[int]:
        """The person's records that are never anyone else's: linked to nobody else, and to
        them from before any version of the record was recorded. A household never has such a
        record as a member's (before its link it is not yet theirs, but it holds nothing)."""
        rows = self.rows
        out = set()
        for r in rows.person_records.get(person, ()):
            links = rows.links.get(r, ())
            if not links or any(p != person for _k, _l, p in links):
                continue
            linked = min(k for k, _l, _p in links)
            if all(linked <= v.recorded_at for v in rows.versions.get(r, ())):
                out.add(r)
        return out

    def _household_marks(
        self, person: int, plan: _Plan, instants: list[datetime]
    ) -> tuple[list[int], datetime | None]:
        """When the person's household can change (as `_interval_masks` of the instants), and
        from when it can change what a household rule finds (see `Rule.household`; None:
        never, so the household is never needed)."""
        rows = self.rows
        scope = rows.scope(person)
        types = plan.scope_types
        own = self._only_own(person)
        first: dict[str, datetime] = {}
        marks: list[tuple[datetime, int]] = []
        seen: set[int] = set()
        for r in sorted(scope):
            for versions in self._typed(r, types):
                if versions[0].event in seen:
                    continue
                seen.add(versions[0].event)
                for v in versions:
                    if v.type in plan.household_types:
                        first[v.type] = min(first.get(v.type, v.recorded_at), v.recorded_at)
                # A member's event: not one that names only the person's own records.
                if any(v.type in plan.member_types for v in versions) and not (
                    own.issuperset(rec for v in versions for rec, _role in v.subjects)
                ):
                    for v in versions:
                        marks.append((v.recorded_at, _MEMBER_EVENTS))
                        marks.append((v.occurred_at, _MEMBER_EVENTS))
        household_from = None
        for rule in plan.rules:
            groups = [
                min((first[t] for t in group if t in first), default=None)
                for group in rule.household_groups or ()
            ]
            if groups and None not in groups:
                since = max(g for g in groups if g is not None)
                household_from = since if household_from is None else min(household_from, since)
        if household_from is None:
            return [0] * len(instants), None
        marks.extend((t, _HOUSEHOLD) for t in rows.change_times(person, scope))
        marks.sort(key=lambda m: m[0])
        return _interval_masks(instants, marks), household_from


_TICK = timedelta(microseconds=1)


def just_before(at: datetime) -> datetime:
    return at - _TICK


# --- what the replay's view needs ---------------------------------------------------------------

_RECORDS = 1  # a link of one of the person's records
_CHILD = 2  # a version of one of their records
_HOUSEHOLD = 4  # something their household's members are worked out from
_MEMBER_EVENTS = 8  # an event of someone who may be in their household
_ALL = 16  # everything may have changed (a first evaluation, a new date of birth)
_FIRST_TYPE = 32


@dataclass(frozen=True)
class _PlannedRule:
    rule: Rule[Any]
    settings: RuleSettings
    needs: tuple[frozenset[str], ...]  # see `Rule.needs`
    mask: int  # what it reads, as bits
    # For a household rule, the groups of event types without which the household cannot
    # change its findings (see `Rule.household`); None for the others.
    household_groups: tuple[frozenset[str], ...] | None
    dated: bool  # its wording follows the clock

    @property
    def household(self) -> bool:
        return self.household_groups is not None


class _Plan:
    """The enabled rules, and a bit for each event type one of them reads."""

    def __init__(self, config: Config) -> None:
        self.bits: dict[str, int] = {}
        self.rules: list[_PlannedRule] = []
        member_types: set[str] = set()
        for rule in RULES:
            settings = config.for_rule(rule)
            if not settings.enabled:
                continue
            types = sorted(set(rule.reads(settings)))
            needs = tuple(
                frozenset(group) for group in (rule.needs(settings) if rule.needs else [types])
            )
            household = (
                tuple(frozenset(group) for group in rule.household(settings))
                if rule.household
                else None
            )
            mask = _ALL | (_HOUSEHOLD if household is not None else 0)
            for t in types:
                if t not in self.bits:
                    self.bits[t] = _FIRST_TYPE << len(self.bits)
                mask |= self.bits[t]
            if household is not None:
                member_types.update(types)
            self.rules.append(
                _PlannedRule(rule, settings, needs, mask, household, rule.dated_wording)
            )
        self._injuries = self.bits.get(INJURIES, 0)
        self._bits_of: dict[int, int] = {}  # by version id
        self._relevant: dict[int, list[list[EventRow]]] = {}  # by record
        # Members' events of these types go into households.
        self.member_types = frozenset(member_types)
        self.household_types = frozenset(
            t for r in self.rules for group in r.household_groups or () for t in group
        )
        self.household = any(r.household for r in self.rules)
        # The types a household's marks look for in the records around the person.
        self.scope_types = self.household_types | self.member_types

    def bits_of(self, v: EventRow) -> int:
        """The bits of what a version of an event is, for the rules: its type, and whether it
        lists injuries."""
        bit = self._bits_of.get(v.id)
        if bit is None:
            bit = self.bits.get(v.type, 0)
            if (
                self._injuries
                and v.type in INJURY_EVENT_TYPES
                and injuries_listed(v.type, v.details)
            ):
                bit |= self._injuries
            self._bits_of[v.id] = bit
        return bit

    def relevant(self, rows: HouseholdRows, record: int) -> list[list[EventRow]]:
        """The record's events (their versions) with a version some rule reads."""
        found = self._relevant.get(record)
        if found is None:
            bits_of = self.bits_of
            found = self._relevant[record] = [
                versions
                for versions in rows.events.get(record, ())
                if any(bits_of(v) for v in versions)
            ]
        return found


class _Being:
    """The person as their records say at a moment (valid until their records or a version of
    one change): the child the engine sees, whether they are a child at a given moment, and
    the events a rule may read."""

    def __init__(
        self,
        snapshot: Snapshot,
        person: int,
        records: list[int],
        at: datetime,
        plan: _Plan | None = None,
        before: _Being | None = None,
    ) -> None:
        """`before`: the person as last seen, whose records' events, if the records are the
        same, are not looked through again."""
        self.records: list[int] = records
        same = before if before is not None and before.records == records else None
        self.mine = set(records)
        self.child = snapshot._child(person, records, at)
        # What rules read of the child: their date of birth, and any dispute about it.
        self.view = (self.child.date_of_birth, self.child.dob_note())
        rows = snapshot.rows
        self.adult_from: datetime | None = None
        self.child_from: datetime | None = None
        dob = self.child.date_of_birth
        if not records:
            self.kind = "none"
        elif dob is not None:
            self.kind = "dob"
            grown = adult_from(dob)
            self.adult_from = start_of_uk_day(grown) if grown is not None else None
        elif same is not None and same.kind == "named":
            self.kind = "named"
            self.child_from = same.child_from
        else:
            # Named as a child in an event (any version) from when that was recorded.
            self.kind = "named"
            self.child_from = min(
                (
                    v.recorded_at
                    for r in records
                    for versions in rows.events.get(r, ())
                    for v in versions
                    if any(rec in self.mine and role in CHILD_ROLES for rec, role in v.subjects)
                ),
                default=None,
            )
        self.lists: list[list[EventRow]] = []
        self._made: dict[int, Event | None] = {}
        if plan is not None and same is not None:
            self.lists = same.lists
        elif plan is not None:
            seen: set[int] = set()
            for r in records:
                for versions in plan.relevant(rows, r):
                    event = versions[0].event
                    if event not in seen:
                        seen.add(event)
                        self.lists.append(versions)

    def events_at(self, snapshot: Snapshot, at: datetime) -> list[Event]:
        """The events rules may read, as known at `at` (an event is made once per version:
        only who else it names could differ, and no rule reads that)."""
        out = []
        for versions in self.lists:
            latest = None
            for v in versions:
                if v.recorded_at <= at:
                    latest = v
            if latest is None:
                continue
            if latest.id not in self._made:
                roles = [role for rec, role in latest.subjects if rec in self.mine]
                self._made[latest.id] = (
                    snapshot._event(latest, roles, self.mine, at) if roles else None
                )
            made = self._made[latest.id]
            if made is not None:
                out.append(made)
        return out

    def is_child(self, at: datetime) -> bool:
        if self.kind == "dob":
            return self.adult_from is None or at < self.adult_from
        if self.kind == "named":
            return self.child_from is not None and at >= self.child_from
        return False


def _interval_masks(instants: list[datetime], marks: list[tuple[datetime, int]]) -> list[int]:
    """For each instant, what changed since the one before (up to and including it)."""
    out = []
    j = 0
    for t in instants:
        mask = 0
        while j < len(marks) and marks[j][0] <= t:
            mask |= marks[j][1]
            j += 1
        out.append(mask)
    return out
