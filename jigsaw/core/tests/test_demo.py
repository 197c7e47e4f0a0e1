from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.test import RequestFactory

from jigsaw.access.selectors import staff_profile_by_username
from jigsaw.core.management.commands.demo import DEMO_PASSWORD, DEMO_USERS
from jigsaw.records.models import Agency, EventVersion, PersonRecord


@pytest.mark.django_db
def test_demo_loads_a_synthetic_local_authority_and_logins(tmp_path: Path) -> None:
    out = StringIO()
    call_command(
        "demo", "--children", "200", "--seed", "3", "--out", str(tmp_path / "la"), stdout=out
    )

    files = sorted(p.stem for p in (tmp_path / "la").glob("*.jsonl"))
    assert set(Agency.objects.values_list("code", flat=True)) == set(files)
    assert PersonRecord.objects.count() > 200
    assert EventVersion.objects.count() > 1000
    for username, *_ in DEMO_USERS:
        request = RequestFactory().post("/sign-in")
        assert authenticate(request, username=username, password=DEMO_PASSWORD) is not None
        assert username in out.getvalue()
        assert f"otpauth://totp/Jigsaw%3A{username}?secret=" in out.getvalue()
        profile = staff_profile_by_username(username=username)
        assert profile is not None
        assert profile.is_demo
        assert not profile.must_change_password
    assert "jigsaw user code USERNAME" in out.getvalue()


@pytest.mark.django_db
def test_demo_run_twice_stores_nothing_twice(tmp_path: Path) -> None:
    args = ["demo", "--children", "200", "--seed", "3", "--out", str(tmp_path / "la")]
    call_command(*args, stdout=StringIO())
    events = EventVersion.objects.count()
    out = StringIO()
    call_command(*args, stdout=out)
    assert EventVersion.objects.count() == events
    assert " 0 new" in out.getvalue()
