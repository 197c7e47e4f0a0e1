"""Households look like a real borough's, traps included."""

from __future__ import annotations

import itertools
from collections import defaultdict
from datetime import date

import pytest

from jigsaw.synth.agencies import AGENCIES, nhs_is_valid, nhs_number_for, nhs_number_of_nobody
from jigsaw.synth.population import plan_population
from jigsaw.synth.tests.conftest import LoadedAuthority
from jigsaw.synth.timeline import Calendar


def _children_by_household(la: LoadedAuthority) -> dict[str, list[dict[str, str]]]:
    out: dict[str, list[dict[str, str]]] = defaultdict(list)
    for c in la.children:
        out[c["household_id"]].append(c)
    return out


@pytest.mark.parametrize("which", ["small", "mid"])
def test_twins_exist(which: str, request: pytest.FixtureRequest) -> None:
    la: LoadedAuthority = request.getfixturevalue(which)
    twins = [
        kids
        for kids in _children_by_household(la).values()
        if len({k["date_of_birth"] for k in kids}) < len(kids)
    ]
    assert twins


def test_close_age_siblings_exist(mid: LoadedAuthority) -> None:
    close = 0
    for kids in _children_by_household(mid).values():
        dobs = sorted(date.fromisoformat(k["date_of_birth"]) for k in kids)
        close += sum(1 for a, b in itertools.pairwise(dobs) if 0 < (b - a).days <= 460)
    assert close > 5


@pytest.mark.parametrize("which", ["small", "mid"])
def test_parent_and_child_with_the_same_name(which: str, request: pytest.FixtureRequest) -> None:
    la: LoadedAuthority = request.getfixturevalue(which)
    pairs = []
    for kid in la.children:
        child = la.people[kid["person_id"]]
        for row in la.members(kid["household_id"], "parent"):
            parent = la.people[row["person_id"]]
            if (parent["given_name"], parent["family_name"]) == (
                child["given_name"],
                child["family_name"],
            ):
                pairs.append((parent, child))
    assert pairs
    parent, child = pairs[0]
    # Each has their own records: an agency holding both holds two records.
    assert la.records_of(parent["person_id"])
    assert la.records_of(child["person_id"])


def test_households_change_over_time(mid: LoadedAuthority) -> None:
    roles = defaultdict(list)
    for row in mid.households:
        roles[row["role"]].append(row)
    partners = roles["partner_of_parent"]
    assert any(r["from"] >= "2023-11-01" for r in partners), "partners move in during the window"
    assert any(r["to"] for r in partners), "and some leave"
    assert roles["lodger"]
    assert roles["relative"]
    assert any(r["to"] for r in roles["parent"]), "some parents leave"
    for r in mid.households:
        assert not r["to"] or r["from"] < r["to"]


def test_children_are_under_18_in_the_window_and_some_are_born_in_it(mid: LoadedAuthority) -> None:
    dobs = [c["date_of_birth"] for c in mid.children]
    assert min(dobs) > "2008-11-01"
    assert max(dobs) < "2026-11-01"
    born_in_window = sum(1 for d in dobs if d >= "2023-11-01")
    assert 0.08 < born_in_window / len(dobs) < 0.3


def test_structures_and_sizes(mid: LoadedAuthority) -> None:
    structures = defaultdict(int)
    for row in mid.attributes.values():
        structures[row["structure"]] += 1
    total = sum(structures.values())
    assert 0.5 < structures["couple"] / total < 0.8
    assert 0.2 < structures["single_mother"] / total < 0.45
    assert 1.6 < len(mid.children) / total < 2.3


def test_plan_is_exact_and_guarantees_every_pattern() -> None:
    cal = Calendar(date(2023, 11, 1))
    for n in (1, 3, 50, 200):
        plans = plan_population(n, 9, cal)
        assert sum(len(p.children) for p in plans) == n
    plans = plan_population(200, 9, cal)
    assert {p.pattern for p in plans if p.pattern} == {
        "injury-non-mobile",
        "haringey",
        "neglect",
        "domestic-abuse",
        "toxic-trio",
        "unassessed-carer",
        "accidental-injury",
    }


def test_nhs_numbers_are_unique_valid_and_distinct_from_wrong_ones() -> None:
    real = {nhs_number_for(k) for k in range(0, 200_000, 7)}
    assert len(real) == len(range(0, 200_000, 7))
    assert all(nhs_is_valid(n) and n[:2] in {"90", "91"} for n in real)
    wrong = {nhs_number_of_nobody(s) for s in range(2000)}
    assert all(nhs_is_valid(n) for n in wrong)
    assert not real & wrong


def test_identifiers_are_unique_per_agency() -> None:
    for agency in AGENCIES[:3]:
        ids = {agency.local_id(k) for k in range(0, 5_000_000, 997)}
        assert len(ids) == len(range(0, 5_000_000, 997))
        events = {agency.event_id(k) for k in range(0, 10**9, 99_991)}
        assert len(events) == len(range(0, 10**9, 99_991))
