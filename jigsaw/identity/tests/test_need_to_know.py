"""Need-to-know in identity: who may open, search, review and decide about whom, and the audit
trail every read, search, refusal and decision leaves (the population is access/tests/world.py:
`sw_a` holds Peter, `sw_b` Anna, the hospital knows Peter, Tracey and Liam, the MASH has Maya)."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client

from jigsaw.access.models import AuditEntry
from jigsaw.access.need_to_know import CLI_USERNAME, NoAccess
from jigsaw.access.services import break_glass_open
from jigsaw.access.tests.helpers import sign_in_as
from jigsaw.core.clock import clock
from jigsaw.identity.matching import Query
from jigsaw.identity.models import Decision, Link, Person, ReviewItem
from jigsaw.identity.selectors import (
    household_of,
    person_chronology,
    person_detail,
    person_search,
    record_get,
    record_person,
    review_queue,
    review_queue_size,
)
from jigsaw.identity.services import Actor, person_merge, person_unmerge
from jigsaw.records.models import PersonRecord
from jigsaw.records.selectors import RecordNotFound

pytestmark = pytest.mark.django_db

EVERYONE = {"peter", "tracey", "steven", "anna", "liam", "maya"}
SEES = {
    "sw_a": {"peter", "tracey", "steven"},
    "sw_b": {"anna"},
    "tm_a": {"peter", "tracey", "steven"},
    "hos": EVERYONE,
    "director": EVERYONE,
    "inspector": EVERYONE,
    "mash": {"maya"},
    "nmuh": {"peter", "tracey", "liam"},
    "school": {"anna", "maya"},
    "analyst": set(),
    "sysadmin": set(),
}
MISSING = 999999


def as_(world: Any, key: str) -> Client:
    return sign_in_as(Client(), world.user(key))


def post(client: Client, path: str, body: dict[str, Any]) -> Any:
    return client.post(path, body, content_type="application/json")


def entries(action: str, **fields: Any) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action=action, **fields).order_by("seq"))


def written() -> tuple[int, ...]:
    """Row counts of everything a linkage decision writes."""
    return (Decision.objects.count(), Link.objects.count(), Person.objects.count())


def refs(record_ids: list[int]) -> set[str]:
    return {
        f"{code}:{local}"
        for code, local in PersonRecord.objects.filter(pk__in=record_ids).values_list(
            "agency__code", "local_id"
        )
    }


def item(world: Any, a: str, b: str) -> ReviewItem:
    return ReviewItem.objects.create(
        record_a_id=world.records[a],
        record_b_id=world.records[b],
        weight=5.0,
        probability=0.9,
        explanation=[],
        raised_at=clock.now(),
    )


# --- opening a person ------------------------------------------------------------------------


@pytest.mark.parametrize("user_key", sorted(SEES))
def test_a_person_opens_only_to_those_who_need_to_know(world, user_key):
    client = as_(world, user_key)
    for key, pid in world.people.items():
        expected = 200 if key in SEES[user_key] else 404
        assert client.get(f"/api/v1/people/{pid}").status_code == expected, key
        assert client.get(f"/api/v1/people/{pid}/chronology").status_code == expected, key


def test_a_hidden_person_looks_exactly_like_one_that_does_not_exist(world):
    client = as_(world, "sw_b")
    liam = world.people["liam"]
    for suffix in ("", "/chronology"):
        hidden = client.get(f"/api/v1/people/{liam}{suffix}")
        missing = client.get(f"/api/v1/people/{MISSING}{suffix}")
        assert hidden.status_code == missing.status_code == 404
        assert hidden.json() == {"detail": f"there is no person {liam} open to you"}
        assert missing.json() == {"detail": f"there is no person {MISSING} open to you"}
    refused = entries(AuditEntry.Action.REFUSED, user_id=world.user("sw_b").pk)
    assert [e.object_id for e in refused] == [str(liam), str(MISSING)] * 2
    assert entries(AuditEntry.Action.READ) == []


def test_enumerating_ids_reveals_nothing_and_every_guess_is_audited(world):
    client = as_(world, "sw_b")
    top = max(world.people.values()) + 3
    bodies = {}
    for pid in range(1, top + 1):
        response = client.get(f"/api/v1/people/{pid}")
        if pid != world.people["anna"]:
            assert response.status_code == 404
            bodies[pid] = response.json()["detail"].replace(str(pid), "N")
    assert set(bodies.values()) == {"there is no person N open to you"}
    refused = entries(AuditEntry.Action.REFUSED, user_id=world.user("sw_b").pk)
    assert sorted(int(e.object_id) for e in refused) == sorted(bodies)
    assert client.get("/api/v1/people/nonsense").json() == {
        "detail": "there is no person nonsense open to you"
    }
    assert client.get(f"/api/v1/people/{2**70}").status_code == 404


def test_each_read_is_audited_once_with_the_records_and_the_basis(world):
    client = as_(world, "sw_a")
    peter = world.people["peter"]
    before = AuditEntry.objects.count()
    assert client.get(f"/api/v1/people/{peter}").status_code == 200
    assert AuditEntry.objects.count() == before + 1
    [read] = entries(AuditEntry.Action.READ)
    assert (read.object_type, read.object_id, read.person_ids, read.basis, read.username) == (
        "person",
        str(peter),
        [str(peter)],
        "allocation",
        "sw.a",
    )
    assert refs(read.record_ids) == {"CSC:C1", "NMUH:H1", "MPS:P2"}
    assert read.role == "social_worker"

    client.get(f"/api/v1/people/{world.people['steven']}/chronology")
    assert AuditEntry.objects.count() == before + 2
    chronology = entries(AuditEntry.Action.READ)[-1]
    assert (chronology.object_type, chronology.basis) == ("chronology", "connected")
    assert refs(chronology.record_ids) == {"MPS:P1"}


def test_agency_staff_see_their_own_agency_s_records_only(world):
    body = as_(world, "nmuh").get(f"/api/v1/people/{world.people['peter']}").json()
    assert [r["record"] for r in body["records"]] == ["NMUH:H1"]
    assert body["name"] == "Peter Smith"
    [read] = entries(AuditEntry.Action.READ)
    assert (read.basis, refs(read.record_ids)) == ("involvement", {"NMUH:H1"})


@pytest.mark.parametrize(
    ("user_key", "person", "events", "withheld"),
    [
        ("nmuh", "peter", ["AE-1"], 1),  # the police incident is the police's
        ("nmuh", "tracey", ["AE-1"], 1),  # her sexual-health contact is restricted
        ("sw_a", "tracey", ["AE-1"], 1),  # restricted from social workers too
        ("tm_a", "tracey", ["AE-1", "SH-1"], 0),  # managers see restricted categories
        ("sw_a", "peter", ["AE-1", "INC-1"], 0),
    ],
)
def test_the_chronology_shows_what_the_access_allows_and_says_how_much_is_withheld(
    world, user_key, person, events, withheld
):
    body = as_(world, user_key).get(f"/api/v1/people/{world.people[person]}/chronology").json()
    assert [e["event_id"] for e in body["entries"]] == events
    assert body["withheld"] == withheld
    [read] = entries(AuditEntry.Action.READ)
    assert (read.detail["entries"], read.detail["withheld"]) == (len(events), withheld)


def test_break_glass_opens_the_person_and_the_audit_carries_the_reason(world):
    user = world.user("sw_b")
    liam = world.people["liam"]
    client = as_(world, "sw_b")
    assert client.get(f"/api/v1/people/{liam}").status_code == 404
    break_glass_open(user=user, person_id=str(liam), reason="Hospital called out of hours")
    assert client.get(f"/api/v1/people/{liam}").status_code == 200
    [read] = entries(AuditEntry.Action.READ)
    assert (read.basis, read.reason) == ("break_glass", "Hospital called out of hours")


def test_the_command_line_sees_everything_and_is_audited_as_such(world):
    pid = world.people["tracey"]
    chronology = person_chronology(person_id=pid, user=None)
    assert ([e.event_id for e in chronology.entries], chronology.withheld) == (["AE-1", "SH-1"], 0)
    assert len(person_detail(person_id=pid, user=None).records) == 2
    reads = entries(AuditEntry.Action.READ)
    assert {(e.username, e.basis) for e in reads} == {(CLI_USERNAME, "operator")}


def test_household_is_open_to_those_who_may_see_the_person_and_audits_its_members(world):
    peter = world.person("peter")
    with pytest.raises(NoAccess):
        household_of(person=peter, user=world.user("sw_b"))
    household = household_of(person=peter, user=world.user("sw_a"))
    [read] = entries(AuditEntry.Action.READ)
    assert read.object_type == "household"
    assert read.basis == "allocation"
    members = {str(m.person_id) for m in household.members if m.person_id is not None}
    assert members
    assert set(read.person_ids) == {str(peter.pk), *members}


def test_records_are_found_only_through_a_person_the_user_may_see(world):
    nmuh, sw_b = world.user("nmuh"), world.user("sw_b")
    own = record_get(agency="NMUH", local_id="H1", user=nmuh)
    assert record_person(record=own, user=nmuh) == world.people["peter"]
    with pytest.raises(NoAccess) as other_agency:
        record_get(agency="MPS", local_id="P2", user=nmuh)  # Peter's, but the police's record
    assert str(other_agency.value) == "no person record 'P2' from agency 'MPS' open to you"
    with pytest.raises(NoAccess) as hidden:
        record_get(agency="NMUH", local_id="H3", user=sw_b)
    with pytest.raises(RecordNotFound) as missing:
        record_get(agency="NMUH", local_id="H99", user=sw_b)
    assert str(hidden.value).replace("H3", "X") == str(missing.value).replace("H99", "X")
    with pytest.raises(NoAccess):
        record_person(record=own, user=sw_b)
    assert len(entries(AuditEntry.Action.REFUSED)) == 4


# --- searching -------------------------------------------------------------------------------


@pytest.mark.parametrize("user_key", ["analyst", "sysadmin"])
def test_roles_without_case_content_may_not_search(world, user_key):
    response = as_(world, user_key).get("/api/v1/people/search", {"family_name": "Brown"})
    assert response.status_code == 403
    [refused] = entries(AuditEntry.Action.REFUSED)
    assert (refused.object_type, refused.detail["why"]) == (
        "person_search",
        "role may not search for people",
    )
    assert entries(AuditEntry.Action.SEARCH) == []


@pytest.mark.parametrize("user_key", ["sw_b", "tm_a", "hos", "director", "mash", "inspector"])
def test_the_front_door_casework_and_inspectors_search_everyone(world, user_key):
    hits = as_(world, user_key).get(
        "/api/v1/people/search", {"given_name": "Liam", "family_name": "Brown"}
    )
    assert hits.status_code == 200
    assert hits.json()[0]["person"] == world.people["liam"]
    assert set(hits.json()[0]) == {
        "person", "matched_record", "weight", "probability", "band", "explanation"
    }  # fmt: skip
    [search] = entries(AuditEntry.Action.SEARCH)
    assert search.detail["query"] == {"given_name": "Liam", "family_name": "Brown"}
    assert str(world.people["liam"]) in search.person_ids
    assert search.basis == "search"
    assert refs(search.record_ids) >= {"NMUH:H3"}


def test_agency_staff_search_only_among_people_their_agency_knows(world):
    client = as_(world, "nmuh")
    smiths = client.get("/api/v1/people/search", {"family_name": "Smith"}).json()
    assert {h["person"] for h in smiths} == {world.people["peter"], world.people["tracey"]}
    assert {h["matched_record"] for h in smiths} == {"NMUH:H1", "NMUH:H2"}
    assert client.get("/api/v1/people/search", {"family_name": "Jones"}).json() == []
    assert as_(world, "school").get("/api/v1/people/search", {"family_name": "Smith"}).json() == []
    searches = entries(AuditEntry.Action.SEARCH)
    assert [len(s.person_ids) for s in searches] == [2, 0, 0]
    assert {s.basis for s in searches} == {"involvement"}


def test_a_search_from_the_command_line_is_audited_too(world):
    hits = person_search(query=Query(family_name="Patel"), user=None)
    assert [h.person_id for h in hits] == [world.people["maya"]]
    [search] = entries(AuditEntry.Action.SEARCH)
    assert (search.username, search.basis, search.person_ids) == (
        CLI_USERNAME,
        "operator",
        [str(world.people["maya"])],
    )


# --- the review queue and decisions ----------------------------------------------------------


def queue_ids(client: Client) -> set[int]:
    return {i["id"] for i in client.get("/api/v1/review").json()}


def test_the_review_queue_shows_items_whose_persons_the_user_may_decide_about(world):
    peter_steven = item(world, "CSC:C1", "MPS:P1").pk
    liam_anna = item(world, "NMUH:H3", "SCH:S1").pk
    ours = {peter_steven, liam_anna}
    assert queue_ids(as_(world, "sw_a")) & ours == {peter_steven}
    assert queue_ids(as_(world, "sw_b")) & ours == set()  # Anna, but not Liam
    assert queue_ids(as_(world, "hos")) & ours == ours
    assert queue_ids(as_(world, "mash")) & ours == set()
    for key in ("director", "inspector", "nmuh", "nmuh_lead", "analyst", "sysadmin"):
        assert as_(world, key).get("/api/v1/review").status_code == 403, key
    read = entries(AuditEntry.Action.READ, user_id=world.user("sw_a").pk)[-1]
    assert read.object_type == "review_queue"
    assert peter_steven in read.detail["items"]
    assert {str(world.people["peter"]), str(world.people["steven"])} <= set(read.person_ids)


def test_the_review_queue_says_its_whole_size_however_few_it_shows(world):
    shown = [item(world, "CSC:C1", "MPS:P1"), item(world, "NMUH:H3", "SCH:S1")]
    hos = world.user("hos")
    assert [v.item_id for v in review_queue(user=hos, limit=1)] == [shown[0].pk]
    assert review_queue_size(user=hos) == len(review_queue(user=hos)) == 2
    assert review_queue_size(user=world.user("sw_a")) == 1  # only Peter and Steven's pair
    with pytest.raises(PermissionDenied):
        review_queue_size(user=world.user("inspector"))


def test_a_decision_on_an_item_the_user_may_not_see_is_refused_and_writes_nothing(world):
    liam_anna = item(world, "NMUH:H3", "SCH:S1").pk
    client = as_(world, "sw_b")
    before = written()
    body = {"same_person": False, "reason": "different children"}
    hidden = post(client, f"/api/v1/review/{liam_anna}/decision", body)
    missing = post(client, f"/api/v1/review/{MISSING}/decision", body)
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json()["detail"].replace(str(liam_anna), "N") == missing.json()["detail"].replace(
        str(MISSING), "N"
    )
    assert written() == before
    assert len(entries(AuditEntry.Action.REFUSED, user_id=world.user("sw_b").pk)) == 2
    for key in ("inspector", "nmuh_lead"):
        assert (
            post(as_(world, key), f"/api/v1/review/{liam_anna}/decision", body).status_code == 403
        )
    assert written() == before
    assert entries(AuditEntry.Action.WRITE, object_type="decision") == []


def test_a_decision_the_user_may_make_is_written_and_audited(world):
    peter_steven = item(world, "CSC:C1", "MPS:P1").pk
    response = post(as_(world, "sw_a"), f"/api/v1/review/{peter_steven}/decision",
                    {"same_person": False, "reason": "father and child"})  # fmt: skip
    assert response.status_code == 201, response.json()
    [write] = entries(AuditEntry.Action.WRITE, object_type="decision")
    assert (write.object_type, write.object_id, write.username) == (
        "decision",
        str(response.json()["id"]),
        "sw.a",
    )
    assert set(write.person_ids) == {str(world.people["peter"]), str(world.people["steven"])}
    assert write.basis == "mixed"
    assert set(write.detail["bases"]) == {"allocation", "connected"}
    assert (write.detail["kind"], write.detail["review_item"]) == ("reject", peter_steven)
    assert refs(write.record_ids) == {"CSC:C1", "MPS:P1"}


def test_merge_of_a_person_the_user_may_not_see_is_refused_and_writes_nothing(world):
    peter, liam = world.people["peter"], world.people["liam"]
    client = as_(world, "sw_a")
    before = written()
    hidden = post(client, "/api/v1/people/merge",
                  {"person_a": liam, "person_b": peter, "reason": "same child"})  # fmt: skip
    missing = post(client, "/api/v1/people/merge",
                   {"person_a": MISSING, "person_b": peter, "reason": "same child"})  # fmt: skip
    assert (hidden.status_code, hidden.json()["detail"]) == (
        404,
        f"there is no person {liam} open to you",
    )
    assert (missing.status_code, missing.json()["detail"]) == (
        404,
        f"there is no person {MISSING} open to you",
    )
    assert written() == before
    refused = entries(AuditEntry.Action.REFUSED, user_id=world.user("sw_a").pk)
    assert [e.object_id for e in refused] == [str(liam), str(MISSING)]


@pytest.mark.parametrize("user_key", ["inspector", "director", "nmuh", "nmuh_lead", "analyst"])
def test_roles_that_do_not_decide_linkage_may_not_merge(world, user_key):
    before = written()
    response = post(as_(world, user_key), "/api/v1/people/merge",
                    {"person_a": world.people["liam"], "person_b": world.people["peter"],
                     "reason": "same child"})  # fmt: skip
    assert response.status_code == 403
    assert written() == before
    [refused] = entries(AuditEntry.Action.REFUSED)
    assert refused.detail["why"] == "role may not make linkage decisions"


def test_merge_and_unmerge_need_every_person_the_merge_touched(world):
    anna, liam = world.people["anna"], world.people["liam"]
    hos, sw_b = as_(world, "hos"), as_(world, "sw_b")
    merged = post(hos, "/api/v1/people/merge",
                  {"person_a": liam, "person_b": anna, "reason": "one child"})  # fmt: skip
    assert merged.status_code == 201, merged.json()
    merge = merged.json()["id"]
    [write] = entries(AuditEntry.Action.WRITE, object_type="decision")
    assert (write.object_id, write.basis, write.detail["kind"]) == (str(merge), "service", "merge")
    assert set(write.person_ids) == {str(anna), str(liam)}
    assert refs(write.record_ids) == {"CSC:C3", "SCH:S1", "NMUH:H3"}

    # Peter's worker cannot see Anna, so cannot see (or undo) what was merged into her.
    sw_a = as_(world, "sw_a")
    before = written()
    hidden = post(sw_a, f"/api/v1/decisions/{merge}/unmerge", {"reason": "not the same"})
    missing = post(sw_a, f"/api/v1/decisions/{MISSING}/unmerge", {"reason": "not the same"})
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json()["detail"].replace(str(merge), "N") == missing.json()["detail"].replace(
        str(MISSING), "N"
    )
    assert post(as_(world, "inspector"), f"/api/v1/decisions/{merge}/unmerge",
                {"reason": "x"}).status_code == 403  # fmt: skip
    assert written() == before

    # Anna's worker sees the hospital's record of Liam in Anna's chronology, every record the
    # merge moved: she may undo it, though Liam himself is not hers to see.
    undone = post(sw_b, f"/api/v1/decisions/{merge}/unmerge", {"reason": "not the same"})
    assert undone.status_code == 201, undone.json()
    unmerge = entries(AuditEntry.Action.WRITE, object_type="decision")[-1]
    assert (unmerge.detail["kind"], unmerge.detail["undoes"]) == ("unmerge", merge)
    assert unmerge.username == "sw.b"


def test_the_services_refuse_whoever_calls_them(world):
    """A write cannot get round need-to-know by not coming through the API."""
    sw_b = world.user("sw_b")
    before = written()
    with pytest.raises(NoAccess):
        person_merge(person_a=world.person("liam"), person_b=world.person("anna"),
                     actor=Actor.of(sw_b), reason="same")  # fmt: skip
    merge = person_merge(person_a=world.person("liam"), person_b=world.person("anna"),
                         actor=Actor(name="operator"), reason="same")  # fmt: skip
    after_merge = written()
    with pytest.raises(NoAccess):
        person_unmerge(decision=merge, actor=Actor.of(world.user("sw_a")), reason="no")
    assert written() == after_merge != before
    assert [e.action for e in AuditEntry.objects.order_by("seq")][-3:] == [
        AuditEntry.Action.REFUSED,
        AuditEntry.Action.WRITE,
        AuditEntry.Action.REFUSED,
    ]
