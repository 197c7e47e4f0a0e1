"""People API: staff with a role only; search ranks the right person first; decisions through
the API. (Who sees whom is in test_need_to_know.py: here a head of service, who sees all.)"""

from __future__ import annotations

import pytest
from django.test import Client

from jigsaw.access.roles import Role
from jigsaw.access.tests.helpers import sign_in_as
from jigsaw.identity.models import Decision
from jigsaw.identity.tests.helpers import family, home, person, person_of, record_id, send

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


@pytest.fixture
def smiths() -> None:
    """The Okafor household, and others whose names begin alike, in E8 and elsewhere."""
    send(
        *family(),
        person("GP", "K1", "Katherine", "Smith", "2004-03-09", sex="F",
               **home("5 Mill Lane", "E8 1AA")),
        person("SCH", "K2", "Kathleen", "Smithers", "2004-11-20", sex="F",
               **home("9 Dalston Lane", "E8 3DE")),
        person("POL", "K3", "Kate", "Smith", "1979-07-01", sex="F",
               **home("2 Essex Road", "N1 2SN")),
        person("GP", "K4", "Catherine", "Smyth", "2004-03-09", sex="F",
               **home("1 High Road", "N17 9AA")),
    )  # fmt: skip


def _found(staff: Client, **query: str) -> list[int]:
    response = staff.get("/api/v1/people/search", query)
    assert response.status_code == 200, response.content
    return [hit["person"] for hit in response.json()]


@pytest.mark.usefixtures("smiths")
def test_search_takes_names_begun_an_outward_postcode_and_a_year(staff: Client) -> None:
    katherine, kathleen, kate = person_of("GP:K1"), person_of("SCH:K2"), person_of("POL:K3")
    # The first letters of both names: everyone whose names begin so, and no one else.
    begun = _found(staff, given_name="Kath", family_name="Smi")
    assert set(begun) == {katherine, kathleen}
    hit = staff.get("/api/v1/people/search", {"given_name": "Kath", "family_name": "Smi"})
    levels = {c["comparison"]: c["level"] for c in hit.json()[0]["explanation"]}
    assert levels["family_name"] == "begins with what was asked"
    # An outward code: the people there.
    assert set(_found(staff, postcode="E8")) == {katherine, kathleen}
    assert set(_found(staff, postcode="e8", family_name="Smith")) >= {katherine}
    # A year of birth with a name: born that year first.
    by_year = _found(staff, family_name="Smith", year_of_birth="2004")
    assert by_year[0] == katherine
    assert kate in by_year  # another year ranks lower, but is not hidden
    assert by_year.index(kate) > by_year.index(katherine)
    # A given name alone, ranked and limited.
    alone = _found(staff, given_name="Chidi")
    assert alone[0] == person_of("GP:G1")
    assert len(_found(staff, given_name="Ka", limit="2")) == 2
    assert _found(staff, given_name="Zebedee") == []


@pytest.mark.usefixtures("smiths")
def test_a_year_of_birth_must_be_a_possible_one(staff: Client) -> None:
    response = staff.get("/api/v1/people/search", {"year_of_birth": "1800"})
    assert response.status_code == 422
    assert "year_of_birth" in response.content.decode()


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
