"""The staff accounts page: system administrators only, accounts and never case content."""

from __future__ import annotations

import pytest
from django.test import Client

from jigsaw.access.models import AuditEntry, StaffProfile
from jigsaw.access.tests.pages import client_for, error_summary, page_text
from jigsaw.access.tests.world import PEOPLE, STAFF

pytestmark = pytest.mark.django_db

EVERYONE = [key for key, *_ in STAFF]


@pytest.mark.parametrize("key", EVERYONE)
def test_the_staff_page_is_for_system_administrators_only(world, key: str) -> None:
    client = client_for(world.user(key))

    assert client.get("/staff").status_code == (200 if key == "sysadmin" else 403)
    assert client.get("/staff/sw.a/disable").status_code == (200 if key == "sysadmin" else 403)


@pytest.mark.parametrize("key", [k for k in EVERYONE if k != "sysadmin"])
def test_no_other_role_can_disable_an_account(world, key: str) -> None:
    response = client_for(world.user(key)).post("/staff/sw.a2/disable")

    assert response.status_code == 403
    assert StaffProfile.objects.get(user__username="sw.a2").disabled_at is None


def test_the_staff_page_lists_accounts_and_no_case_content(world) -> None:
    response = client_for(world.user("sysadmin")).get("/staff")

    text = page_text(response)
    assert f"{len(STAFF)} accounts" in text
    for column in ("Username", "Name", "Role", "Team", "Agency", "Account ends", "Status",
                   "Last signed in"):  # fmt: skip
        assert f'<th scope="col" class="govuk-table__header">{column}</th>' in (
            response.content.decode()
        )
    assert "sw.a Social worker Team A" in text
    assert "nmuh Agency practitioner NMUH" in text
    assert "inspector Inspector 14 February 2008 Active" in text
    assert "Disable sw.a" in text
    assert "Disable sysadmin" not in text  # not their own
    for _key, given, family, dob, _sex, nhs, _refs in PEOPLE:
        for value in (given, family, dob, nhs):
            assert value not in text
    entry = AuditEntry.objects.get(object_type="staff_accounts")
    assert (entry.username, entry.action, entry.detail) == (
        "sysadmin",
        "read",
        {"rows": len(STAFF)},
    )


def test_disabling_asks_first_then_disables_and_audits(world) -> None:
    admin = client_for(world.user("sysadmin"))
    worker = client_for(world.user("sw_a"))
    assert worker.get("/").status_code == 200

    confirm = admin.get("/staff/sw.a/disable")

    assert "Disable sw.a's account?" in page_text(confirm)
    assert 'action="/staff/sw.a/disable"' in confirm.content.decode()
    assert StaffProfile.objects.get(user__username="sw.a").disabled_at is None

    response = admin.post("/staff/sw.a/disable")

    assert (response.status_code, response["Location"]) == (302, "/staff")
    profile = StaffProfile.objects.select_related("user").get(user__username="sw.a")
    assert profile.disabled_at is not None
    assert not profile.user.is_active
    entry = AuditEntry.objects.filter(action="account").latest("seq")
    assert (entry.username, entry.object_id, entry.detail) == (
        "sysadmin",
        "sw.a",
        {"change": "disabled"},
    )
    listing = page_text(admin.get("/staff"))
    assert "sw.a's account has been disabled" in listing
    assert "Disabled 15 January 2008" in listing
    assert "Disable sw.a " not in listing
    # The disabled account's own session ends at once.
    assert worker.get("/").status_code == 302


def test_an_administrator_cannot_disable_their_own_account(world) -> None:
    admin = client_for(world.user("sysadmin"))

    for response in (admin.get("/staff/sysadmin/disable"), admin.post("/staff/sysadmin/disable")):
        assert response.status_code == 400
        assert error_summary(response) == [("#confirm", "You cannot disable your own account")]
        assert "Disable account" not in page_text(response)
    assert StaffProfile.objects.get(user__username="sysadmin").disabled_at is None


def test_an_unknown_account_is_not_found(world) -> None:
    admin = client_for(world.user("sysadmin"))

    assert admin.get("/staff/nobody/disable").status_code == 404
    assert admin.post("/staff/nobody/disable").status_code == 404


def test_disabling_twice_says_so(world) -> None:
    admin = client_for(world.user("sysadmin"))
    admin.post("/staff/sw.b/disable")

    response = admin.post("/staff/sw.b/disable")

    assert response.status_code == 302
    assert "sw.b's account is already disabled" in page_text(admin.get("/staff"))
    assert AuditEntry.objects.filter(action="account", object_id="sw.b").count() == 1


def test_a_stranger_is_sent_to_sign_in() -> None:
    response = Client().get("/staff")

    assert response.status_code == 302
    assert response["Location"] == "/sign-in?next=/staff"
