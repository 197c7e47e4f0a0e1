"""Synthetic authorities generated once per test session, and a loader joining them to the truth."""

from __future__ import annotations

import csv
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from jigsaw.synth.generator import generate
from jigsaw.synth.tests.spec_check import FileReport, check_file


def _csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


@dataclass
class LoadedAuthority:
    root: Path
    files: dict[str, FileReport]
    owner: dict[tuple[str, str], str]  # (agency, local_id) -> person_id
    people: dict[str, dict[str, str]]
    children: list[dict[str, str]]
    households: list[dict[str, str]]
    attributes: dict[str, dict[str, str]]
    trajectories: list[dict[str, str]]
    events_by_person: dict[str, list[tuple[str, dict[str, Any], str]]] = field(default_factory=dict)

    def events_of(
        self, person_id: str, etype: str | None = None
    ) -> list[tuple[str, dict[str, Any], str]]:
        """(agency, event, role) for every event naming the person, in time order."""
        found = self.events_by_person.get(person_id, [])
        return [e for e in found if etype is None or e[1]["type"] == etype]

    def records_of(self, person_id: str) -> list[tuple[str, list[dict[str, Any]]]]:
        """(agency, versions) of every agency record of the person."""
        out = []
        for (agency, local_id), pid in self.owner.items():
            if pid == person_id:
                out.append((agency, self.files[agency].persons[local_id]))
        return out

    def members(self, household_id: str, role: str | None = None) -> list[dict[str, str]]:
        return [
            row
            for row in self.households
            if row["household_id"] == household_id and (role is None or row["role"] == role)
        ]


def load(root: Path) -> LoadedAuthority:
    files = {path.stem: check_file(path) for path in sorted(root.glob("*.jsonl"))}
    truth = root / "truth"
    owner = {(r["agency"], r["local_id"]): r["person_id"] for r in _csv(truth / "persons.csv")}
    la = LoadedAuthority(
        root=root,
        files=files,
        owner=owner,
        people={r["person_id"]: r for r in _csv(truth / "people.csv")},
        children=_csv(truth / "children.csv"),
        households=_csv(truth / "households.csv"),
        attributes={r["household_id"]: r for r in _csv(truth / "household_attributes.csv")},
        trajectories=_csv(truth / "trajectories.csv"),
    )
    by_person: dict[str, list[tuple[str, dict[str, Any], str]]] = defaultdict(list)
    for code, report in files.items():
        for event in report.events:
            for subject in event["subjects"]:
                pid = owner.get((code, subject["local_id"]))
                if pid is not None:
                    by_person[pid].append((code, event, subject["role"]))
    for events in by_person.values():
        events.sort(key=lambda e: e[1]["occurred_at"])
    la.events_by_person = dict(by_person)
    return la


@pytest.fixture(scope="session")
def mid_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("la2000")
    generate(children=2000, seed=11, out=out)
    return out


@pytest.fixture(scope="session")
def mid(mid_dir: Path) -> LoadedAuthority:
    return load(mid_dir)


@pytest.fixture(scope="session")
def small(tmp_path_factory: pytest.TempPathFactory) -> LoadedAuthority:
    out = tmp_path_factory.mktemp("la200")
    generate(children=200, seed=5, out=out)
    return load(out)
