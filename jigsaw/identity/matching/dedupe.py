"""Batch de-duplication of a CSV of person records: the analysts' tool.

Input header: record_id,source,given_name,family_name,date_of_birth,sex,nhs_number,address_line,
postcode. Any value may be empty. A value that cannot be used (a date that is not YYYY-MM-DD, or
is in the future or before 1900; a postcode that is not a UK postcode, or is an NHS ZZ99
placeholder such as "no fixed abode"; an NHS number failing its check) is ignored for matching
and counted; it never stops the run. A file that is not UTF-8 is read as Windows-1252 (what
spreadsheets on Windows save), with a note. Output: record_id,cluster_id for every input row, in
input order.
"""

from __future__ import annotations

import csv
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from jigsaw.identity.matching.engine import link
from jigsaw.identity.matching.normalise import Rec, normalise

FIELDS = (
    "record_id",
    "source",
    "given_name",
    "family_name",
    "date_of_birth",
    "sex",
    "nhs_number",
    "address_line",
    "postcode",
)


@dataclass
class DedupeSummary:
    records: int
    clusters: int
    auto_links: int
    review_pairs: int
    refused_links: int
    candidate_pairs: int
    seconds: float
    warnings: dict[str, int] = field(default_factory=dict)  # field -> values ignored
    notes: list[str] = field(default_factory=list)  # about the file as a whole


# Dates of birth before this are typing errors (or placeholders such as 1800-01-01).
EARLIEST_BIRTH = date(1900, 1, 1)


def _date(text: str) -> date | None:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        return None


def _encoding(path: str | Path) -> str:
    """UTF-8 (with or without a byte-order mark) if the file is, else Windows-1252."""
    with open(path, "rb") as handle:
        data = handle.read()
    try:
        data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            data.decode("cp1252")
        except UnicodeDecodeError as exc:
            raise ValueError(
                f"{path}: neither UTF-8 nor Windows-1252 (byte {exc.start + 1} cannot be read); "
                "save the file as UTF-8 CSV"
            ) from None
        return "cp1252"
    return "utf-8-sig"


def read_csv(
    path: str | Path, *, today: date, notes: list[str] | None = None
) -> tuple[list[Rec], Counter[str]]:
    """Records from a CSV, and how many values of each field were ignored as unusable.

    Dates of birth after `today` or before 1900 are ignored. What is said about the file as a
    whole (that it was not UTF-8) is added to `notes`.
    """
    warnings: Counter[str] = Counter()
    records: list[Rec] = []
    seen: set[str] = set()
    encoding = _encoding(path)
    if encoding == "cp1252" and notes is not None:
        notes.append(f"{path} is not UTF-8: read as Windows-1252")
    with open(path, newline="", encoding=encoding) as handle:
        reader = csv.DictReader(handle)
        missing = [f for f in ("record_id",) if f not in (reader.fieldnames or [])]
        if missing:
            raise ValueError(f"{path}: no {', '.join(missing)} column")
        for number, row in enumerate(reader, start=2):
            get = {k: (row.get(k) or "").strip() for k in FIELDS}
            record_id = get["record_id"] or f"row-{number}"
            if record_id in seen:
                # Two rows with one id are still two rows to cluster; keep them apart by line.
                warnings["duplicate_record_id"] += 1
                record_id = f"{record_id}#row-{number}"
            seen.add(record_id)
            dob = _date(get["date_of_birth"]) if get["date_of_birth"] else None
            if get["date_of_birth"] and dob is None:
                warnings["date_of_birth"] += 1
            elif dob is not None and dob > today:
                warnings["date_of_birth_future"] += 1
                dob = None
            elif dob is not None and dob < EARLIEST_BIRTH:
                warnings["date_of_birth_before_1900"] += 1
                dob = None
            records.append(
                Rec(
                    id=record_id,
                    source=get["source"],
                    given_name=get["given_name"],
                    family_name=get["family_name"],
                    date_of_birth=dob,
                    sex=get["sex"],
                    nhs_number=get["nhs_number"],
                    address_line=get["address_line"],
                    postcode=get["postcode"],
                )
            )
    return records, warnings


def dedupe_csv(
    input_path: str | Path, output_path: str | Path, *, today: date, seed: int = 1
) -> DedupeSummary:
    """Train on the input, link it, and write record_id,cluster_id for every input row.
    `today` is the day after which a date of birth is in the future."""
    started = time.perf_counter()
    notes: list[str] = []
    records, warnings = read_csv(input_path, today=today, notes=notes)
    for rec in records:
        for problem in normalise(rec).problems:
            warnings[problem] += 1
    if len(records) >= 2:
        result = link(records, seed=seed)
        persons = result.persons
        counts = (
            result.auto_links,
            len(result.review),
            len(result.refused),
            result.candidate_pairs,
        )
    else:
        persons = {r.id: k for k, r in enumerate(records)}
        counts = (0, 0, 0, 0)
    with open(output_path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["record_id", "cluster_id"])
        for rec in records:
            writer.writerow([rec.id.split("#row-")[0], persons[rec.id]])
    return DedupeSummary(
        records=len(records),
        clusters=len(set(persons.values())),
        auto_links=counts[0],
        review_pairs=counts[1],
        refused_links=counts[2],
        candidate_pairs=counts[3],
        seconds=round(time.perf_counter() - started, 2),
        warnings=dict(sorted(warnings.items())),
        notes=notes,
    )
