"""The agency files follow exchange format v1 and agree with the truth files."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

from jigsaw.synth.agencies import AGENCIES
from jigsaw.synth.generator import generate
from jigsaw.synth.tests.conftest import LoadedAuthority, load
from jigsaw.synth.tests.spec_check import check_file, nhs_valid

POSTCODE = re.compile(r"^[A-Z]{1,2}[0-9][0-9A-Z]? [0-9][ABD-HJLNP-UW-Z]{2}$")


def test_every_line_of_every_file_is_valid(mid: LoadedAuthority) -> None:
    assert set(mid.files) == {a.code for a in AGENCIES}
    problems = [e for report in mid.files.values() for e in report.errors]
    assert problems == []


def test_checker_catches_broken_files(tmp_path: Path) -> None:
    # The checker must be able to fail, or the test above proves nothing.
    bad = tmp_path / "NTPS.jsonl"
    bad.write_text(
        '{"kind":"agency","code":"NTPS","name":"Police","sector":"police"}\n'
        '{"kind":"person","agency":"NTPS","local_id":"A","given_name":"X","nhs_number":"9434765918",'
        '"recorded_at":"2024-01-01T00:00:00Z"}\n'
        '{"kind":"event","agency":"NTPS","event_id":"E1","type":"school_absence",'
        '"occurred_at":"2024-01-02T00:00:00Z","recorded_at":"2024-01-02T01:00:00Z",'
        '"subjects":[{"local_id":"B","role":"child"}],"details":{}}\n'
        '{"kind":"event","agency":"NTPS","event_id":"E2","type":"household_change",'
        '"occurred_at":"2024-01-01T00:00:00Z","recorded_at":"2024-01-02T01:00:00Z",'
        '"subjects":[{"local_id":"A","role":"child"}],"details":{"change":"joined"}}\n'
    )
    errors = " | ".join(check_file(bad).errors)
    assert "modulus 11" in errors
    assert "may not send school_absence" in errors
    assert "needs details.sessions_missed" in errors
    assert "not sent earlier" in errors
    assert "not in occurred_at order" in errors
    assert "one household_member and one child" in errors


def test_events_in_order_persons_first_and_times_in_the_window(mid: LoadedAuthority) -> None:
    for report in mid.files.values():
        times = [e["occurred_at"] for e in report.events]
        assert times == sorted(times)
        assert all("2023-11-01T00:00:00Z" <= t < "2026-11-01T00:00:00Z" for t in times)
        assert all(e["recorded_at"] <= "2026-11-01T00:00:00Z" for e in report.events)


def test_truth_persons_match_the_records_exactly(mid: LoadedAuthority) -> None:
    in_files = {(code, local_id) for code, r in mid.files.items() for local_id in r.persons}
    assert in_files == set(mid.owner)
    assert set(mid.owner.values()) <= set(mid.people)
    household_people = {row["person_id"] for row in mid.households}
    assert set(mid.people) == household_people


def test_exactly_the_children_asked_for(mid: LoadedAuthority, tmp_path: Path) -> None:
    assert len(mid.children) == 2000
    child_rows = {r["person_id"] for r in mid.households if r["role"] == "child"}
    assert {c["person_id"] for c in mid.children} == child_rows
    for n in (1, 7):
        generate(children=n, seed=2, out=tmp_path / str(n))
        assert load(tmp_path / str(n)).children.__len__() == n


def test_people_have_unique_valid_nhs_numbers(mid: LoadedAuthority) -> None:
    numbers = [p["nhs_number"] for p in mid.people.values()]
    assert len(set(numbers)) == len(numbers)
    assert all(nhs_valid(n) and n.startswith("9") for n in numbers)


def test_addresses_look_british(mid: LoadedAuthority) -> None:
    postcodes = [
        v["address"]["postcode"]
        for r in mid.files.values()
        for vs in r.persons.values()
        for v in vs
    ]
    assert postcodes
    assert all(POSTCODE.match(p) for p in postcodes)
    districts = Counter(p.split(" ")[0] for p in postcodes)
    local = sum(
        n
        for d, n in districts.items()
        if d in {"N15", "N17", "N22", "N8", "N4", "N10", "N6", "N11"}
    )
    assert local / sum(districts.values()) > 0.8


def test_address_moves_are_sent_as_later_versions(mid: LoadedAuthority) -> None:
    versions = [vs for r in mid.files.values() for vs in r.persons.values() if len(vs) > 1]
    assert len(versions) > 100
    for vs in versions:
        recorded = [v["recorded_at"] for v in vs]
        assert recorded == sorted(recorded)
        assert len({v["local_id"] for v in vs}) == 1
        assert vs[0]["address"] != vs[-1]["address"]


def test_some_events_are_late_and_some_corrected(mid: LoadedAuthority) -> None:
    events = [e for r in mid.files.values() for e in r.events]
    ids = Counter((e["agency"], e["event_id"]) for e in events)
    corrections = sum(n - 1 for n in ids.values())
    assert 0.002 < corrections / len(events) < 0.01
    late = sum(1 for e in events if e["recorded_at"][:10] > _plus_days(e["occurred_at"], 13))
    assert 0.015 < late / len(events) < 0.06


def _plus_days(instant: str, days: int) -> str:
    from datetime import date, timedelta

    return (date.fromisoformat(instant[:10]) + timedelta(days=days)).isoformat()


def test_event_volume_is_plausible(mid: LoadedAuthority) -> None:
    events = sum(len(r.events) for r in mid.files.values())
    assert 20 <= events / 2000 <= 60


def test_agencies_only_know_whom_they_plausibly_meet(mid: LoadedAuthority) -> None:
    adults = {pid for pid, p in mid.people.items() if p["role"] != "child"}
    schools = [a.code for a in AGENCIES if a.sector == "education"]
    # Adults a school knows are its pupils' parents, or adults it was told had joined or left
    # a pupil's household.
    for (agency, _), pid in mid.owner.items():
        if agency in schools and pid in adults and mid.people[pid]["role"] != "parent":
            assert [e for a, e, _ in mid.events_of(pid, "household_change") if a == agency]
    police_people = {pid for (agency, _), pid in mid.owner.items() if agency == "NTPS"}
    assert police_people
    for pid in police_people:
        assert mid.events_of(pid), "the police only hold records of people involved in incidents"
    assert len(police_people) < 0.2 * len(mid.people)


def test_household_attributes(mid: LoadedAuthority) -> None:
    rows = list(mid.attributes.values())
    ethnicity = Counter(r["ethnicity"] for r in rows)
    assert 0.55 < ethnicity["WBRI"] / len(rows) < 0.8
    assert len(ethnicity) >= 10
    assert {int(r["deprivation_decile"]) for r in rows} <= set(range(1, 11))
    known = {
        mid.people[pid]["household_id"]
        for (agency, _), pid in mid.owner.items()
        if agency == "HVCS"
    }
    known_deciles = [int(r["deprivation_decile"]) for h, r in mid.attributes.items() if h in known]
    other_deciles = [
        int(r["deprivation_decile"]) for h, r in mid.attributes.items() if h not in known
    ]
    assert sum(known_deciles) / len(known_deciles) < sum(other_deciles) / len(other_deciles) - 0.5


def test_nobody_appears_before_birth(mid: LoadedAuthority) -> None:
    for pid, person in mid.people.items():
        for _, event, role in mid.events_of(pid):
            assert event["occurred_at"][:10] >= person["date_of_birth"], (pid, event)
            if role == "child":
                assert person["role"] == "child"
