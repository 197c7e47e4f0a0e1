"""Record noise arrives at the configured rates, measured against the truth."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path
from random import Random

import pytest

from jigsaw.synth.agencies import BY_CODE
from jigsaw.synth.generator import generate
from jigsaw.synth.names import VARIANT_GROUPS, variants_of
from jigsaw.synth.noise import NoiseConfig, swapped_dob, typo
from jigsaw.synth.tests.conftest import LoadedAuthority, load
from jigsaw.synth.tests.spec_check import nhs_valid


def _first_versions(la: LoadedAuthority) -> list[tuple[str, dict[str, str], dict[str, object]]]:
    """(sector, true person, record) for every agency record."""
    out = []
    for code, report in la.files.items():
        sector = BY_CODE[code].sector
        for local_id, versions in report.persons.items():
            person = la.people[la.owner[(code, local_id)]]
            out.append((sector, person, versions[0]))
    return out


def test_nhs_number_coverage_by_sector(mid: LoadedAuthority) -> None:
    def share(sector: str) -> float:
        rows = [r for s, _, r in _first_versions(mid) if s == sector]
        return sum(1 for r in rows if "nhs_number" in r) / len(rows)

    assert share("health") == pytest.approx(0.95, abs=0.03)
    assert share("police") < 0.2
    assert 0.4 < share("education") < 0.8
    assert 0.65 < share("social_care") < 0.95


def test_nickname_share(mid: LoadedAuthority) -> None:
    eligible = [(p, r) for _, p, r in _first_versions(mid) if variants_of(p["given_name"])]
    variant = sum(1 for p, r in eligible if r["given_name"] in variants_of(p["given_name"]))
    assert len(eligible) > 2000
    assert variant / len(eligible) == pytest.approx(0.10, abs=0.03)


def test_day_month_swaps_only_where_valid(mid: LoadedAuthority) -> None:
    swapped = eligible = 0
    for _, p, r in _first_versions(mid):
        true = date.fromisoformat(p["date_of_birth"])
        recorded = r.get("date_of_birth")
        if recorded is None:
            continue
        if recorded != p["date_of_birth"]:
            assert recorded == true.replace(month=true.day, day=true.month).isoformat()
            swapped += 1
        if true.day <= 12 and true.day != true.month:
            eligible += 1
    assert swapped > 0
    assert swapped / eligible == pytest.approx(0.01, abs=0.008)


def test_wrong_nhs_numbers_are_valid_and_nobodys(mid: LoadedAuthority) -> None:
    true_numbers = {p["nhs_number"] for p in mid.people.values()}
    with_number = [(p, r) for _, p, r in _first_versions(mid) if "nhs_number" in r]
    wrong = [r["nhs_number"] for p, r in with_number if r["nhs_number"] != p["nhs_number"]]
    assert wrong
    assert all(nhs_valid(str(n)) and n not in true_numbers for n in wrong)
    assert len(wrong) / len(with_number) == pytest.approx(0.003, abs=0.003)


def test_names_differ_by_a_typo_now_and_then(mid: LoadedAuthority) -> None:
    rows = _first_versions(mid)
    odd = 0
    for _, p, r in rows:
        given, family = str(r["given_name"]), str(r["family_name"]).lower()
        known_given = given == p["given_name"] or given in variants_of(p["given_name"])
        surnames = {
            p["family_name"].lower(),
            *(s.lower() for s in p["other_family_names"].split(";") if s),
        }
        if not known_given or family not in surnames:
            odd += 1
    assert odd / len(rows) == pytest.approx(0.03, abs=0.015)


def test_surname_variants_appear(mid: LoadedAuthority) -> None:
    alternative = [
        r
        for _, p, r in _first_versions(mid)
        if str(r["family_name"]).lower() != p["family_name"].lower()
        and str(r["family_name"]).lower() in {s.lower() for s in p["other_family_names"].split(";")}
    ]
    assert len(alternative) > 50
    hyphenated = [p for p in mid.people.values() if "-" in p["family_name"]]
    assert hyphenated


def test_police_spell_surnames_in_capitals_sometimes(mid: LoadedAuthority) -> None:
    police = [r for s, _, r in _first_versions(mid) if s == "police"]
    upper = [r for r in police if str(r["family_name"]).isupper()]
    assert 0.3 < len(upper) / len(police) < 0.7


def test_old_addresses_linger(mid: LoadedAuthority) -> None:
    # A household moved, but some agencies that knew a member before never send the new address.
    with (mid.root / "truth" / "addresses.csv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    moves: dict[str, list[dict[str, str]]] = {}
    for row in rows:
        moves.setdefault(row["household_id"], []).append(row)
    updated = lingering = 0
    for code, report in mid.files.items():
        for local_id, versions in report.persons.items():
            person = mid.people[mid.owner[(code, local_id)]]
            history = moves.get(person["household_id"], [])
            if len(history) < 2 or person["role"] != "child":
                continue
            move_day = history[1]["from"]
            if versions[0]["recorded_at"][:10] >= move_day or move_day > "2026-06-01":
                continue
            postcodes = {v["address"]["postcode"] for v in versions}
            if history[1]["postcode"] in postcodes:
                updated += 1
            else:
                lingering += 1
    assert updated > lingering > 0


def test_no_noise_gives_clean_records(tmp_path: Path) -> None:
    generate(children=150, seed=4, out=tmp_path, noise=NoiseConfig().scaled(0.0))
    la = load(tmp_path)
    for sector, p, r in _first_versions(la):
        assert r["given_name"] == p["given_name"]
        assert str(r["family_name"]).lower() == p["family_name"].lower()
        assert r.get("date_of_birth") == p["date_of_birth"]
        assert r.get("nhs_number") == p["nhs_number"]
        assert r.get("sex") == p["sex"] or sector != "health"


def test_variant_table_is_large_and_symmetric() -> None:
    assert len(VARIANT_GROUPS) >= 60
    assert "Pete" in variants_of("Peter")
    assert "Peter" in variants_of("Pete")
    assert {"Mo", "Muhammad"} <= variants_of("Mohammed")
    assert "Kate" in variants_of("Catherine")
    assert "Liz" in variants_of("Elizabeth")


def test_typo_is_one_edit() -> None:
    rng = Random(3)
    for word in ("Smith", "Okonkwo", "Li", "Hussain"):
        for _ in range(50):
            out = typo(rng, word)
            assert out != word
            assert abs(len(out) - len(word)) <= 1
            assert out[0] == word[0]


def test_swapped_dob() -> None:
    assert swapped_dob(date(2019, 3, 7).toordinal()) == date(2019, 7, 3).toordinal()
    assert swapped_dob(date(2019, 3, 13).toordinal()) is None  # no 13th month
    assert swapped_dob(date(2019, 5, 5).toordinal()) is None  # same either way
