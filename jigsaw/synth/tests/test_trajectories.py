"""Planted trajectories are present, their signals come before harm, and they read as intended."""

from __future__ import annotations

import csv
from collections import Counter
from datetime import date
from typing import Any

import pytest

from jigsaw.synth.population import PATTERNS
from jigsaw.synth.tests.conftest import LoadedAuthority

HEALTH = {"NTGH", "HVUH", "GPBG", "GPPV", "GPWA", "GPCE", "GPSA", "HVHV"}
INJURY_TYPES = {"ae_attendance", "injury_observed"}


def _rows(la: LoadedAuthority, pattern: str) -> list[dict[str, str]]:
    return [r for r in la.trajectories if r["pattern"] == pattern]


def _before(
    events: list[tuple[str, dict[str, Any], str]], day: str
) -> list[tuple[str, dict[str, Any], str]]:
    return [e for e in events if e[1]["occurred_at"][:10] < day]


def _days(a: str, b: str) -> int:
    return (date.fromisoformat(b[:10]) - date.fromisoformat(a[:10])).days


@pytest.mark.parametrize(("which", "least"), [("small", 1), ("mid", 3)])
def test_every_pattern_is_planted(which: str, least: int, request: pytest.FixtureRequest) -> None:
    la: LoadedAuthority = request.getfixturevalue(which)
    counts = Counter(r["pattern"] for r in la.trajectories)
    assert set(counts) == set(PATTERNS)
    assert min(counts.values()) >= least
    children = {c["person_id"]: c for c in la.children}
    for row in la.trajectories:
        assert children[row["child_person_id"]]["household_id"] == row["household_id"]


def test_signals_precede_harm(mid: LoadedAuthority) -> None:
    for row in mid.trajectories:
        assert row["first_signal_date"], row
        if row["pattern"] == "accidental-injury":
            assert row["harm_date"] == ""
        else:
            assert row["first_signal_date"] < row["harm_date"], row
            assert int(row["signal_count"]) >= 1


def test_injury_non_mobile(mid: LoadedAuthority) -> None:
    for row in _rows(mid, "injury-non-mobile"):
        child = mid.people[row["child_person_id"]]
        early = []
        for _, event, _ in _before(mid.events_of(row["child_person_id"]), row["harm_date"]):
            details = event.get("details", {})
            if event["type"] in INJURY_TYPES and details.get("injuries"):
                early.append(event)
                assert _days(child["date_of_birth"], event["occurred_at"]) < 183
                assert details.get("child_independently_mobile") in (False, None)
        assert early
        assert any(i["kind"] == "bruise" for e in early for i in e["details"]["injuries"])


def _household_postcodes(la: LoadedAuthority, household_id: str) -> set[str]:
    with (la.root / "truth" / "addresses.csv").open(encoding="utf-8") as f:
        return {r["postcode"] for r in csv.DictReader(f) if r["household_id"] == household_id}


def test_haringey(mid: LoadedAuthority) -> None:
    rows = _rows(mid, "haringey")
    assert rows
    for row in rows:
        child, harm = row["child_person_id"], row["harm_date"]
        [partner_row] = mid.members(row["household_id"], "partner_of_parent")
        partner = partner_row["person_id"]
        records = dict(mid.records_of(partner))
        # Known to police, housing and health at the family's address; never to social care.
        assert "HVCS" not in records
        postcodes = _household_postcodes(mid, row["household_id"])
        for agencies in ({"NTPS"}, {"HVHO"}, HEALTH):
            held = [records[a] for a in agencies if a in records]
            assert held, agencies
            assert any(v["address"]["postcode"] in postcodes for versions in held for v in versions)
        joined = {
            a
            for a, e, _ in mid.events_of(partner, "household_change")
            if e["details"]["change"] == "joined"
        }
        assert {"NTPS", "HVHO"} <= joined
        violence = [
            e
            for _, e, _ in mid.events_of(partner, "offence_record")
            if e["details"]["offence_category"] == "violence" and e["occurred_at"][:10] < harm
        ]
        assert violence
        # Escalating injuries, explanations that do not fit, a plan, and a child not seen alone.
        events = _before(mid.events_of(child), harm)
        injuries = [
            e for _, e, _ in events if e["type"] in INJURY_TYPES and e["details"].get("injuries")
        ]
        assert len(injuries) >= 3
        assert any(e["details"].get("explanation_consistent") is False for e in injuries)
        assert any(
            e["type"] == "cp_conference" and e["details"]["outcome"] == "plan" for _, e, _ in events
        )
        visits = [e for _, e, _ in events if e["type"] == "home_visit"]
        assert visits
        seen_alone = sum(1 for e in visits if e["details"].get("seen_alone") is True)
        assert seen_alone <= len(visits) / 2
        assert any(
            e["details"]["child_seen"] is False or e["details"].get("seen_alone") is False
            for e in visits
        )


def test_neglect(mid: LoadedAuthority) -> None:
    rising = 0
    with_school = 0
    for row in _rows(mid, "neglect"):
        events = _before(mid.events_of(row["child_person_id"]), row["harm_date"])
        assert sum(1 for _, e, _ in events if e["type"] == "appointment_missed") >= 2
        neglect = [
            e
            for _, e, _ in events
            if e["type"] == "concern_raised" and e["details"]["category"] == "neglect"
        ]
        assert len(neglect) >= 2
        absences = [
            e
            for _, e, _ in events
            if e["type"] == "school_absence" and e["occurred_at"][:10] >= row["first_signal_date"]
        ]
        if len(absences) >= 4:
            with_school += 1
            middle = date.fromordinal(
                (
                    date.fromisoformat(row["first_signal_date"]).toordinal()
                    + date.fromisoformat(row["harm_date"]).toordinal()
                )
                // 2
            ).isoformat()
            first = sum(
                e["details"]["sessions_missed"] for e in absences if e["occurred_at"][:10] < middle
            )
            second = sum(
                e["details"]["sessions_missed"] for e in absences if e["occurred_at"][:10] >= middle
            )
            rising += second > first
    assert with_school
    assert rising >= with_school * 0.7


def test_domestic_abuse(mid: LoadedAuthority) -> None:
    for row in _rows(mid, "domestic-abuse"):
        incidents = [
            e
            for a, e, _ in _before(
                mid.events_of(row["child_person_id"], "police_incident"), row["harm_date"]
            )
            if e["details"]["incident_type"] == "domestic_abuse"
            and e["details"]["children_present"] is True
        ]
        assert len(incidents) >= 3


def test_toxic_trio(mid: LoadedAuthority) -> None:
    for row in _rows(mid, "toxic-trio"):
        harm = row["harm_date"]
        adults = [r["person_id"] for r in mid.members(row["household_id"]) if r["role"] != "child"]
        firsts: dict[str, str] = {}
        for pid in adults:
            for _, event, _ in _before(mid.events_of(pid), harm):
                kind = event["type"]
                if (
                    kind == "police_incident"
                    and event["details"]["incident_type"] != "domestic_abuse"
                ):
                    continue
                if kind in (
                    "police_incident",
                    "adult_mental_health_contact",
                    "substance_misuse_contact",
                ):
                    firsts[kind] = min(firsts.get(kind, "9999"), event["occurred_at"])
        assert len(firsts) == 3, firsts
        assert _days(min(firsts.values()), max(firsts.values())) <= 365


def test_unassessed_carer(mid: LoadedAuthority) -> None:
    for row in _rows(mid, "unassessed-carer"):
        events = _before(mid.events_of(row["child_person_id"]), row["harm_date"])
        placements = [e for _, e, _ in events if e["type"] == "placement"]
        assert placements
        first = placements[0]
        details = first["details"]
        assert details["carer_type"] == "family_friends"
        assert not (
            details.get("viability_assessed") is True and details.get("checks_completed") is True
        )
        strategy = [
            e
            for _, e, _ in events
            if e["type"] == "strategy_discussion" and e["details"]["outcome"] == "section47"
        ]
        assert strategy
        assert strategy[0]["occurred_at"] <= first["occurred_at"]
        outcomes = [e for _, e, _ in events if e["type"] == "section47_outcome"]
        assert all(e["occurred_at"] >= first["occurred_at"] for e in outcomes), (
            "placed during the enquiry"
        )
        carers = [s for s in first["subjects"] if s["role"] == "carer"]
        assert carers
        assert ("HVCS", carers[0]["local_id"]) in mid.owner


def test_accidental_injury_controls_are_clean(mid: LoadedAuthority) -> None:
    rows = _rows(mid, "accidental-injury")
    assert rows
    for row in rows:
        injuries = [
            e
            for _, e, _ in mid.events_of(row["child_person_id"])
            if e["type"] in INJURY_TYPES and e.get("details", {}).get("injuries")
        ]
        assert injuries
        for event in injuries:
            details = event["details"]
            assert details["explanation"]
            assert details["explanation_consistent"] is True
            assert details["child_independently_mobile"] is True
            assert details.get("delay_hours", 0) <= 3
        assert not [e for a, e, _ in mid.events_of(row["child_person_id"]) if a == "HVCS"]
