"""Human decisions: who and why are recorded, they always win, and a merge can be undone."""

from __future__ import annotations

from contextlib import suppress
from typing import Any

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jigsaw.identity import services
from jigsaw.identity.linking import apart_pairs, confirmed_together, current_links
from jigsaw.identity.models import Decision, Link, Person, ReviewItem
from jigsaw.identity.services import (
    Actor,
    DecisionConflict,
    IdentityError,
    link_confirm,
    link_reject,
    linkage_relink,
    person_merge,
    person_unmerge,
)
from jigsaw.identity.tests.helpers import (
    family,
    home,
    person,
    person_of,
    persons,
    record_id,
    send,
)
from jigsaw.records.models import PersonRecord, PersonVersion

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]

SAM = Actor(name="Sam Taylor")


def rec(ref: str) -> PersonRecord:
    return PersonRecord.objects.get(pk=record_id(ref))


def pers(ref: str) -> Person:
    return Person.objects.get(pk=person_of(ref))


@pytest.fixture
def household() -> None:
    send(*family())


@pytest.mark.usefixtures("household")
def test_confirm_pins_a_record_to_a_person_and_records_who_and_why() -> None:
    decision = link_confirm(
        record=rec("GP:G2"), person=pers("GP:G1"), actor=SAM, reason="same child: birth certificate"
    )
    assert person_of("GP:G2") == person_of("GP:G1")
    assert (decision.kind, decision.actor_name, decision.reason) == (
        "confirm",
        "Sam Taylor",
        "same child: birth certificate",
    )
    link = Link.objects.filter(record_id=record_id("GP:G2")).latest("id")
    assert (link.method, link.decision_id) == ("human", decision.pk)
    linkage_relink()
    assert person_of("GP:G2") == person_of("GP:G1")


@pytest.mark.usefixtures("household")
@pytest.mark.parametrize("batch", [False, True], ids=["one at a time", "in one pass"])
def test_a_confirmed_pair_stays_together_when_a_new_version_arrives(
    batch: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A person confirms the GP's Chidi into the person that also holds the school's Chidi.
    assert person_of("SCH:S1") == person_of("GP:G1")
    link_confirm(record=rec("GP:G1"), person=pers("GP:G1"), actor=SAM, reason="same child")
    if batch:
        monkeypatch.setattr(services, "BATCH_MIN", 1)
    # The school then sends its record again with the twin's name: alone, it would now match
    # the twin. The confirm keeps it where it was; a person is asked instead.
    send(person("SCH", "S1", "Chike", "Okafor", "2005-06-01",
                recorded_at="2007-02-01T10:00:00Z", **home()))  # fmt: skip
    assert person_of("SCH:S1") == person_of("GP:G1")
    assert person_of("SCH:S1") != person_of("GP:G2")
    raised = {frozenset((i.record_a_id, i.record_b_id)) for i in ReviewItem.objects.all()}
    assert any(record_id("SCH:S1") in pair for pair in raised)


@pytest.mark.usefixtures("household")
def test_a_reason_is_required() -> None:
    with pytest.raises(IdentityError, match="reason"):
        link_confirm(record=rec("GP:G2"), person=pers("GP:G1"), actor=SAM, reason="  ")


@pytest.mark.usefixtures("household")
def test_reject_splits_the_second_record_off_and_relink_never_joins_them_again() -> None:
    link_reject(
        record_a=rec("GP:G1"), record_b=rec("SCH:S1"), actor=SAM, reason="different children"
    )
    assert person_of("GP:G1") != person_of("SCH:S1")
    linkage_relink()
    assert person_of("GP:G1") != person_of("SCH:S1")


@pytest.mark.usefixtures("household")
def test_a_confirm_contradicting_a_reject_is_refused_with_the_reason() -> None:
    link_reject(
        record_a=rec("GP:G1"), record_b=rec("SCH:S1"), actor=SAM, reason="different children"
    )
    with pytest.raises(DecisionConflict, match=r"different people by decision .* Sam Taylor"):
        link_confirm(record=rec("SCH:S1"), person=pers("GP:G1"), actor=SAM, reason="oops")


@pytest.mark.usefixtures("household")
def test_merge_then_unmerge_restores_exactly_and_keeps_history() -> None:
    before = persons()
    a, b = pers("GP:G1"), pers("GP:G2")
    merge = person_merge(person_a=a, person_b=b, actor=SAM, reason="one child")
    assert person_of("GP:G1") == person_of("SCH:S2") == b.pk
    linkage_relink()  # a merge is a human decision: the matcher does not undo it
    assert person_of("GP:G1") == b.pk
    person_unmerge(decision=merge, actor=SAM, reason="they are twins")
    assert persons() == before
    linkage_relink()  # nor does it undo an unmerge
    assert persons() == before
    assert Decision.objects.filter(undoes=merge).count() == 1
    with pytest.raises(DecisionConflict, match="already unmerged"):
        person_unmerge(decision=merge, actor=SAM, reason="again")


@pytest.mark.usefixtures("household")
def test_unmerge_is_refused_when_a_later_decision_moved_a_record() -> None:
    merge = person_merge(person_a=pers("GP:G1"), person_b=pers("GP:G2"), actor=SAM, reason="one")
    link_confirm(record=rec("SCH:S1"), person=pers("GP:G3"), actor=SAM, reason="school mix-up")
    with pytest.raises(DecisionConflict, match=r"SCH:S1 is now in person .* moved by decision"):
        person_unmerge(decision=merge, actor=SAM, reason="wrong")


@pytest.mark.usefixtures("household")
def test_bad_merges_are_refused_clearly() -> None:
    a = pers("GP:G1")
    with pytest.raises(IdentityError, match="cannot be merged with itself"):
        person_merge(person_a=a, person_b=a, actor=SAM, reason="x")
    confirm = link_confirm(record=rec("GP:G2"), person=pers("GP:G2"), actor=SAM, reason="x")
    with pytest.raises(IdentityError, match="not a merge"):
        person_unmerge(decision=confirm, actor=SAM, reason="x")
    empty = Person.objects.create(created_at=a.created_at)
    with pytest.raises(IdentityError, match="no records"):
        person_merge(person_a=empty, person_b=a, actor=SAM, reason="x")
    link_reject(record_a=rec("GP:G1"), record_b=rec("GP:G3"), actor=SAM, reason="siblings")
    with pytest.raises(DecisionConflict):
        person_merge(person_a=pers("GP:G3"), person_b=a, actor=SAM, reason="x")


def _links_now() -> dict[int, int]:
    return {r: s.person for r, s in current_links().items()}


def _link_state() -> dict[int, tuple[Any, ...]]:
    """Everything a record's current link says: person, method, weight, probability, the
    version and record it rests on, the decision that made it, and whether it is pinned."""
    latest = current_links()
    rows = Link.objects.filter(pk__in=[s.link_id for s in latest.values()]).values_list(
        "record_id",
        "person_id",
        "method",
        "weight",
        "probability",
        "person_version_id",
        "matched_record_id",
        "decision_id",
    )
    return {row[0]: (*row[1:], latest[row[0]].pinned) for row in rows}


def _people() -> tuple[set[int], set[int]]:
    """Every person, and the persons that have records."""
    return set(Person.objects.values_list("pk", flat=True)), set(_links_now().values())


REFS = ["GP:G1", "GP:G2", "SCH:S1", "SCH:S2", "GP:G3", "SCH:S3", "GP:G4", "POL:P1", "POL:P2"]
refs = st.sampled_from(REFS)
# New versions an agency might send: the twin's name, another birthday, a move, a new surname.
CHANGES: list[dict[str, Any]] = [
    {"given_name": "Chike"},
    {"given_name": "Chidi"},
    {"date_of_birth": "2006-09-03"},
    home("3 Elm Close", "N15 4QQ"),
    {"family_name": "Okafor-Bello"},
]
operations = st.lists(
    st.one_of(
        st.tuples(st.just("confirm"), refs, refs),
        st.tuples(st.just("reject"), refs, refs),
        st.tuples(st.just("merge"), refs, refs),
        st.tuples(st.just("ingest"), refs, st.integers(0, len(CHANGES) - 1)),
        st.tuples(st.just("unmerge"), st.just(""), st.just("")),
    ),
    max_size=6,
)


def _ingest(ref: str, change: int) -> None:
    """A new version of the record, recorded after its last one. Linking at ingest moves no
    record a person placed."""
    base = next(o for o in family() if f"{o.get('agency')}:{o.get('local_id')}" == ref)
    versions = PersonVersion.objects.filter(record_id=record_id(ref)).count()
    pinned = {r: s.link_id for r, s in current_links().items() if s.pinned}
    send({**base, **CHANGES[change], "recorded_at": f"2007-{versions + 1:02d}-01T10:00:00Z"})
    now = current_links()
    assert {r: now[r].link_id for r in pinned} == pinned


def _apply(op: tuple[str, Any, Any]) -> Decision | None:
    kind, x, y = op
    if kind == "ingest":
        _ingest(x, y)
        return None
    with suppress(IdentityError):
        if kind == "confirm":
            return link_confirm(record=rec(x), person=pers(y), actor=SAM, reason="test")
        if kind == "reject":
            return link_reject(record_a=rec(x), record_b=rec(y), actor=SAM, reason="test")
        if kind == "unmerge":
            undone = Decision.objects.filter(undoes__isnull=False).values("undoes_id")
            merge = (
                Decision.objects.filter(kind=Decision.Kind.MERGE)
                .exclude(pk__in=undone)
                .order_by("-id")
                .first()
            )
            if merge is None:
                return None
            return person_unmerge(decision=merge, actor=SAM, reason="test")
        return person_merge(person_a=pers(x), person_b=pers(y), actor=SAM, reason="test")
    return None


_SLOW = settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@_SLOW
@given(history=operations, pair=st.tuples(refs, refs))
def test_unmerge_after_merge_is_the_identity(household: None, history: Any, pair: Any) -> None:
    with transaction.atomic():
        for op in history:
            _apply(op)
        before, people = _link_state(), _people()
        merge = _apply(("merge", *pair))
        if merge is not None:
            undo = person_unmerge(decision=merge, actor=SAM, reason="undo")
            # Every record's link is as it was: not merely the same person, but the same
            # method, weight and deciding decision (a matcher's link is not now pinned).
            assert _link_state() == before
            assert _people() == people
            # The history is kept: the merge's links stay, and the restored ones are new rows
            # that name the unmerge.
            restored = Link.objects.filter(restored_by=undo)
            assert restored.count() == len(merge.snapshot["before"])
            assert Link.objects.filter(decision=merge).count() == len(merge.snapshot["before"])
            assert all(link.known_from == undo.made_at for link in restored)
        transaction.set_rollback(True)


@_SLOW
@given(history=operations)
def test_human_decisions_survive_relink(household: None, history: Any) -> None:
    with transaction.atomic():
        made = [d for d in (_apply(op) for op in history) if d is not None]
        # What people decided, taken before the relink: every pinned record's link, the pairs
        # kept apart, and the records a confirm keeps with the confirmed one.
        state = current_links()
        human = {r: (s.link_id, s.person) for r, s in state.items() if s.pinned}
        apart = [(a, b) for a, partners in apart_pairs().items() for b in partners]
        together = confirmed_together(state)
        linkage_relink()
        after = current_links()
        # No human link is overwritten, and no pinned record moves.
        assert {r: (after[r].link_id, after[r].person) for r in human} == human
        for a, b in apart:
            assert after[a].person != after[b].person
        for a, b in together:
            if b not in apart_pairs().get(a, ()):
                assert after[a].person == after[b].person
        for d in made:
            if d.kind == "reject":
                assert after[d.record_a_id].person != after[d.record_b_id].person
        # Records people placed together stay together.
        for r1 in human:
            for r2 in human:
                if human[r1][1] == human[r2][1]:
                    assert after[r1].person == after[r2].person
        transaction.set_rollback(True)
