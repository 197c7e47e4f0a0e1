"""Staff accounts from the command line, and the password policy."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client, override_settings
from django_otp.plugins.otp_totp.models import TOTPDevice

from jigsaw.access.models import AuditEntry, StaffProfile, Team
from jigsaw.access.services import account_locked
from jigsaw.access.tests.helpers import current_code, staff

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]


def test_user_add_prints_a_one_time_password_and_the_two_factor_secret(jigsaw_cli) -> None:
    code, out, err = jigsaw_cli(
        "user", "add", "amy.jones", "--role", "team_manager", "--team", "Northfield Team A"
    )

    assert (code, err) == (0, "")
    password = re.search(r"one-time password \(to be changed at first sign-in\): (\S+)", out)[1]
    uri = re.search(r"otpauth://totp/Jigsaw%3Aamy.jones\?secret=([A-Z2-7]+)\S*", out)
    assert uri is not None
    profile = StaffProfile.objects.select_related("user", "team").get(user__username="amy.jones")
    assert profile.user.check_password(password)
    assert profile.must_change_password
    assert profile.team.manager == profile.user  # a team's first manager manages it
    device = TOTPDevice.objects.get(user=profile.user)
    assert device.confirmed
    assert uri[1] in device.config_url
    assert AuditEntry.objects.get().detail["change"] == "created"


@pytest.mark.parametrize(
    ("args", "problem"),
    [
        (["--role", "social_worker"], "a social_worker needs a team (--team)"),
        (["--role", "agency_practitioner", "--sector", "health"], "needs an agency (--agency)"),
        (["--role", "agency_practitioner", "--agency", "NGH"], "needs a sector"),
        (["--role", "inspector"], "needs an end date (--expires)"),
        (["--role", "inspector", "--expires", "2001-01-01"], "the end date has passed"),
        (["--role", "inspector", "--expires", "31/03/2008"], "is not a date like"),
    ],
)
def test_user_add_refuses_what_a_role_lacks(jigsaw_cli, args: list[str], problem: str) -> None:
    code, _, err = jigsaw_cli("user", "add", "someone", *args)

    assert code == 1
    assert problem in err
    assert not StaffProfile.objects.exists()


def test_an_inspector_account_lasts_to_the_end_of_its_day(jigsaw_cli) -> None:
    code, _, _ = jigsaw_cli("user", "add", "insp", "--role", "inspector", "--expires", "2008-03-31")

    assert code == 0
    expires = StaffProfile.objects.get().expires_at
    assert expires.isoformat() == "2008-03-31T22:59:59.999999+00:00"  # midnight, UK summer time


def test_user_list_disable_and_unlock(jigsaw_cli) -> None:
    staff("sam.taylor")
    staff("priya.shah", role="team_manager")

    code, out, _ = jigsaw_cli("user", "list")
    assert code == 0
    assert re.search(r"priya.shah\s+team_manager\s+Northfield Team A\s+-\s+active", out)

    assert jigsaw_cli("user", "disable", "sam.taylor")[0] == 0
    out = jigsaw_cli("user", "list")[1]
    assert re.search(r"sam.taylor\s+social_worker.*disabled/expired", out)

    client = Client()
    for _ in range(5):
        client.post("/sign-in", {"username": "priya.shah", "password": "wrong-password-here"})
    assert account_locked(username="priya.shah")
    code, out, _ = jigsaw_cli("user", "unlock", "priya.shah")
    assert code == 0
    assert "unlocked priya.shah" in out
    assert not account_locked(username="priya.shah")

    assert jigsaw_cli("user", "disable", "nobody")[2].strip().endswith("no staff account 'nobody'")


def test_user_code_prints_a_demo_accounts_code_only(jigsaw_cli) -> None:
    worker = staff("sam.taylor")
    demo = staff("social.worker", is_demo=True)

    code, out, _ = jigsaw_cli("user", "code", "social.worker")
    assert code == 0
    assert out.strip() == current_code(demo)

    code, _, err = jigsaw_cli("user", "code", "sam.taylor")
    assert code == 1
    assert "not a demo account" in err
    with override_settings(DEBUG=True):
        assert jigsaw_cli("user", "code", "sam.taylor")[1].strip() == current_code(worker)


def test_teams_are_made_when_first_named(jigsaw_cli) -> None:
    jigsaw_cli("user", "add", "a.worker", "--role", "mash_practitioner", "--team", "MASH")
    jigsaw_cli("user", "add", "b.worker", "--role", "mash_practitioner", "--team", "MASH")

    assert list(Team.objects.values_list("name", flat=True)) == ["MASH"]
    assert Team.objects.get().members.count() == 2


@pytest.mark.parametrize(
    "password", ["plum kettle orbit", "correcthorsebatterystaple", "ALLCAPSISFINEHERE"]
)
def test_long_passwords_pass_with_no_composition_rules(password: str) -> None:
    validate_password(password)


@pytest.mark.parametrize(
    ("password", "problem"),
    [
        ("Sh0rt!pass", "at least 12 characters"),
        ("passwordpassword", "too easy to guess"),
        ("Password2024!!", "too easy to guess"),
        ("123456789012", "too easy to guess"),
        ("qwertyuiop[]", "too easy to guess"),
        ("aaaaaaaaaaaaaaaa", "too easy to guess"),
        ("Jigsaw-2026-Jigsaw", "too easy to guess"),
    ],
)
def test_short_or_common_passwords_are_refused(password: str, problem: str) -> None:
    with pytest.raises(ValidationError, match=problem):
        validate_password(password)
