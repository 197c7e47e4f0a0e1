"""Risk flags on a synthetic local authority: who is flagged before harm, alert burden, fairness,
replay speed and ingest-to-flag latency.

`python -m benchmarks.risk [--children N] [--seed S] [--caseload C]` (SQLite, a fresh database
under benchmarks/work/). The planted trajectories in truth/ say which children came to harm and
when; truth person ids are mapped to Jigsaw persons through the records' links.

`--replay-only [--workers N] [--repeat R] [--dump FILE]` times the replay alone, on a copy of
the database a full run keeps as ingested (and with the same `until`), without writing results;
`--dump` writes every flag, revision and action the replay stored, in order, to compare runs.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import os
import shutil
import statistics
import time
from collections import Counter, defaultdict
from datetime import UTC, date, datetime, timedelta
from typing import Any

from benchmarks.common import JIGSAW, WORK, run, write

HIGH = {"immediate", "high"}


def _harm(row: dict[str, str]) -> date:
    """The harm date; a negative case (no harm) counts flags at any time."""
    return date.fromisoformat(row["harm_date"]) if row.get("harm_date") else date(2100, 1, 1)


def _percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(prog="benchmarks.risk")
    parser.add_argument("--children", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--caseload", type=int, default=17, help="open children per social worker")
    parser.add_argument("--latency-batches", type=int, default=200)
    parser.add_argument("--replay-only", action="store_true", help="time the replay alone")
    parser.add_argument("--workers", type=int, help="with --replay-only: replay processes")
    parser.add_argument("--repeat", type=int, default=1, help="with --replay-only: runs")
    parser.add_argument("--dump", help="with --replay-only: write the stored flags here")
    args = parser.parse_args(argv or [])
    ingested = WORK / f"risk-{args.children}-{args.seed}-ingested.sqlite3"
    if args.replay_only:
        return _replay_only(args, ingested)
    out = WORK / f"risk-la-{args.children}-{args.seed}"
    if not out.exists():
        run([*JIGSAW, "synth", "--children", str(args.children), "--seed", str(args.seed),
             "--out", str(out)])  # fmt: skip
    db = WORK / f"risk-{args.children}-{args.seed}.sqlite3"
    db.unlink(missing_ok=True)
    os.environ["DATABASE_URL"] = f"sqlite:///{db}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jigsaw.config.settings.base")
    import django

    django.setup()
    from django.core.management import call_command

    from jigsaw.core.clock import clock
    from jigsaw.identity.models import Link
    from jigsaw.records.models import EventVersion, PersonRecord
    from jigsaw.records.services import batch_ingest, file_sha256, jsonl_source
    from jigsaw.records.tests.factories import list_source
    from jigsaw.risk.models import Flag, FlagRevision
    from jigsaw.risk.services import _replay_workers, all_persons, flags_replay

    call_command("migrate", verbosity=0)
    files = sorted(out.glob("*.jsonl"))
    started = time.perf_counter()
    for path in files:
        report = batch_ingest(source=jsonl_source(path), channel="file", source_name=path.name,
                              sha256=file_sha256(path))  # fmt: skip
        assert report.accepted, report.errors[:3]
    ingest_seconds = time.perf_counter() - started
    last = EventVersion.objects.order_by("-recorded_at").values_list("recorded_at", flat=True)[0]
    first = EventVersion.objects.order_by("recorded_at").values_list("recorded_at", flat=True)[0]
    until = clock.now()
    # Kept for `--replay-only`, with the moment the replay runs to.
    shutil.copyfile(db, ingested)
    ingested.with_suffix(".until").write_text(until.isoformat())
    # The same replay in one process, on a copy of the database, for comparison.
    alone = WORK / f"risk-{args.children}-{args.seed}-one-process.sqlite3"
    shutil.copyfile(db, alone)
    single = json.loads(
        run([*JIGSAW, "replay", "--json", "--until", until.isoformat()],
            env={"DATABASE_URL": f"sqlite:///{alone}", "JIGSAW_RISK_REPLAY_WORKERS": "1"},
            ).stdout.strip().splitlines()[-1]
    )  # fmt: skip
    alone.unlink()
    processes = _replay_workers(len(all_persons(until=until)))
    started = time.perf_counter()
    replay = flags_replay(until=until)
    replay_seconds = time.perf_counter() - started

    # Truth person -> Jigsaw person, through the records' latest links.
    record_ids = {
        (code, local): pk
        for pk, code, local in PersonRecord.objects.values_list("pk", "agency__code", "local_id")
    }
    linked: dict[int, int] = {}
    for record, person in Link.objects.order_by("record_id", "id").values_list(
        "record_id", "person_id"
    ):
        linked[record] = person
    to_jigsaw: dict[str, set[int]] = defaultdict(set)
    with open(out / "truth" / "persons.csv") as handle:
        for row in csv.DictReader(handle):
            rec = record_ids.get((row["agency"], row["local_id"]))
            if rec in linked:
                to_jigsaw[row["person_id"]].add(linked[rec])
    severity = {r.flag_id: r.severity for r in FlagRevision.objects.order_by("flag_id", "number")}
    by_person: dict[int, list[tuple[datetime, str]]] = defaultdict(list)
    for f in Flag.objects.all():
        by_person[f.person_id].append((f.raised_at, severity[f.pk]))

    def flagged_before(truth_person: str, harm: date, levels: set[str] | None) -> float | None:
        cut = datetime.combine(harm, datetime.min.time(), tzinfo=UTC)
        times = [
            raised
            for p in to_jigsaw.get(truth_person, ())
            for raised, sev in by_person.get(p, ())
            if raised < cut and (levels is None or sev in levels)
        ]
        return (cut - min(times)).total_seconds() / 86400 if times else None

    patterns: dict[str, dict[str, Any]] = {}
    with open(out / "truth" / "trajectories.csv") as handle:
        rows = list(csv.DictReader(handle))
    for pattern in sorted({r["pattern"] for r in rows}):
        cases = [r for r in rows if r["pattern"] == pattern]
        high = [flagged_before(r["child_person_id"], _harm(r), HIGH)
                for r in cases]  # fmt: skip
        anyf = [flagged_before(r["child_person_id"], _harm(r), None)
                for r in cases]  # fmt: skip
        patterns[pattern] = {
            "cases": len(cases),
            "share_flagged_high_or_immediate": sum(x is not None for x in high) / len(cases),
            "share_flagged_any": sum(x is not None for x in anyf) / len(cases),
            "median_lead_days_high": statistics.median([x for x in high if x is not None])
            if any(x is not None for x in high) else None,
            "median_lead_days_any": statistics.median([x for x in anyf if x is not None])
            if any(x is not None for x in anyf) else None,
        }  # fmt: skip

    children = list(csv.DictReader((out / "truth" / "children.csv").read_text().splitlines()))
    attributes = {
        r["household_id"]: r
        for r in csv.DictReader(
            (out / "truth" / "household_attributes.csv").read_text().splitlines()
        )
    }
    flags_total = sum(len(v) for v in by_person.values())
    months = max(1.0, (last - first).days / 30.44)
    weeks = months * 30.44 / 7
    open_children = len({p for p, v in by_person.items() if v})
    social_workers = max(1.0, open_children / args.caseload)

    def rate(group_of: Any) -> dict[str, float]:
        counts: Counter[str] = Counter()
        flagged: Counter[str] = Counter()
        for c in children:
            group = group_of(attributes.get(c["household_id"], {}))
            counts[group] += 1
            flagged[group] += sum(
                len(by_person.get(p, [])) for p in to_jigsaw.get(c["person_id"], ())
            )
        return {g: round(1000 * flagged[g] / counts[g], 1) for g in sorted(counts)}

    # Ingest-to-flag latency: one event per batch, the hook evaluating the child in the batch.
    child_records = [
        (code, local) for (code, local), pk in list(record_ids.items())[:5000]
        if code.startswith("GP")
    ][: args.latency_batches]  # fmt: skip
    latencies = []
    now = clock.now()
    for i, (code, local) in enumerate(child_records):
        at = (now + timedelta(seconds=i)).isoformat().replace("+00:00", "Z")
        obj = {"kind": "event", "agency": code, "event_id": f"BENCH-{i}", "type": "concern_raised",
               "occurred_at": at, "recorded_at": at,
               "subjects": [{"local_id": local, "role": "child"}],
               "details": {"category": "neglect"}}  # fmt: skip
        with clock.frozen(now + timedelta(seconds=i + 1)):
            t = time.perf_counter()
            batch_ingest(source=list_source([obj]), channel="api", source_name=code,
                         sha256=hashlib.sha256(str(i).encode()).hexdigest())  # fmt: skip
            latencies.append((time.perf_counter() - t) * 1000)

    result = {
        "children": args.children,
        "seed": args.seed,
        "events": replay.events,
        "ingest_seconds": round(ingest_seconds, 1),
        "replay": {
            "seconds": round(replay_seconds, 1),
            "events_per_second": round(replay.events / replay_seconds, 1),
            "evaluations": replay.evaluations,
            "processes": processes,
            "one_process": {
                "seconds": round(single["seconds"], 1),
                "events_per_second": round(single["events"] / single["seconds"], 1),
            },
            "goal_events_per_second": 30000,
        },
        "patterns": patterns,
        "negative_accidental_injury_share_high_or_immediate": patterns.get(
            "accidental-injury", {}
        ).get("share_flagged_high_or_immediate"),
        "burden": {
            "flags": flags_total,
            "months": round(months, 1),
            "flags_per_1000_children_per_month": round(
                1000 * flags_total / args.children / months, 2
            ),
            "caseload_assumed": args.caseload,
            "flags_per_social_worker_per_week": round(flags_total / social_workers / weeks, 3),
        },
        "flags_per_1000_children_by_ethnicity": rate(lambda a: a.get("ethnicity", "unknown")),
        "flags_per_1000_children_by_deprivation_decile": rate(
            lambda a: a.get("deprivation_decile", "unknown")
        ),
        "ingest_to_flag_ms": {
            "batches": len(latencies),
            "p50": round(_percentile(latencies, 50), 1),
            "p95": round(_percentile(latencies, 95), 1),
            "p99": round(_percentile(latencies, 99), 1),
            "goal_p99": 100,
        },
    }
    path = write("risk", result)
    print(f"wrote {path}")
    return result


def _replay_only(args: argparse.Namespace, ingested: Any) -> dict[str, Any]:
    """Time the replay alone on copies of the ingested database, `args.repeat` times."""
    if not ingested.exists():
        raise SystemExit(f"{ingested} is missing: run the full benchmark once first")
    until = datetime.fromisoformat(ingested.with_suffix(".until").read_text())
    db = WORK / f"risk-{args.children}-{args.seed}-replay.sqlite3"
    os.environ["DATABASE_URL"] = f"sqlite:///{db}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jigsaw.config.settings.base")
    if args.workers:
        os.environ["JIGSAW_RISK_REPLAY_WORKERS"] = str(args.workers)
    import django

    django.setup()
    from django.db import connection

    from jigsaw.core.clock import clock
    from jigsaw.risk.services import flags_replay

    runs = []
    for _ in range(args.repeat):
        connection.close()
        shutil.copyfile(ingested, db)
        with clock.frozen(until):
            started = time.perf_counter()
            report = flags_replay(until=until)
            seconds = time.perf_counter() - started
        runs.append(seconds)
        print(
            f"replay {seconds:.2f} s, {report.events / seconds:,.0f} events/s, "
            f"{report.evaluations} evaluations, {report.flags_raised} flags, "
            f"{report.revisions} revised, {report.historical} historical"
        )
    if args.dump:
        _dump(args.dump)
    return {"seconds": runs, "events": report.events}


def _dump(path: str) -> None:
    """Every flag, revision and action, in the order stored, one JSON line each."""
    from jigsaw.risk.models import Flag, FlagAction, FlagRevision

    def line(row: dict[str, Any]) -> str:
        return json.dumps(row, sort_keys=True, default=str)

    with open(path, "w") as handle:
        for name, model in (("flag", Flag), ("revision", FlagRevision), ("action", FlagAction)):
            for row in model.objects.order_by("pk").values():
                handle.write(f"{name} {line(row)}\n")


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
