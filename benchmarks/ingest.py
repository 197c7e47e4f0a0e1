"""Ingest speed: a synthetic local authority's files into SQLite and PostgreSQL.

Writes benchmarks/results/ingest.json: events per second for file ingest of a 20,000-child
synthetic local authority on each database (goal: at least 10,000 events/s on PostgreSQL), and
the generator's time and peak memory for 100,000 children.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
from pathlib import Path
from typing import Any

from benchmarks.common import JIGSAW, WORK, run, write

POSTGRES = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/jigsaw_bench")


def _count_lines(directory: Path) -> dict[str, int]:
    counts = {"agency": 0, "person": 0, "event": 0}
    for path in directory.glob("*.jsonl"):
        with open(path, "rb") as handle:
            for line in handle:
                kind = json.loads(line)["kind"]
                counts[kind] += 1
    return counts


def _generate(children: int, seed: int) -> tuple[Path, dict[str, Any]]:
    out = WORK / f"la-{children}-{seed}"
    shutil.rmtree(out, ignore_errors=True)
    timed = run(
        [*JIGSAW, "synth", "--children", str(children), "--seed", str(seed), "--out", str(out)]
    )
    return out, {
        "children": children,
        "seconds": round(timed.seconds, 2),
        "peak_rss_mb": round(timed.peak_rss_mb),
    }


def _recreate_postgres(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')


def _ingest(
    directory: Path, database_url: str, counts: dict[str, int], *, jobs: int = 1
) -> dict[str, Any]:
    env = {"DATABASE_URL": database_url}
    run([*JIGSAW, "migrate", "--verbosity", "0"], env=env)
    files = sorted(str(p) for p in directory.glob("*.jsonl"))
    timed = run([*JIGSAW, "ingest", "--jobs", str(jobs), *files], env=env)
    objects = sum(counts.values())
    return {
        "seconds": round(timed.seconds, 2),
        "events": counts["event"],
        "objects": objects,
        "events_per_second": round(counts["event"] / timed.seconds),
        "objects_per_second": round(objects / timed.seconds),
        "peak_rss_mb": round(timed.peak_rss_mb),
        "jobs": jobs,
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--children", type=int, default=20_000)
    parser.add_argument("--generator-children", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)

    la, generated = _generate(args.children, args.seed)
    counts = _count_lines(la)
    result: dict[str, Any] = {
        "synthetic_la": {**generated, "objects": counts},
        "goal": {"postgresql_events_per_second": 10_000},
    }
    sqlite_file = WORK / "ingest-bench.sqlite3"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{sqlite_file}{suffix}").unlink(missing_ok=True)
    result["sqlite"] = _ingest(la, f"sqlite:///{sqlite_file}", counts)
    try:
        _recreate_postgres(POSTGRES)
    except Exception as exc:  # no server: say so in the results rather than fail the run
        result["postgresql"] = {"skipped": f"PostgreSQL not reachable: {exc}"}
    else:
        # One process, then one per core: files of different agencies are stored side by side.
        result["postgresql_one_process"] = _ingest(la, POSTGRES, counts)
        _recreate_postgres(POSTGRES)
        result["postgresql"] = _ingest(la, POSTGRES, counts, jobs=os.cpu_count() or 1)
    result["postgresql_meets_goal"] = (
        result["postgresql"].get("events_per_second", 0)
        >= result["goal"]["postgresql_events_per_second"]
    )
    big, big_generated = _generate(args.generator_children, args.seed)
    result["generator"] = {**big_generated, "objects": _count_lines(big)}
    shutil.rmtree(big, ignore_errors=True)
    path = write("ingest", result)
    print(f"wrote {path}")
    print(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main()
