"""Flags API: signed-in staff with a role; acknowledge and close through it; a close needs a
reason. Who sees which flags is in test_need_to_know.py."""

from __future__ import annotations

import pytest
from django.test import Client

from jigsaw.access.roles import Role
from jigsaw.access.tests.helpers import sign_in_as
from jigsaw.risk.tests.helpers import AGENCIES, bruise, child, send, stored, utc

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(client: Client, django_user_model) -> Client:
    # A head of service: every child, and may act on them (the child here is not allocated).
    user = django_user_model.objects.create_user("sam.taylor", first_name="Sam", last_name="Taylor")
    return sign_in_as(client, user, role=Role.HEAD_OF_SERVICE, team="")


@pytest.fixture
def raised(clock) -> int:
    clock.set(utc("2008-01-15T12:00:00"))
    send(*AGENCIES, child(), bruise("A1", "2008-01-15T10:00:00Z", "2008-01-15T10:30:00Z"))
    return stored("injury-non-mobile").pk


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/v1/flags"),
        ("get", "/api/v1/flags/1"),
        ("post", "/api/v1/flags/1/acknowledge"),
        ("post", "/api/v1/flags/1/action"),
        ("post", "/api/v1/flags/1/close"),
    ],
)
def test_anonymous_users_and_accounts_without_a_role_are_refused(
    client: Client, django_user_model, method: str, path: str
) -> None:
    assert getattr(client, method)(path).status_code == 401
    # Django's is_staff is not a role: without a staff profile there is no way in.
    client.force_login(django_user_model.objects.create_user("not.staff", is_staff=True))
    assert getattr(client, method)(path).status_code in (401, 403)


def test_list_filter_acknowledge_and_close(staff: Client, raised: int) -> None:
    listed = staff.get("/api/v1/flags", {"severity": "immediate", "state": "open"}).json()
    assert raised in [f["id"] for f in listed]
    assert staff.get("/api/v1/flags", {"rule": "drift"}).json() == []
    one = staff.get(f"/api/v1/flags/{raised}").json()
    assert one["rule"] == "injury-non-mobile"
    assert one["child"]["records"]
    acked = staff.post(f"/api/v1/flags/{raised}/acknowledge", {}, content_type="application/json")
    assert acked.status_code == 200
    assert acked.json()["state"] == "acknowledged"
    assert acked.json()["actions"][0]["actor"] == "Sam Taylor"
    done = staff.post(f"/api/v1/flags/{raised}/action", {"text": "Paediatrician booked."},
                      content_type="application/json")  # fmt: skip
    assert done.status_code == 200
    no_reason = staff.post(f"/api/v1/flags/{raised}/close", {"text": "Seen."},
                           content_type="application/json")  # fmt: skip
    assert no_reason.status_code == 422
    bad_reason = staff.post(f"/api/v1/flags/{raised}/close", {"reason": "bored", "text": "x"},
                            content_type="application/json")  # fmt: skip
    assert bad_reason.status_code == 422
    no_text = staff.post(f"/api/v1/flags/{raised}/close", {"reason": "action_taken", "text": ""},
                         content_type="application/json")  # fmt: skip
    assert no_text.status_code == 422
    closed = staff.post(f"/api/v1/flags/{raised}/close",
                        {"reason": "action_taken", "text": "Seen by a paediatrician."},
                        content_type="application/json")  # fmt: skip
    assert closed.status_code == 200
    assert closed.json()["state"] == "closed"
    assert staff.get("/api/v1/flags/999999").status_code == 404
