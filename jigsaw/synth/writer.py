"""Writing the agency files and the truth files, in bounded memory.

Person lines go straight into each agency's file (after its agency line) as households are made.
Event lines cannot: a file lists events in order of occurrence across all households. They go to
one scratch file per calendar month, each line prefixed with the agency's index and the time;
at the end each month is read back, sorted on that prefix (a stable sort, so a correction stays
after the event it corrects) and appended to the agency files. Only one month is ever in memory.
"""

from __future__ import annotations

import shutil
from itertools import groupby
from pathlib import Path
from typing import IO

import orjson

from jigsaw.synth.agencies import AGENCIES

_KEY = 23  # "NN YYYY-MM-DDTHH:MM:00Z": agency index, a space, the occurred_at
_SCRATCH = ".synth-scratch"

TRUTH_HEADERS: dict[str, tuple[str, ...]] = {
    "persons.csv": ("agency", "local_id", "person_id"),
    "people.csv": (
        "person_id",
        "household_id",
        "role",
        "given_name",
        "middle_name",
        "family_name",
        "other_family_names",
        "sex",
        "date_of_birth",
        "nhs_number",
        "traits",
    ),
    "children.csv": ("person_id", "household_id", "date_of_birth", "sex"),
    "households.csv": ("household_id", "person_id", "role", "from", "to"),
    "household_attributes.csv": (
        "household_id",
        "ethnicity",
        "deprivation_decile",
        "need_level",
        "structure",
        "social_housing",
    ),
    "addresses.csv": ("household_id", "from", "line1", "line2", "town", "postcode"),
    "trajectories.csv": (
        "child_person_id",
        "pattern",
        "harm_date",
        "household_id",
        "first_signal_date",
        "signal_count",
        "signal_agencies",
        "siblings",
        "description",
    ),
}


def _agency_line(index: int) -> bytes:
    return orjson.dumps(AGENCIES[index].as_object()) + b"\n"


class Writer:
    def __init__(self, out: Path, buckets: int) -> None:
        self.out = out
        out.mkdir(parents=True, exist_ok=True)
        (out / "truth").mkdir(exist_ok=True)
        self.scratch = out / _SCRATCH
        shutil.rmtree(self.scratch, ignore_errors=True)
        self.scratch.mkdir()
        self.agency_paths = [out / f"{a.code}.jsonl" for a in AGENCIES]
        self.agency_files: list[IO[bytes]] = []
        for i, path in enumerate(self.agency_paths):
            f = path.open("wb")
            f.write(_agency_line(i))
            self.agency_files.append(f)
        self.bucket_paths = [self.scratch / f"{b:03d}.events" for b in range(buckets)]
        self.bucket_files: list[IO[bytes]] = [p.open("wb") for p in self.bucket_paths]
        self.truth_paths = {name: out / "truth" / name for name in TRUTH_HEADERS}
        self.truth_files: dict[str, IO[str]] = {}
        for name, header in TRUTH_HEADERS.items():
            f_text = self.truth_paths[name].open("w", encoding="utf-8", newline="")
            f_text.write(",".join(header) + "\n")
            self.truth_files[name] = f_text

    def add_persons(self, agency_index: int, blob: bytes) -> None:
        self.agency_files[agency_index].write(blob)

    def add_events(self, bucket: int, blob: bytes) -> None:
        self.bucket_files[bucket].write(blob)

    def add_truth(self, name: str, text: str) -> None:
        self.truth_files[name].write(text)

    def finish(self) -> list[Path]:
        """Sort each month's events into the agency files; returns every file written."""
        for f in self.bucket_files:
            f.close()
        for path in self.bucket_paths:
            lines = path.read_bytes().splitlines(keepends=True)
            lines.sort(key=lambda line: line[:_KEY])
            for agency, group in groupby(lines, key=lambda line: line[:2]):
                self.agency_files[int(agency)].write(b"".join(line[_KEY + 1 :] for line in group))
            del lines
            path.unlink()
        for f in self.agency_files:
            f.close()
        for f_text in self.truth_files.values():
            f_text.close()
        shutil.rmtree(self.scratch, ignore_errors=True)
        return [*self.agency_paths, *self.truth_paths.values()]

    def abort(self) -> None:
        for f in [*self.bucket_files, *self.agency_files]:
            f.close()
        for f_text in self.truth_files.values():
            f_text.close()
        shutil.rmtree(self.scratch, ignore_errors=True)
