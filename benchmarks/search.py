"""Front-door search: query latency and memory of the person index at 1,000,000 records.

Person records come from a generated local authority (see benchmarks/linkage.py), replicated
with the date of birth moved by whole years per copy so that each copy is a different person
with a common name, until the index holds the target number of records. 1,000+ queries are then
built the way people ask at the front door: a subset of fields, sometimes misspelt or shortened.
Reports build time, index memory (RSS growth), p50/p95/p99 latency, and how often the right
person is first / in the top five. Writes benchmarks/results/search.json.

    python -m benchmarks.search [--records 1000000] [--queries 2000]
"""

from __future__ import annotations

import argparse
import gc
import os
import time
from dataclasses import replace
from datetime import date
from random import Random
from typing import Any

import numpy as np

from benchmarks.common import write
from benchmarks.linkage import _records, extract, generate, read_rows


def _rss_mb() -> float:
    with open("/proc/self/statm") as handle:
        pages = int(handle.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def _shift(d: date | None, years: int) -> date | None:
    if d is None:
        return None
    try:
        return d.replace(year=d.year - years)
    except ValueError:  # 29 February
        return d.replace(year=d.year - years, day=28)


def _typo(rng: Random, text: str) -> str:
    if len(text) < 4:
        return text
    i = rng.randrange(1, len(text) - 1)
    return text[:i] + text[i + 1] + text[i] + text[i + 2 :]


def main(argv: list[str] | None = None) -> dict[str, Any]:
    from jigsaw.identity.matching import PersonIndex, Query, train

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=2000)
    parser.add_argument("--children", type=int, default=50_000)
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args(argv)

    rows = read_rows(extract(generate(args.children, args.seed)))
    base = _records(rows)
    truth = [r["true_person"] for r in rows]
    model = train(base, seed=1)
    copies = -(-args.records // len(base))
    gc.collect()
    rss_before = _rss_mb()
    started = time.perf_counter()
    index = PersonIndex(model.for_population(args.records))
    records, persons = [], []
    for copy in range(copies):
        for rec, person in zip(base, truth, strict=True):
            if len(records) >= args.records:
                break
            records.append(
                replace(rec, id=f"{rec.id}/{copy}", date_of_birth=_shift(rec.date_of_birth, copy))
                if copy
                else rec
            )
            persons.append(f"{person}/{copy}")
    index.add_many(records, persons)
    build_seconds = time.perf_counter() - started
    del records
    gc.collect()
    index_mb = _rss_mb() - rss_before

    rng = Random(args.seed)
    latencies: list[float] = []
    first = top5 = 0
    kinds: dict[str, int] = {}
    for _ in range(args.queries):
        k = rng.randrange(len(index))
        rec_given = index.columns.given_text(k).split(" (")[0]
        rec_family = index.columns.family_text(k)
        dob = index.columns.dob_text(k)
        postcode = index.columns.string_text("unit", k)
        nhs = index.columns.nhs_text(k)
        kind = rng.choice(
            ["name+dob", "name+dob", "family+dob", "name+postcode", "nhs", "typo+dob",
             "given+dob+postcode"]
        )  # fmt: skip
        if kind in ("name+dob", "family+dob", "typo+dob", "given+dob+postcode") and not dob:
            kind = "name+postcode"
        if kind == "nhs" and not nhs:
            kind = "name+dob" if dob else "name+postcode"
        kinds[kind] = kinds.get(kind, 0) + 1
        born = date.fromisoformat(dob) if dob else None
        query = {
            "name+dob": Query(given_name=rec_given, family_name=rec_family, date_of_birth=born),
            "family+dob": Query(family_name=rec_family, date_of_birth=born),
            "name+postcode": Query(given_name=rec_given, family_name=rec_family, postcode=postcode),
            "nhs": Query(nhs_number=nhs),
            "typo+dob": Query(
                given_name=_typo(rng, rec_given), family_name=rec_family, date_of_birth=born
            ),
            "given+dob+postcode": Query(
                given_name=rec_given, date_of_birth=born, postcode=postcode
            ),
        }[kind]
        t = time.perf_counter()
        found = index.search(query, limit=5)
        latencies.append((time.perf_counter() - t) * 1000)
        want = index.person_ids[k]
        ids = [c.person_id for c in found]
        first += bool(ids) and ids[0] == want
        top5 += want in ids
    lat = np.asarray(latencies)
    result = {
        "records": len(index),
        "queries": len(latencies),
        "query_kinds": kinds,
        "build_seconds": round(build_seconds, 1),
        "index_rss_mb": round(index_mb),
        "latency_ms": {
            "p50": round(float(np.percentile(lat, 50)), 2),
            "p95": round(float(np.percentile(lat, 95)), 2),
            "p99": round(float(np.percentile(lat, 99)), 2),
            "max": round(float(lat.max()), 2),
        },
        "right_person_first": round(first / len(latencies), 4),
        "right_person_in_top_5": round(top5 / len(latencies), 4),
        "goal": {"p99_ms": 20, "index_mb": 2048},
    }
    print(result)
    write("search", result)
    return result


if __name__ == "__main__":
    main()
