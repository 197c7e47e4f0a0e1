"""People API: staff with a role only; search ranks the right person first; decisions through
the API. (Who sees whom is in test_need_to_know.py: here a head of service, who sees all.)"""

from __future__ import annotations

import pytest
from django.test import Client

from jigsaw.access.roles import Role
from jigsaw.access.tests.helpers import sign_in_as
from jigsaw.identity.models import Decision
from jigsaw.identity.tests.helpers import family, person_of, record_id, send

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]


@pytest.fixture
def staff(client: Client, django_user_model) -> Client:
    user = django_user_model.objects.create_user("sam.taylor", first_name="Sam",
                                                 last_name="Taylor")  # fmt: skip
    return sign_in_as(client, user, role=Role.HEAD_OF_SERVICE, team="")


@pytest.fixture
def household() -> None:
    send(*family())


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/v1/people/search?family_name=Okafor"),
        ("get", "/api/v1/people/1"),
        ("get", "/api/v1/people/1/chronology"),
        ("get", "/api/v1/review"),
        ("post", "/api/v1/review/1/decision"),
        ("post", "/api/v1/people/merge"),
        ("post", "/api/v1/decisions/1/unmerge"),
    ],
)
def test_anonymous_users_and_users_without_a_role_are_refused(
    client: Client, django_user_model, method: str, path: str
) -> None:
    assert getattr(client, method)(path).status_code == 401
    client.force_login(django_user_model.objects.create_user("not.staff", is_staff=True))
    assert getattr(client, method)(path).status_code == 401


@pytest.mark.usefixtures("household")
def test_search_ranks_the_right_person_first(staff: Client) -> None:
    response = staff.get(
        "/api/v1/people/search",
        {"given_name": "Chidi", "family_name": "Okafor", "date_of_birth": "2005-06-01"},
    )
    assert response.status_code == 200
    hits = response.json()
    assert hits[0]["person"] == person_of("GP:G1")
    assert hits[0]["band"] == "auto_link"
    assert {c["comparison"] for c in hits[0]["explanation"]} >= {"given_name", "date_of_birth"}
    assert hits[0]["weight"] > hits[1]["weight"]  # the twin is found too, but lower
    assert person_of("GP:G2") in [h["person"] for h in hits]
    partial = staff.get("/api/v1/people/search", {"family_name": "Okafor"}).json()
    assert len({h["person"] for h in partial}) == len(partial) > 1
    assert staff.get("/api/v1/people/search").json() == []


@pytest.mark.usefixtures("household")
def test_a_person_with_their_records_and_chronology(staff: Client) -> None:
    pid = person_of("GP:G1")
    body = staff.get(f"/api/v1/people/{pid}").json()
    assert sorted(r["record"] for r in body["records"]) == ["GP:G1", "SCH:S1"]
    assert {r["method"] for r in body["records"]} <= {"new", "probabilistic", "nhs_number"}
    chronology = staff.get(f"/api/v1/people/{pid}/chronology?as_of=2007-12-31").json()
    assert (chronology["person"], chronology["entries"], chronology["withheld"]) == (pid, [], 0)
    assert staff.get("/api/v1/people/999999").status_code == 404
    assert staff.get("/api/v1/people/nonsense").status_code == 404
    assert staff.get(f"/api/v1/people/{pid}?as_of=31/12/2007").status_code == 400


@pytest.mark.usefixtures("household")
def test_merge_and_unmerge_through_the_api(staff: Client) -> None:
    a, b = person_of("GP:G1"), person_of("GP:G2")
    response = staff.post(
        "/api/v1/people/merge",
        {"person_a": a, "person_b": b, "reason": "one child"},
        content_type="application/json",
    )
    assert response.status_code == 201, response.json()
    merge = response.json()
    assert (merge["kind"], merge["actor"]) == ("merge", "Sam Taylor")
    assert person_of("GP:G1") == b
    bad = staff.post("/api/v1/people/merge", {"person_a": 999999, "person_b": b, "reason": "x"},
                     content_type="application/json")  # fmt: skip
    assert (bad.status_code, bad.json()["detail"]) == (404, "there is no person 999999 open to you")
    no_reason = staff.post("/api/v1/people/merge", {"person_a": b, "person_b": a, "reason": ""},
                           content_type="application/json")  # fmt: skip
    assert no_reason.status_code == 400
    undo = staff.post(f"/api/v1/decisions/{merge['id']}/unmerge", {"reason": "twins"},
                      content_type="application/json")  # fmt: skip
    assert undo.status_code == 201
    assert person_of("GP:G1") == a
    again = staff.post(f"/api/v1/decisions/{merge['id']}/unmerge", {"reason": "twins"},
                       content_type="application/json")  # fmt: skip
    assert again.status_code == 409
    assert staff.post("/api/v1/decisions/abc/unmerge", {"reason": "x"},
                      content_type="application/json").status_code == 404  # fmt: skip


def test_review_queue_and_decision(staff: Client) -> None:
    from jigsaw.identity.tests.helpers import AGENCIES, home, person

    where = home("115 Bradley Street", "N10 4LA")
    send(*AGENCIES, person("GP", "G1", "Mia", "Stone", "1974-10-23", sex="F", **where))
    send(person("SCH", "S1", "Mai", "Stone", "1974-10-23", sex="F", **where))
    [item] = staff.get("/api/v1/review").json()
    assert {item["record_a"]["record"], item["record_b"]["record"]} == {"GP:G1", "SCH:S1"}
    response = staff.post(f"/api/v1/review/{item['id']}/decision",
                          {"same_person": True, "reason": "same mother, typo"},
                          content_type="application/json")  # fmt: skip
    assert response.status_code == 201
    assert person_of("SCH:S1") == person_of("GP:G1")
    assert staff.get("/api/v1/review").json() == []
    assert Decision.objects.get().review_item_id == item["id"]
    again = staff.post(f"/api/v1/review/{item['id']}/decision",
                       {"same_person": False, "reason": "x"},
                       content_type="application/json")  # fmt: skip
    assert again.status_code == 409
    assert record_id("GP:G1")
