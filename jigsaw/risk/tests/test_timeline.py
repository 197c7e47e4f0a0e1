"""A replay evaluates each rule only when something it reads has changed; here, on a generated
local authority with plenty of late records and corrections, it must give every flag exactly
what evaluating every rule at every moment gives."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from jigsaw.identity.households import EventRow, HouseholdRows, VersionRow, address_normalise
from jigsaw.risk.config import RiskSettings, risk_settings, settings_from_dict
from jigsaw.risk.engine import RULES, Child, EvaluationContext, Finding, evaluate
from jigsaw.risk.loading import Snapshot
from jigsaw.risk.services import _changes_only, all_persons, replay_timelines, timeline_instants
from jigsaw.synth.tests.helpers import load_generated

pytestmark = pytest.mark.django_db

Timeline = list[tuple[datetime, list[Finding]]]


def every_moment(snapshot: Snapshot, person: int, cfg: RiskSettings) -> Timeline:
    """The straightforward way: every rule at every instant of the replay."""
    points = snapshot.change_points(person)
    out = []
    for at in timeline_instants(snapshot, person):
        if not snapshot.records_of(person, at) or not snapshot.is_child(person, at):
            continue
        findings = evaluate(snapshot.context(person, at), cfg.rules)
        if findings:
            out.append((max((p for p in points if p <= at), default=at), findings))
    return out


def flags_from(timeline: Timeline) -> dict[str, dict[str, Any]]:
    """What a replay keeps of each flag (its first finding, when live running would have seen
    it, each change of severity or evidence) and what "as known on" shows (the latest)."""
    flags: dict[str, dict[str, Any]] = {}
    for before, findings in timeline:
        for f in findings:
            flag = flags.setdefault(f.key, {"changes": [], "latest": None})
            last = flag["changes"][-1][1] if flag["changes"] else None
            if last is None or (last.severity, last.evidence) != (f.severity, f.evidence):
                flag["changes"].append((max(before, f.raised_at), f))
            flag["latest"] = f
    return flags


@pytest.fixture
def generated(tmp_path: Path) -> datetime:
    from jigsaw.synth.noise import NoiseConfig

    noise = NoiseConfig(
        late_record_rate=0.2, correction_rate=0.1, missing_dob_rate=0.1, duplicate_rate=0.05
    )
    return load_generated(tmp_path, children=200, seed=11, noise=noise)


STRICTER = {
    "child-not-seen": {"working_days": 5},
    "referral-decision-overdue": {"working_days": 0},
    "not-seen-alone": {"visits": 1, "high_after_weeks": 1, "from_age_years": 0},
    "drift": {"plan_months": 3, "recent_months": 6},
    "cp-child-unscheduled-care": {"event_types": ["ae_attendance", "health_contact"]},
    "toxic-trio": {"enabled": False},
    "multi-agency-concerns": {"agencies": 2},
}


@pytest.mark.parametrize("config", [None, STRICTER], ids=["defaults", "stricter"])
def test_a_replay_gives_what_every_moment_gives(
    generated: datetime, config: dict[str, Any] | None
) -> None:
    cfg = risk_settings() if config is None else settings_from_dict(config)
    persons = sorted(all_persons(until=generated))
    snapshot = Snapshot(persons, generated, everyone=True)
    flagged = changed = evaluations = 0
    for person in persons:
        expected = flags_from(every_moment(snapshot, person, cfg))
        before = snapshot.evaluations
        assert flags_from(snapshot.timeline(person, cfg.rules)) == expected, person
        evaluations += snapshot.evaluations - before
        # Without the latest wording, what a replay stores is still the same.
        stored = flags_from(snapshot.timeline(person, cfg.rules, latest_wording=False))
        assert {k: f["changes"] for k, f in stored.items()} == {
            k: f["changes"] for k, f in expected.items()
        }, person
        flagged += len(expected)
        changed += sum(len(f["changes"]) > 1 for f in expected.values())
    assert flagged > 100
    assert changed > 5
    # Far fewer evaluations than moments.
    moments = sum(len(timeline_instants(snapshot, p)) for p in persons)
    assert evaluations < moments / 3


def test_a_replay_shared_among_processes_keeps_the_same(generated: datetime) -> None:
    cfg = risk_settings()
    persons = sorted(all_persons(until=generated))
    snapshot = Snapshot(persons, generated)
    alone, evaluations = replay_timelines(snapshot, persons, cfg)
    shared, _ = replay_timelines(Snapshot(persons, generated), persons, cfg, workers=2)
    assert [p for p, _ in shared] == persons
    assert evaluations > 0
    kept = {p: flags_from(_changes_only(steps)) for p, steps in alone}
    for person, steps in shared:
        # What a replay stores is the same; only the latest wording is not sent back.
        got = flags_from(steps)
        assert {k: f["changes"] for k, f in got.items()} == {
            k: f["changes"] for k, f in kept[person].items()
        }
        assert {k: f["changes"] for k, f in got.items()} == {
            k: f["changes"] for k, f in flags_from(dict(alone)[person]).items()
        }


def test_each_rule_needs_only_what_it_reads() -> None:
    for rule in RULES:
        settings = rule.settings()
        reads = set(rule.reads(settings))
        assert reads, rule.id
        for groups in (rule.needs, rule.household):
            for group in groups(settings) if groups else ():
                assert set(group) <= reads, rule.id
        # Nothing to read, nothing found.
        empty = EvaluationContext(child=Child(person_id=1), now=datetime(2024, 1, 1, tzinfo=UTC))
        assert rule.evaluate(empty) == [], rule.id


def test_a_record_of_the_child_is_a_member_until_it_is_linked_to_them() -> None:
    """The police's record of the child, at the child's address and named in a domestic abuse
    incident, is linked to the child only later: until then the household has it as a member,
    with the incident as that member's event. The replay must see the incident in the
    household when it is recorded, as every moment does."""

    def t(day: str) -> datetime:
        return datetime.fromisoformat(f"{day}T09:00:00+00:00")

    home = address_normalise(line1="12 Acacia Road", postcode="N17 6AB")
    child, gp, police, incident_id, earlier = 100, 1, 2, 500, 501
    rows = HouseholdRows(t("2024-12-31"))
    for code, name, sector in (("GP", "A GP practice", "health"), ("POL", "Police", "police")):
        rows.agencies[code] = (name, sector)
        rows.sector_history[code].append((t("2020-01-01"), sector))
    rows._sector_changes = [t("2020-01-01")]
    rows.refs = {gp: ("GP", "G1"), police: ("POL", "P1")}
    rows.versions = {
        record: [
            VersionRow(record, t(on), "N17 6AB", home, None, "Amara", "Okafor", date(2020, 5, 1))
        ]
        for record, on in ((gp, "2024-01-01"), (police, "2024-02-01"))
    }
    rows.links = {gp: [(t("2024-01-01"), 1, child)], police: [(t("2024-06-01"), 2, child)]}
    rows.person_records[child] = {gp, police}
    rows.postcodes["N17 6AB"] = {gp: t("2024-01-01"), police: t("2024-02-01")}
    rows.event_refs[incident_id] = ("POL", "PI-1")
    rows.event_refs[earlier] = ("POL", "PI-0")

    def incident(row: int, event: int, on: str, kind: str, named: int, role: str) -> EventRow:
        details = {"incident_type": kind}
        return EventRow(row, event, 1, "police_incident", t(on), t(on), details, ((named, role),))

    rows.events = {
        # An earlier incident, so that the household is already in use when the second comes.
        gp: [[incident(2, earlier, "2024-01-15", "other", gp, "child")]],
        police: [[incident(1, incident_id, "2024-03-01", "domestic_abuse", police, "victim")]],
    }
    snapshot = Snapshot([child], t("2024-12-31"), rows=rows)
    cfg = risk_settings()
    expected = flags_from(every_moment(snapshot, child, cfg))
    assert [(f["changes"][0][0], f["latest"].rule_id) for f in expected.values()] == [
        (t("2024-03-01"), "domestic-abuse-child-present")
    ]
    assert flags_from(snapshot.timeline(child, cfg.rules)) == expected


def test_replay_workers_one_for_a_small_replay_else_as_set_or_the_cores(
    monkeypatch: pytest.MonkeyPatch, settings: Any
) -> None:
    from jigsaw.core.forked import cores
    from jigsaw.risk.services import REPLAY_PARALLEL_FROM, _replay_workers

    monkeypatch.delenv("JIGSAW_RISK_REPLAY_WORKERS", raising=False)
    monkeypatch.setenv("JIGSAW_WORKERS", "3")  # batch linkage's, not the replay's
    settings.JIGSAW_RISK_REPLAY_WORKERS = None
    assert _replay_workers(REPLAY_PARALLEL_FROM - 1) == 1
    assert _replay_workers(REPLAY_PARALLEL_FROM) == cores("")
    monkeypatch.setenv("JIGSAW_RISK_REPLAY_WORKERS", "2")
    assert _replay_workers(10) == 2
    settings.JIGSAW_RISK_REPLAY_WORKERS = 1
    assert _replay_workers(REPLAY_PARALLEL_FROM) == 1
