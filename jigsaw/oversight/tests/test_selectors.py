"""Pseudonymised flags: the pseudonym, age bands, the rows and what each extract records."""

from __future__ import annotations

import hashlib
import hmac
from datetime import date

import pytest
from django.core.exceptions import PermissionDenied
from django.test import override_settings

from jigsaw.access.models import AuditEntry
from jigsaw.access.tests.world import STAFF
from jigsaw.oversight.selectors import (
    FlagRow,
    age_band,
    flag_counts,
    flags_extract,
    pseudonym,
)
from jigsaw.risk.models import Flag, FlagAction, FlagRevision

pytestmark = pytest.mark.django_db

ALLOWED = {"analyst", "hos", "director"}


def test_the_pseudonym_is_hmac_sha256_of_the_id_under_the_key() -> None:
    with override_settings(JIGSAW_PSEUDONYM_KEY="k" * 40):
        got = pseudonym(42)
        assert pseudonym("42") == got
    assert got == hmac.new(b"k" * 40, b"42", hashlib.sha256).hexdigest()
    assert got != hashlib.sha256(b"42").hexdigest()  # not guessable without the key
    with override_settings(JIGSAW_PSEUDONYM_KEY="another key entirely, 32 chars+"):
        assert pseudonym(42) != got


@pytest.mark.parametrize(
    ("born", "on", "band"),
    [
        (date(2007, 1, 15), date(2008, 1, 14), "0"),
        (date(2007, 1, 15), date(2008, 1, 15), "1-4"),
        (date(2003, 1, 16), date(2008, 1, 15), "1-4"),
        (date(2003, 1, 15), date(2008, 1, 15), "5-9"),
        (date(1998, 1, 15), date(2008, 1, 15), "10-15"),
        (date(1991, 1, 16), date(2008, 1, 15), "16-17"),
        (date(1990, 1, 15), date(2008, 1, 15), "unknown"),  # 18: not a child
        (date(2009, 1, 1), date(2008, 1, 15), "unknown"),  # not yet born
        (None, date(2008, 1, 15), "unknown"),
    ],
)
def test_age_bands(born, on, band) -> None:
    assert age_band(born, on) == band


def test_one_row_per_flag_in_coarse_terms_only(world) -> None:
    rows = flags_extract(user=world.user("analyst"))

    assert len(rows) == Flag.objects.count() == 5
    assert set(FlagRow.__dataclass_fields__) == {
        "child", "rule", "severity", "state", "raised_month", "age_band", "evidence_sectors"
    }  # fmt: skip
    peter = pseudonym(world.people["peter"])
    # (Their state is risk's business: a live flag's is followed below.)
    assert [
        (r.rule, r.severity, r.raised_month, r.age_band, r.evidence_sectors)
        for r in rows
        if r.child == peter
    ] == [
        ("injury-non-mobile", "immediate", "2006-08", "0", ("health",)),
        ("domestic-abuse-child-present", "medium", "2007-06", "1-4", ("police",)),
    ]
    by_child = {r.child: r for r in rows if r.rule == "domestic-abuse-child-present"}
    # The other children at the address: Anna (5 then), Liam (not yet 1) and Maya (7).
    assert by_child[pseudonym(world.people["anna"])].age_band == "5-9"
    assert by_child[pseudonym(world.people["liam"])].age_band == "0"
    assert by_child[pseudonym(world.people["maya"])].age_band == "5-9"


def raise_flag(person, *, at, evidence) -> Flag:
    flag = Flag.objects.create(
        key=f"test-rule:{person.pk}", rule_id="test-rule", person=person, title="A test rule",
        basis="for the test", raised_at=at, known_at=at,
    )  # fmt: skip
    FlagRevision.objects.create(
        flag=flag, number=1, severity="high", evidence=evidence, reason="r", action="a",
        owner="social_worker", due_by=at, known_at=at,
    )  # fmt: skip
    return flag


def test_a_live_flag_by_its_state_and_the_sectors_of_its_evidence(world, clock) -> None:
    flag = raise_flag(
        world.person("liam"),
        at=clock.now(),
        evidence=[
            {"agency": "NMUH", "event_id": "GP-1", "type": "health_contact", "occurred_at": ""},
            {"agency": "SCH", "event_id": "X-1", "type": "school_absence", "occurred_at": ""},
            {"agency": "NMUH", "event_id": "X-2", "type": "health_contact", "occurred_at": ""},
        ],
    )
    liam = pseudonym(world.people["liam"])

    def row() -> FlagRow:
        rows = flags_extract(user=world.user("analyst"))
        return next(r for r in rows if r.child == liam and r.rule == flag.rule_id)

    assert row() == FlagRow(liam, "test-rule", "high", "open", "2008-01", "1-4",
                            ("education", "health"))  # fmt: skip
    FlagAction.objects.create(flag=flag, kind="acknowledged", actor_name="Sam", at=clock.now())
    assert row().state == "acknowledged"
    FlagAction.objects.create(
        flag=flag, kind="closed", close_reason="action_taken", actor_name="Sam", at=clock.now()
    )
    assert row().state == "closed"


def test_each_extract_is_audited_with_its_size_and_nobody_named(world) -> None:
    flags_extract(user=world.user("analyst"))

    entry = AuditEntry.objects.get(object_type="analytics_flags")
    assert (entry.action, entry.username, entry.role) == ("export", "analyst", "analyst")
    assert entry.detail == {"rows": 5, "pseudonymised": True}
    assert entry.person_ids == []
    assert entry.record_ids == []


def test_counts_by_month_rule_and_severity(world) -> None:
    counts = flag_counts(user=world.user("director"))

    assert [(c.month, c.rule, c.by_severity, c.total) for c in counts] == [
        ("2007-06", "domestic-abuse-child-present", {"immediate": 0, "high": 0, "medium": 4}, 4),
        ("2006-08", "injury-non-mobile", {"immediate": 1, "high": 0, "medium": 0}, 1),
    ]
    assert counts[1].title == "Injury to a child who is not independently mobile"
    entry = AuditEntry.objects.get(object_type="analytics_flags")
    assert (entry.action, entry.detail["rows"]) == ("read", 5)


@pytest.mark.parametrize("key", [key for key, *_ in STAFF if key not in ALLOWED])
def test_other_roles_are_refused(world, key: str) -> None:
    with pytest.raises(PermissionDenied):
        flags_extract(user=world.user(key))
    with pytest.raises(PermissionDenied):
        flag_counts(user=world.user(key))
    assert not AuditEntry.objects.filter(object_type="analytics_flags").exists()
