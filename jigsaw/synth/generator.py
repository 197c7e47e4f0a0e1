"""A synthetic English local authority's multi-agency records, deterministic by seed.

`generate` plans the population (exactly the number of children asked for, with planted
trajectories), then makes households in fixed-size chunks, in worker processes when asked, and
writes one JSON Lines file per agency in the exchange format plus the ground truth under `truth/`.
Each household draws only from its own seeded generator and chunks are written in order, so the
output is byte-identical for the same seed and options whatever the number of workers.

Layout of the output directory:
  <AGENCY_CODE>.jsonl            agency line, person records (versions follow the first), events
                                 in order of occurred_at
  truth/persons.csv              agency, local_id, person_id: whose record each one is
  truth/people.csv               every synthetic person's true details
  truth/children.csv             person_id, household_id, date_of_birth, sex (exactly N rows)
  truth/households.csv           household_id, person_id, role, from, to (membership periods)
  truth/household_attributes.csv household_id, ethnicity (DfE code), deprivation_decile (1 = most
                                 deprived), need_level, structure, social_housing
  truth/addresses.csv            each household's addresses over time
  truth/trajectories.csv         planted trajectories and the accidental-injury controls
"""

from __future__ import annotations

import multiprocessing
import os
import time
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from jigsaw.synth.agencies import AGENCIES
from jigsaw.synth.noise import NoiseConfig
from jigsaw.synth.population import HouseholdPlan, Person, build_household, plan_population
from jigsaw.synth.routine import routine
from jigsaw.synth.sim import Sim, World, csv_text
from jigsaw.synth.timeline import Calendar, day_iso
from jigsaw.synth.trajectories import plant, prepare
from jigsaw.synth.writer import Writer

DEFAULT_START = date(2023, 11, 1)
CHUNK_HOUSEHOLDS = 250  # fixed, so output never depends on how work is split between processes
MAX_CHILDREN = 1_000_000  # person keys (and so NHS numbers) stay unique up to here


@dataclass(slots=True)
class Summary:
    out: Path
    children: int
    households: int
    people: int
    person_records: int
    person_lines: int
    events: int
    events_by_agency: dict[str, int]
    records_by_agency: dict[str, int]
    trajectories: dict[str, int]
    files: list[Path] = field(default_factory=list)
    seconds: float = 0.0


@dataclass(slots=True)
class _Chunk:
    persons: dict[int, bytes]
    events: dict[int, bytes]
    truth: dict[str, str]
    event_counts: list[int]
    record_counts: list[int]
    person_lines: int
    people: int
    children: int
    trajectories: dict[str, int]


_world: World | None = None


def _init_worker(start: date, noise: NoiseConfig) -> None:
    global _world
    _world = World(start, noise)


def _person_row(p: Person, hid: str) -> list[str]:
    return [
        p.pid,
        hid,
        p.role,
        p.given,
        p.middle or "",
        p.family,
        ";".join(p.alt_families),
        p.sex,
        day_iso(p.dob),
        p.nhs,
        ";".join(sorted(p.traits)),
    ]


def _make_chunk(plans: list[HouseholdPlan]) -> _Chunk:
    world = _world
    assert world is not None, "worker not initialised"
    persons: dict[int, list[bytes]] = {}
    events: dict[int, list[bytes]] = {}
    truth: dict[str, list[list[str]]] = {
        "persons.csv": [],
        "people.csv": [],
        "children.csv": [],
        "households.csv": [],
        "household_attributes.csv": [],
        "addresses.csv": [],
        "trajectories.csv": [],
    }
    event_counts = [0] * len(AGENCIES)
    record_counts = [0] * len(AGENCIES)
    person_lines = people = children = 0
    patterns: dict[str, int] = {}
    for plan in plans:
        hh, rng = build_household(plan, world.cal)
        sim = Sim(world, hh, rng)
        prepare(sim)
        routine(sim)
        plant(sim)
        out = sim.flush()
        for index, lines in out.persons.items():
            persons.setdefault(index, []).extend(lines)
            person_lines += len(lines)
        for bucket, lines in out.events.items():
            events.setdefault(bucket, []).extend(lines)
        for i in range(len(AGENCIES)):
            event_counts[i] += out.event_counts[i]
            record_counts[i] += out.person_counts[i]
        truth["persons.csv"].extend(out.truth_persons)
        truth["trajectories.csv"].extend(out.truth_trajectories)
        if hh.pattern:
            patterns[hh.pattern] = patterns.get(hh.pattern, 0) + 1
        for p in hh.members:
            truth["people.csv"].append(_person_row(p, hh.hid))
            truth["households.csv"].append(
                [
                    hh.hid,
                    p.pid,
                    p.role,
                    day_iso(p.joined),
                    day_iso(p.left) if p.left is not None else "",
                ]
            )
            if p.role == "child":
                truth["children.csv"].append([p.pid, hh.hid, day_iso(p.dob), p.sex])
                children += 1
        for p in sim.extra_people:
            truth["people.csv"].append(_person_row(p, f"{hh.hid}C"))
        for hid, p, role, start, end in hh.extra_households:
            truth["households.csv"].append(
                [hid, p.pid, role, day_iso(start), day_iso(end) if end is not None else ""]
            )
        people += len(hh.members) + len(sim.extra_people)
        truth["household_attributes.csv"].append(
            [
                hh.hid,
                hh.ethnicity,
                str(hh.decile),
                str(hh.level),
                hh.structure,
                "yes" if hh.social_housing else "no",
            ]
        )
        for start, addr in hh.moves:
            truth["addresses.csv"].append(
                [hh.hid, day_iso(start), addr[0], addr[1] or "", addr[2], addr[3]]
            )
    return _Chunk(
        persons={i: b"".join(lines) for i, lines in persons.items()},
        events={b: b"".join(lines) for b, lines in events.items()},
        truth={name: csv_text(rows) for name, rows in truth.items()},
        event_counts=event_counts,
        record_counts=record_counts,
        person_lines=person_lines,
        people=people,
        children=children,
        trajectories=patterns,
    )


def _chunks(plans: list[HouseholdPlan], size: int) -> Iterator[list[HouseholdPlan]]:
    for i in range(0, len(plans), size):
        yield plans[i : i + size]


def _results(
    plans: list[HouseholdPlan], start: date, noise: NoiseConfig, workers: int
) -> Iterator[_Chunk]:
    """Chunks in order; with workers, a bounded number in flight so memory stays flat."""
    if workers <= 1:
        _init_worker(start, noise)
        for chunk in _chunks(plans, CHUNK_HOUSEHOLDS):
            yield _make_chunk(chunk)
        return
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
    with ProcessPoolExecutor(
        max_workers=workers, mp_context=context, initializer=_init_worker, initargs=(start, noise)
    ) as pool:
        pending: deque[Future[_Chunk]] = deque()
        for chunk in _chunks(plans, CHUNK_HOUSEHOLDS):
            pending.append(pool.submit(_make_chunk, chunk))
            if len(pending) >= workers * 3:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


def default_workers() -> int:
    return max(1, min(4, os.cpu_count() or 1))


def generate(
    *,
    children: int,
    seed: int,
    out: Path,
    start: date = DEFAULT_START,
    noise: NoiseConfig | None = None,
    workers: int = 1,
) -> Summary:
    """Write a synthetic local authority's agency files and truth files to `out`."""
    if not 1 <= children <= MAX_CHILDREN:
        raise ValueError(f"children must be between 1 and {MAX_CHILDREN}")
    began = time.monotonic()
    noise = noise or NoiseConfig()
    cal = Calendar(start)
    plans = plan_population(children, seed, cal)
    writer = Writer(out, cal.buckets)
    event_counts = [0] * len(AGENCIES)
    record_counts = [0] * len(AGENCIES)
    person_lines = people = made_children = 0
    patterns: dict[str, int] = {}
    try:
        for chunk in _results(plans, start, noise, workers):
            for index, blob in sorted(chunk.persons.items()):
                writer.add_persons(index, blob)
            for bucket, blob in sorted(chunk.events.items()):
                writer.add_events(bucket, blob)
            for name, text in chunk.truth.items():
                writer.add_truth(name, text)
            for i in range(len(AGENCIES)):
                event_counts[i] += chunk.event_counts[i]
                record_counts[i] += chunk.record_counts[i]
            person_lines += chunk.person_lines
            people += chunk.people
            made_children += chunk.children
            for pattern, n in chunk.trajectories.items():
                patterns[pattern] = patterns.get(pattern, 0) + n
        files = writer.finish()
    except BaseException:
        writer.abort()
        raise
    if made_children != children:
        raise AssertionError(f"made {made_children} children, not {children}")
    return Summary(
        out=out,
        children=made_children,
        households=len(plans),
        people=people,
        person_records=sum(record_counts),
        person_lines=person_lines,
        events=sum(event_counts),
        events_by_agency={a.code: event_counts[a.index] for a in AGENCIES},
        records_by_agency={a.code: record_counts[a.index] for a in AGENCIES},
        trajectories=dict(sorted(patterns.items())),
        files=files,
        seconds=time.monotonic() - began,
    )
