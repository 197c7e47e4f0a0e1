"""The audit trail: appended in a hash chain, verified, tamper found, and who saw a child."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from jigsaw.access.audit import GENESIS, audit_record, audit_together, audit_verify, entry_hash
from jigsaw.access.models import AuditEntry, AuditPerson
from jigsaw.access.presenters import audit_line
from jigsaw.access.roles import Role
from jigsaw.access.selectors import audit_for_manager, audit_for_person
from jigsaw.access.services import token_create
from jigsaw.access.tests.helpers import staff
from jigsaw.core.append_only import AppendOnlyError
from jigsaw.identity.linking import current_links
from jigsaw.records.hooks import bulk_load
from jigsaw.records.tests.factories import AgencyObj, EventObj, PersonObj, base_objects, ingest

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]


@pytest.fixture
def worker():
    return staff("sam.taylor")


def three_reads(user) -> list[AuditEntry]:
    return [
        audit_record(
            action=AuditEntry.Action.READ,
            user=user,
            object_type="chronology",
            object_id=f"NGH:H-{n}",
            person_ids=[f"P{n}"],
            record_ids=[n],
            basis="allocation",
        )
        for n in (1, 2, 3)
    ]


def test_entries_are_chained_and_say_who_when_what_and_why(worker, clock) -> None:
    first, second, third = three_reads(worker)

    assert [e.seq for e in (first, second, third)] == [1, 2, 3]
    assert first.prev_hash == GENESIS
    assert second.prev_hash == first.hash
    assert third.prev_hash == second.hash
    stored = AuditEntry.objects.get(seq=2)
    assert (stored.user_id, stored.username, stored.role) == (
        worker.pk,
        "sam.taylor",
        "social_worker",
    )
    assert stored.at == clock.now()
    assert (stored.person_ids, stored.record_ids, stored.basis) == (["P2"], [2], "allocation")
    assert entry_hash(stored) == stored.hash  # what was hashed is what the database returns


def test_verify_passes_an_intact_chain(worker, jigsaw_cli) -> None:
    three_reads(worker)

    assert audit_verify().ok
    code, out, _ = jigsaw_cli("audit", "verify")
    assert code == 0
    assert "audit chain intact: 3 entries, each with its index of people" in out


def test_entries_cannot_be_changed_through_jigsaw(worker) -> None:
    entry = three_reads(worker)[0]
    entry.reason = "nothing to see"
    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        AuditEntry.objects.filter(seq=1).update(reason="x")


def _without_the_guard(sql: str, params: list, *, model=AuditEntry, op: str = "update") -> None:
    """Change a row the way someone with database access could: past the trigger."""
    table = model._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Foreign keys are checked at commit; ALTER TABLE needs none pending.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER {table}_append_only")
            cursor.execute(sql, params)
            cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER {table}_append_only")
        else:
            cursor.execute(f"DROP TRIGGER {table}_no_{op}")
            cursor.execute(sql, params)


def test_a_row_changed_in_the_database_breaks_the_chain_there(worker, jigsaw_cli) -> None:
    three_reads(worker)
    table = AuditEntry._meta.db_table

    _without_the_guard(f"UPDATE {table} SET username = %s WHERE seq = %s", ["someone.else", 2])

    report = audit_verify()
    assert (report.ok, report.broken_seq, report.checked) == (False, 2, 1)
    code, _, err = jigsaw_cli("audit", "verify")
    assert code == 1
    assert "audit chain broken at entry 2: its content does not match its hash" in err


def test_rehashing_a_changed_row_still_breaks_the_next_link(worker) -> None:
    three_reads(worker)
    entry = AuditEntry.objects.get(seq=2)
    entry.reason = "changed"
    table = AuditEntry._meta.db_table

    _without_the_guard(
        f"UPDATE {table} SET reason = %s, hash = %s WHERE seq = %s",
        ["changed", entry_hash(entry), 2],
    )

    report = audit_verify()
    assert (report.broken_seq, report.problem) == (
        3,
        "its prev_hash is not the previous entry's hash",
    )


def test_deleting_who_looked_from_the_index_is_found_by_verify(worker, jigsaw_cli) -> None:
    three_reads(worker)
    second = AuditEntry.objects.get(seq=2)
    table = AuditPerson._meta.db_table

    _without_the_guard(
        f"DELETE FROM {table} WHERE entry_id = %s", [second.pk], model=AuditPerson, op="delete"
    )

    # The look is hidden from "who has looked at this child", yet every hash still holds...
    assert list(audit_for_person(person_id="P2")) == []
    assert all(entry_hash(e) == e.hash for e in AuditEntry.objects.all())
    # ...so verify compares the index with each entry's person ids, and names the entry.
    report = audit_verify()
    assert (report.ok, report.broken_seq, report.part, report.checked) == (False, 2, "index", 1)
    assert report.problem == (
        "its index of people does not match its person ids: person P2 missing from it"
    )
    code, _, err = jigsaw_cli("audit", "verify")
    assert code == 1
    assert "audit index broken at entry 2: its index of people does not match" in err


def test_a_person_added_to_the_index_is_found_by_verify(worker) -> None:
    first = three_reads(worker)[0]

    AuditPerson.objects.create(entry=first, person_id="P9")  # a look that never happened

    report = audit_verify()
    assert (report.broken_seq, report.part) == (1, "index")
    assert report.problem.endswith("person P9 added to it")


def test_the_guard_refuses_updates_from_outside_jigsaw(worker) -> None:
    from django.db import DatabaseError, transaction

    three_reads(worker)
    table = AuditEntry._meta.db_table
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(f"UPDATE {table} SET username = 'x' WHERE seq = 1")


def test_who_has_looked_at_a_child(worker, jigsaw_cli) -> None:
    manager = staff("priya.shah", role=Role.TEAM_MANAGER)
    three_reads(worker)
    audit_record(action=AuditEntry.Action.SEARCH, user=manager, person_ids=["P2", "P9"])

    assert [e.seq for e in audit_for_person(person_id="P2")] == [4, 2]
    code, out, _ = jigsaw_cli("audit", "show", "--person", "P2")
    assert code == 0
    lines = out.strip().splitlines()
    assert lines[0].startswith("#4 2008-01-15 12:00:00 priya.shah (team_manager): search")
    assert "sam.taylor (social_worker): read chronology NGH:H-2 people P2 [allocation]" in lines[1]


def test_an_entry_naming_many_people_shows_the_first_few_on_its_line(worker) -> None:
    entry = audit_record(
        action=AuditEntry.Action.INGEST, person_ids=[f"P{n:02}" for n in range(1, 13)]
    )

    line = audit_line(entry)

    assert line.endswith(
        ": ingest people P01, P02, P03, P04, P05, P06, P07, P08, P09, P10 and 2 more"
    )


def test_a_manager_sees_what_their_team_has_done(worker, jigsaw_cli) -> None:
    from jigsaw.access.models import Team

    manager = staff("priya.shah", role=Role.TEAM_MANAGER, team="Team M")
    Team.objects.filter(name="Northfield Team A").update(manager=manager)
    outsider = staff("other.worker", team="Team Z")
    three_reads(worker)
    three_reads(outsider)

    assert [e.username for e in audit_for_manager(manager=manager)] == ["sam.taylor"] * 3
    assert [e.seq for e in audit_for_manager(manager=manager, person_id="P1")] == [1]
    # The same from the command line: who in the manager's teams has looked at a child.
    code, out, _ = jigsaw_cli("audit", "show", "--manager", "priya.shah", "--person", "P1")
    assert code == 0
    assert [line.split()[0] for line in out.splitlines()] == ["#1"]
    assert "sam.taylor (social_worker): read chronology NGH:H-1 people P1" in out
    code, out, _ = jigsaw_cli("audit", "show", "--manager", "priya.shah")
    assert [line.split()[0] for line in out.splitlines()] == ["#3", "#2", "#1"]
    assert (
        jigsaw_cli("audit", "show", "--manager", "sam.taylor")[2]
        .strip()
        .endswith("'sam.taylor' manages no team")
    )
    assert "there is no account 'nobody'" in jigsaw_cli("audit", "show", "--manager", "nobody")[2]


def _two_children(*, code: str = "NMUH", given: str = "Anna", recorded: str = "") -> list:
    """An agency and two different children (so two persons once linked)."""
    extra = {"recorded_at": recorded} if recorded else {}
    return [
        AgencyObj(code=code),
        PersonObj(agency=code, local_id="H-1", **extra),
        PersonObj(agency=code, local_id="H-2", given_name=given, family_name="Jones",
                  date_of_birth="2003-07-19", sex="F", **extra),
    ]  # fmt: skip


def _persons_of(report) -> list[str]:
    """The persons the batch's records are linked to now, read from the links themselves."""
    return sorted(
        {str(current_links(report.touched_records)[r].person) for r in report.touched_records}
    )


def test_every_ingest_is_audited_with_its_submission_counts_records_and_people() -> None:
    report = ingest(_two_children())

    entry = AuditEntry.objects.get(action="ingest")
    assert entry.object_id == str(report.submission_id)
    assert entry.detail["new"] == report.new
    assert entry.detail["records"] == 2
    assert entry.record_ids == sorted(report.touched_records)
    persons = _persons_of(report)
    assert len(persons) == 2
    assert entry.person_ids == persons  # linked before the entry was written
    # The ingest is part of "who has looked at or changed this child".
    for person in persons:
        assert [e.seq for e in audit_for_person(person_id=person)] == [entry.seq]
    assert audit_verify().ok


def test_an_event_names_the_records_it_is_about() -> None:
    first = ingest(_two_children())
    event = ingest([EventObj(subjects=[{"local_id": "H-2", "role": "child"}])])

    entry = AuditEntry.objects.filter(action="ingest").order_by("seq").last()
    assert entry.object_id == str(event.submission_id)
    assert len(event.touched_records) == 1  # H-2, the child the event is about
    assert entry.record_ids == sorted(event.touched_records)
    assert entry.person_ids == [
        str(current_links(first.touched_records)[entry.record_ids[0]].person)
    ]


def test_a_bulk_load_names_the_people_once_its_records_are_linked() -> None:
    with bulk_load():
        new = ingest(_two_children())
        # Not linked yet (linking waits for the end of the load): records only, so far.
        during = AuditEntry.objects.get(action="ingest", object_type="submission")
        assert (during.record_ids, during.person_ids) == (sorted(new.touched_records), [])

    at_end = AuditEntry.objects.get(action="ingest", object_type="bulk_load")
    persons = _persons_of(new)
    assert (at_end.record_ids, at_end.person_ids) == (sorted(new.touched_records), persons)
    assert at_end.detail["submissions"] == [str(new.submission_id)]
    for person in persons:
        assert [e.seq for e in audit_for_person(person_id=person)] == [at_end.seq]

    # Later loads change records already linked: their batch's entry names the people at once.
    with bulk_load():
        changed = ingest(_two_children(given="Annie", recorded="2007-01-01T00:00:00Z"))
        during = AuditEntry.objects.filter(action="ingest", object_type="submission").last()
        assert during.object_id == str(changed.submission_id)
        assert len(changed.touched_records) == 1  # only Anna's record changed
        assert during.person_ids == _persons_of(changed)
    assert audit_verify().ok


def test_auditing_an_ingest_costs_the_same_few_queries_however_big(
    django_assert_max_num_queries,
) -> None:
    from jigsaw.access.hooks import audit_ingest

    small = ingest(base_objects("H-1"))
    big = ingest(base_objects(*(f"B-{n}" for n in range(300)), code="BIG"))
    assert len(big.touched_records) == 300

    with CaptureQueriesContext(connection) as one:
        audit_ingest(small)
    with django_assert_max_num_queries(len(one.captured_queries)):
        audit_ingest(big)


def test_api_token_use_is_audited(client) -> None:
    issued = token_create(agency_code="NGH", name="hospital system")

    client.post(
        "/api/v1/batches",
        data=b"",
        content_type="application/json",
        headers={"authorization": f"Bearer {issued.secret}"},
    )

    used = AuditEntry.objects.get(action="token_used")
    assert (used.object_id, used.basis) == (issued.token.prefix, "token")


def held_read(user, n: int) -> AuditEntry:
    return audit_record(
        action=AuditEntry.Action.READ,
        user=user,
        object_type="chronology",
        object_id=f"P{n}",
        person_ids=[f"P{n}", f"Q{n}"],
        hold=True,
    )


def test_a_pages_reads_are_written_together_when_it_is_done(worker, clock) -> None:
    three_reads(worker)  # an earlier tail to chain onto
    with audit_together():
        first = held_read(worker, 1)
        clock.advance(seconds=1)
        second = held_read(worker, 2)
        # Nothing is written until the page is done...
        assert AuditEntry.objects.count() == 3
        # ...but an entry not held back (a write) goes at once, in its own place in the chain.
        write = audit_record(action=AuditEntry.Action.WRITE, user=worker, object_type="visit")
        assert write.seq == 4
    entries = list(AuditEntry.objects.filter(seq__gt=4).order_by("seq"))
    assert [(e.object_id, e.seq) for e in entries] == [("P1", 5), ("P2", 6)]
    assert entries[0].prev_hash == write.hash
    assert (entries[0].at, entries[1].at) == (first.at, second.at)  # each keeps its moment
    assert sorted(
        AuditPerson.objects.filter(entry__in=entries).values_list("entry__seq", "person_id")
    ) == [(5, "P1"), (5, "Q1"), (6, "P2"), (6, "Q2")]
    assert audit_verify().broken_seq is None


def test_held_reads_are_written_even_when_the_page_fails(worker) -> None:
    def page() -> None:
        with audit_together():
            held_read(worker, 1)
            raise RuntimeError("the page broke after reading")

    with pytest.raises(RuntimeError):
        page()
    assert list(AuditEntry.objects.values_list("object_id", flat=True)) == ["P1"]


def test_held_reads_outside_a_page_are_written_at_once(worker) -> None:
    entry = held_read(worker, 1)
    assert AuditEntry.objects.get(seq=1).hash == entry.hash
