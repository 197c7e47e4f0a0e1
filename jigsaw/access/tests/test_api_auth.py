"""Staff on the API with their session: refused until a one-time password is changed, and as
soon as an account stops working (an inspector's end date)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client

from jigsaw.access.api_auth import MUST_CHANGE_PASSWORD
from jigsaw.access.models import AuditEntry
from jigsaw.access.roles import Role
from jigsaw.access.services import password_change, user_create
from jigsaw.access.tests.helpers import sign_in_as, staff

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]

FLAGS = "/api/v1/flags"
SEARCH = "/api/v1/people/search?family_name=Smith"


def test_a_session_on_a_one_time_password_may_not_use_the_api(client: Client) -> None:
    account = user_create(username="new.starter", role=Role.SOCIAL_WORKER, team="Team B")
    assert account.user.staff_profile.must_change_password
    sign_in_as(client, account.user)

    for path in (FLAGS, SEARCH):
        response = client.get(path)
        assert response.status_code == 403, path
        assert response.json() == {"detail": MUST_CHANGE_PASSWORD}
    # A change is refused the same way, before anything about the flag is looked at.
    assert client.post(f"{FLAGS}/1/acknowledge", {}, "application/json").status_code == 403
    refused = AuditEntry.objects.filter(action="refused", object_type="api").order_by("seq")
    assert list(refused.values_list("username", "object_id")) == [
        ("new.starter", FLAGS),
        ("new.starter", "/api/v1/people/search"),
        ("new.starter", f"{FLAGS}/1/acknowledge"),
    ]

    password_change(user=account.user, new_password="plum kettle orbit lantern")
    sign_in_as(client, account.user)  # changing the password ends other sessions

    assert client.get(FLAGS).status_code == 200


def test_an_inspector_is_refused_by_the_api_once_the_account_has_ended(
    client: Client, clock
) -> None:
    inspector = staff(
        "ofsted.inspector",
        role=Role.INSPECTOR,
        team="",
        expires_at=clock.now() + timedelta(hours=1),
    )
    sign_in_as(client, inspector)
    assert client.get(FLAGS).status_code == 200

    clock.advance(hours=2)

    response = client.get(FLAGS)
    assert response.status_code == 401
    assert "_auth_user_id" not in client.session  # the session itself has ended
    ended = AuditEntry.objects.filter(action="session_ended").get()
    assert (ended.username, ended.reason) == (
        "ofsted.inspector",
        "Your account can no longer be used",
    )
    assert client.get(SEARCH).status_code == 401
