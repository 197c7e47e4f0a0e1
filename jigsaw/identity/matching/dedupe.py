"""Batch de-duplication of a CSV of person records: the analysts' tool.

Input header: record_id,source,given_name,family_name,date_of_birth,sex,nhs_number,address_line,
postcode. Any value may be empty. A value that cannot be used (a date that is not YYYY-MM-DD, a
postcode that is not a UK postcode, an NHS number failing its check) is ignored for matching and
counted; it never stops the run. Output: record_id,cluster_id for every input row, in input order.
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


def _date(text: str) -> date | None:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        return None


def read_csv(path: str | Path) -> tuple[list[Rec], Counter[str]]:
    """Records from a CSV, and how many values of each field were ignored as unusable."""
    warnings: Counter[str] = Counter()
    records: list[Rec] = []
    seen: set[str] = set()
    with open(path, newline="", encoding="utf-8-sig") as handle:
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


def dedupe_csv(input_path: str | Path, output_path: str | Path, *, seed: int = 1) -> DedupeSummary:
    """Train on the input, link it, and write record_id,cluster_id for every input row."""
    started = time.perf_counter()
    records, warnings = read_csv(input_path)
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
    )
