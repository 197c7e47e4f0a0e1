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


@pytest.mark.django_db
def test_demo_gives_each_worker_a_caseload_and_the_front_door_contacts(tmp_path: Path) -> None:
    from jigsaw.access.need_to_know import Basis, access_to, person_scope, viewer_of
    from jigsaw.casework.selectors import persons_allocated_to, persons_in_triage
    from jigsaw.core.clock import clock
    from jigsaw.core.management.commands.demo import CASE_HOLDERS, CASELOAD, DEMO_CONTACTS

    args = ["demo", "--children", "800", "--seed", "3", "--out", str(tmp_path / "la")]
    call_command(*args, stdout=StringIO())
    call_command(*args, stdout=StringIO())  # a second load allocates nothing twice
    from jigsaw.casework.selectors import demo_children_by_recent_work

    children = [p.pk for p in demo_children_by_recent_work()]
    held: set[int] = set()
    for n, username in enumerate(CASE_HOLDERS):
        profile = staff_profile_by_username(username=username)
        assert profile is not None
        mine = persons_allocated_to(worker_id=profile.user_id, at=clock.now())
        assert mine == set(children[n * CASELOAD : (n + 1) * CASELOAD])
        assert len(mine) == CASELOAD or len(children) < len(CASE_HOLDERS) * CASELOAD
        assert not mine & held
        held |= mine
        viewer = viewer_of(profile.user)
        assert all(access_to(viewer, p).basis is Basis.ALLOCATION for p in mine)
    triage = persons_in_triage(at=clock.now())
    assert len(children) > len(CASE_HOLDERS) * CASELOAD + DEMO_CONTACTS
    assert len(triage) == DEMO_CONTACTS
    assert not triage & held
    mash = staff_profile_by_username(username="mash.practitioner")
    assert mash is not None
    assert person_scope(viewer_of(mash.user)).ids == triage
