"""National-scale batch linkage: Splink 5 on DuckDB, one machine, a few million person records.

A synthetic local authority's person records (latest version per agency + local_id) are
replicated as further "local authorities" until the target size is reached. Each replica is a
different population, not a copy: new record and person ids, NHS numbers re-drawn (valid
modulus-11 numbers, unique to the replica, the same re-drawing for every record that shared a
number, so wrong and shared numbers stay wrong and shared), outward postcodes moved to other
districts, and family names and address lines re-spelt with a letter substitution of the
replica's own (vowel for vowel, consonant for consonant). A substitution keeps exact agreement,
edit distance and Jaro-Winkler similarity between any two spellings, so the typing errors of the
source data carry over unchanged. Given names, dates of birth and sex are kept: the same given
name and date of birth recur across the country, as they do in real data. Ground truth is kept.

The input is written as Parquet and linked by Splink in its own process (for an honest peak
memory figure), phase by phase: u by seeded random sampling, m by EM on two sampled blocking
rules, chunked prediction with a threshold, clustering at a threshold. Pairwise precision,
recall and F1 are measured against the truth on every record. Writes
benchmarks/results/national.json.

    python -m benchmarks.national [--records 1340000 2680000] [--chunks 3]
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import os
import resource
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.common import WORK, run, write
from benchmarks.linkage import SPLINK_THRESHOLD, _splink_settings, extract, generate

PY = sys.executable
BASE_CHILDREN = 100_000
PREDICT_THRESHOLD = 0.01
# Outward-code areas far from the generator's own (north London), one district list per replica.
AREAS = [
    "AB",
    "B",
    "BD",
    "BN",
    "BS",
    "BT",
    "CB",
    "CF",
    "CV",
    "DD",
    "DE",
    "EH",
    "EX",
    "G",
    "HU",
    "L",
    "LE",
    "LS",
    "M",
    "NE",
    "NG",
    "OX",
    "PL",
    "PO",
    "S",
    "SA",
    "SO",
    "ST",
    "WV",
    "YO",
]


TIMED = ("load", "prior", "u_random_sampling", "em_date_of_birth", "em_full_name", "predict")
TIMED = (*TIMED, "cluster")


# --- input -------------------------------------------------------------------------------------


def _nhs_valid(bases: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Check digits for 9-digit bases, and which bases have one (modulus 11, never 10)."""
    digits = (bases[:, None] // 10 ** np.arange(8, -1, -1)) % 10
    total = (digits * np.arange(10, 1, -1)).sum(axis=1)
    check = (11 - total % 11) % 11
    return check, check != 10


def _nhs_numbers(rng: np.random.Generator, count: int, used: set[int]) -> list[str]:
    """`count` new valid NHS numbers in the 9xx xxx xxxx range, none of them in `used`."""
    out: list[str] = []
    while len(out) < count:
        bases = rng.integers(900_000_000, 1_000_000_000, size=2 * (count - len(out)) + 16)
        check, ok = _nhs_valid(bases)
        for base, digit in zip(bases[ok].tolist(), check[ok].tolist(), strict=True):
            number = base * 10 + digit
            if number not in used:
                used.add(number)
                out.append(str(number))
                if len(out) == count:
                    break
    return out


def _invalid_numbers(rng: np.random.Generator, count: int, used: set[int]) -> list[str]:
    """`count` new 10-digit numbers that fail the modulus-11 check."""
    out: list[str] = []
    while len(out) < count:
        bases = rng.integers(900_000_000, 1_000_000_000, size=count - len(out) + 16)
        check, ok = _nhs_valid(bases)
        wrong = np.where(ok, (check + 1 + rng.integers(0, 9, size=len(bases))) % 10, 0)
        for number in (bases * 10 + wrong).tolist():
            if number not in used:
                used.add(number)
                out.append(str(number))
                if len(out) == count:
                    break
    return out


def _cipher(rng: np.random.Generator) -> dict[int, int]:
    """A letter substitution: vowels to vowels, consonants to consonants, case kept."""
    vowels, consonants = "aeiou", "bcdfghjklmnpqrstvwxyz"
    mapping = dict(zip(vowels, rng.permutation(list(vowels)), strict=True))
    mapping |= dict(zip(consonants, rng.permutation(list(consonants)), strict=True))
    table = {ord(a): ord(str(b)) for a, b in mapping.items()}
    table |= {ord(a.upper()): ord(str(b).upper()) for a, b in mapping.items()}
    return table


def _is_valid_nhs(value: str) -> bool:
    if len(value) != 10 or not value.isdigit():
        return False
    check, ok = _nhs_valid(np.array([int(value[:9])]))
    return bool(ok[0]) and int(check[0]) == int(value[9])


def build(records: int, seed: int) -> tuple[Path, dict[str, Any]]:
    """The national input as Parquet (one row group per replica) with its truth column."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    base_csv = extract(generate(BASE_CHILDREN, seed))
    with open(base_csv, newline="") as handle:
        rows = list(csv.DictReader(handle))
    replicas = max(1, round(records / len(rows)))
    out = WORK / f"national-{BASE_CHILDREN}-{seed}-x{replicas}.parquet"
    info = {
        "base_children": BASE_CHILDREN,
        "base_records": len(rows),
        "base_persons": len({r["true_person"] for r in rows}),
        "replicas": replicas,
        "records": replicas * len(rows),
    }
    if out.exists():
        return out, info
    rng = np.random.default_rng(seed)
    numbers = sorted({r["nhs_number"] for r in rows if r["nhs_number"]})
    valid = [n for n in numbers if _is_valid_nhs(n)]
    invalid = [n for n in numbers if not _is_valid_nhs(n)]
    used = {int(n) for n in numbers if n.isdigit()}
    districts = sorted({r["postcode"].split(" ")[0] for r in rows if " " in r["postcode"]})
    pool = [f"{a}{n}" for a in AREAS for n in range(1, 21)]
    pool = [pool[k] for k in rng.permutation(len(pool))]
    tmp = out.with_suffix(".tmp")
    writer = None
    for k in range(replicas):
        if k == 0:
            nhs = {n: n for n in numbers}
            outward = {d: d for d in districts}
            letters: dict[int, int] = {}
        else:
            nhs = dict(zip(valid, _nhs_numbers(rng, len(valid), used), strict=True))
            nhs |= dict(zip(invalid, _invalid_numbers(rng, len(invalid), used), strict=True))
            chosen = pool[(k - 1) * len(districts) : k * len(districts)]
            outward = dict(zip(districts, chosen, strict=True))
            letters = _cipher(rng)

        def postcode(value: str, outward: dict[str, str] = outward) -> str | None:
            value = value.strip().upper()
            if not value:
                return None
            head, _, tail = value.partition(" ")
            return f"{outward.get(head, head)} {tail}".strip()

        def text(value: str, letters: dict[int, int] = letters) -> str | None:
            value = value.strip()
            return value.translate(letters).lower() if value else None

        table = pa.table(
            {
                "unique_id": [f"r{k}:{r['record_id']}" for r in rows],
                "given_name": [r["given_name"].strip().lower() or None for r in rows],
                "family_name": [text(r["family_name"]) for r in rows],
                "date_of_birth": [r["date_of_birth"].strip() or None for r in rows],
                "sex": [r["sex"].strip().lower() or None for r in rows],
                "nhs_number": [nhs.get(r["nhs_number"]) for r in rows],
                "address_line": [text(r["address_line"]) for r in rows],
                "postcode": [postcode(r["postcode"]) for r in rows],
                "true_person": [f"r{k}:{r['true_person']}" for r in rows],
            }
        )
        if writer is None:
            writer = pq.ParquetWriter(tmp, table.schema, compression="zstd")
        writer.write_table(table, row_group_size=200_000)
    assert writer is not None
    writer.close()
    tmp.rename(out)
    return out, info


# --- the Splink run (its own process) ----------------------------------------------------------


def national_blocking() -> list[Any]:
    """The 20k/50k rules with the date-of-birth-only rule split by an initial.

    Pairs from a date-of-birth-only block grow with the square of the population (a country has
    no more birthdays than a borough), so at national scale each date is paired with the first
    letter of the given or the family name: a surname change or a given-name variant is still
    caught by the other rule.
    """
    from splink import block_on

    return [
        block_on("nhs_number"),
        block_on("date_of_birth", "substr(given_name, 1, 1)"),
        block_on("date_of_birth", "substr(family_name, 1, 1)"),
        block_on("family_name", "substr(date_of_birth, 1, 4)"),
        block_on("given_name", "substr(date_of_birth, 1, 7)"),
        block_on("postcode", "substr(given_name, 1, 1)"),
        block_on("given_name", "family_name"),
    ]


def _cpu_seconds() -> float:
    """CPU time of this process, all threads (DuckDB's included)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def run_worker(
    parquet: Path, output: Path, *, threads: int, memory_gb: int, chunks: int, seed: int
) -> None:
    import duckdb
    import splink
    from splink import DuckDBAPI, Linker, block_on
    from splink.blocking_analysis import count_comparisons_from_blocking_rules

    phases: dict[str, float] = {}
    cpu: dict[str, float] = {}
    clock, cpu_clock = time.perf_counter(), _cpu_seconds()
    load_before = os.getloadavg()[0]

    def lap(name: str) -> None:
        nonlocal clock, cpu_clock
        now, cpu_now = time.perf_counter(), _cpu_seconds()
        phases[name], cpu[name] = round(now - clock, 2), round(cpu_now - cpu_clock, 2)
        clock, cpu_clock = now, cpu_now
        print(f"{name}: {phases[name]} s, {cpu[name]} CPU s", flush=True)

    spill = WORK / "national-spill"
    spill.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(":memory:")

    def sql(statement: str, params: list[Any] | None = None) -> tuple[Any, ...]:
        rows = con.execute(statement, params or []).fetchall()
        return rows[0] if rows else ()

    sql(f"SET threads = {threads}")
    sql(f"SET memory_limit = '{memory_gb}GB'")
    sql(f"SET temp_directory = '{spill}'")
    sql("SET preserve_insertion_order = false")
    sql(
        "CREATE TABLE persons AS SELECT * EXCLUDE (true_person) FROM read_parquet(?)",
        [str(parquet)],
    )
    sql("CREATE TABLE truth AS SELECT unique_id, true_person FROM read_parquet(?)", [str(parquet)])
    records = sql("SELECT count(*) FROM persons")[0]
    db_api = DuckDBAPI(connection=con)
    sdf = db_api.register("persons")
    blocking = national_blocking()
    linker = Linker(sdf, _splink_settings(blocking))
    lap("load")

    linker.training.estimate_probability_two_random_records_match(
        [block_on("nhs_number", "date_of_birth")], recall=0.7
    )
    lap("prior")
    linker.training.estimate_u_using_random_sampling(max_pairs=1e7, seed=seed)
    lap("u_random_sampling")
    linker.training.estimate_parameters_using_expectation_maximisation(
        block_on("date_of_birth"), max_pairs=5e6
    )
    lap("em_date_of_birth")
    linker.training.estimate_parameters_using_expectation_maximisation(
        block_on("given_name", "family_name"), max_pairs=5e6
    )
    lap("em_full_name")
    predictions = linker.inference.predict(
        threshold_match_probability=PREDICT_THRESHOLD,
        num_chunks_left=chunks,
        num_chunks_right=chunks,
    )
    lap("predict")
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
        predictions, threshold_match_probability=SPLINK_THRESHOLD
    )
    lap("cluster")
    linkage_seconds = round(sum(phases.values()), 2)

    # Everything below is measurement, outside the timed linkage.
    counts = count_comparisons_from_blocking_rules(
        sdf, blocking_rules=blocking, link_type="dedupe_only", record_sample_proportion=0.1
    )
    per_rule = [
        {"rule": c["blocking_rule"], "marginal_pairs": int(c["marginal_comparison_count"])}
        for c in counts
    ]
    candidate_pairs = int(counts[-1]["cumulative_comparison_count"])
    lap("count_candidate_pairs")

    cl, pr = clusters.physical_name, predictions.physical_name
    tp, pred_pairs = sql(
        f"""
        WITH j AS (SELECT c.cluster_id, t.true_person FROM {cl} c JOIN truth t USING (unique_id)),
        both_ AS (SELECT count(*) n FROM j GROUP BY cluster_id, true_person),
        pred AS (SELECT count(*) n FROM j GROUP BY cluster_id)
        SELECT (SELECT sum(n * (n - 1) / 2) FROM both_), (SELECT sum(n * (n - 1) / 2) FROM pred)
        """
    )
    true_pairs = sql(
        "SELECT sum(n * (n - 1) / 2) FROM (SELECT count(*) n FROM truth GROUP BY true_person)"
    )[0]
    auto_pairs, auto_hits, auto_across, kept_pairs, kept_hits = sql(
        f"""
        SELECT count(*) FILTER (WHERE p.match_probability >= {SPLINK_THRESHOLD}),
               count(*) FILTER (WHERE p.match_probability >= {SPLINK_THRESHOLD}
                                AND a.true_person = b.true_person),
               count(*) FILTER (WHERE p.match_probability >= {SPLINK_THRESHOLD}
                                AND split_part(a.unique_id, ':', 1)
                                    <> split_part(b.unique_id, ':', 1)),
               count(*), count(*) FILTER (WHERE a.true_person = b.true_person)
        FROM {pr} p JOIN truth a ON a.unique_id = p.unique_id_l
                    JOIN truth b ON b.unique_id = p.unique_id_r
        """
    )
    # Blocking recall: the share of true pairs that meet at least one prediction rule.
    conditions = " OR ".join(
        f"({b.get_blocking_rule('duckdb').blocking_rule_sql})" for b in blocking
    )
    blocked_true = sql(
        f"""
        WITH tp AS (
            SELECT a.unique_id AS il, b.unique_id AS ir FROM truth a JOIN truth b
            ON a.true_person = b.true_person AND a.unique_id < b.unique_id
        )
        SELECT count(*) FROM tp JOIN persons l ON l.unique_id = tp.il
                                JOIN persons r ON r.unique_id = tp.ir
        WHERE {conditions}
        """
    )[0]
    lap("evaluate")
    precision = tp / pred_pairs if pred_pairs else 1.0
    recall = tp / true_pairs if true_pairs else 1.0
    model = json.loads(json.dumps(linker.misc.save_model_to_json()))
    out = {
        "engine": f"splink {splink.__version__} (duckdb {duckdb.__version__})",
        "records": int(records),
        "duckdb": {"threads": threads, "memory_limit_gb": memory_gb},
        "predict_chunks": [chunks, chunks],
        "predict_threshold_match_probability": PREDICT_THRESHOLD,
        "cluster_threshold_match_probability": SPLINK_THRESHOLD,
        "blocking_rules": per_rule,
        "candidate_pairs_estimated": candidate_pairs,
        "phase_seconds": {k: v for k, v in phases.items() if k in TIMED},
        "linkage_seconds": linkage_seconds,
        "phase_cpu_seconds": {k: v for k, v in cpu.items() if k in TIMED},
        "linkage_cpu_seconds": round(sum(v for k, v in cpu.items() if k in TIMED), 2),
        "load_average_1min": {"start": round(load_before, 2), "end": round(os.getloadavg()[0], 2)},
        "measurement_seconds": {k: v for k, v in phases.items() if k not in TIMED},
        "predict_pairs_per_second": round(candidate_pairs / max(phases["predict"], 1e-9)),
        "predict_pairs_per_cpu_second": round(candidate_pairs / max(cpu["predict"], 1e-9)),
        "predictions_kept": int(kept_pairs),
        "predictions_kept_true_share": round(kept_hits / max(kept_pairs, 1), 5),
        "auto_link_pairs": int(auto_pairs),
        "auto_link_precision": round(auto_hits / max(auto_pairs, 1), 5),
        "auto_link_false_pairs_across_replicas": int(auto_across),
        "true_pairs": int(true_pairs),
        "blocking_recall": round(blocked_true / true_pairs, 5) if true_pairs else 1.0,
        "predicted_pairs": int(pred_pairs),
        "pairwise_precision": round(precision, 5),
        "pairwise_recall": round(recall, 5),
        "pairwise_f1": round(2 * precision * recall / (precision + recall), 5),
        "model": model,
    }
    output.write_text(json.dumps(out, indent=2))


# --- extrapolation -----------------------------------------------------------------------------


def extrapolate(measured: list[dict[str, Any]]) -> dict[str, Any]:
    """Pairs and time at national sizes, from the measured runs (labelled as such).

    Candidate pairs per record grow about linearly with the population for blocks keyed on
    date of birth (a fixed set of birthdays shared by more people) and stay flat for blocks
    keyed on NHS number, postcode or full name. A straight line through the measured pairs per
    record gives the pairs at N. Prediction costs the measured CPU seconds per pair; loading,
    training and clustering cost the measured CPU seconds per record (conservative: training is
    bounded by its max_pairs settings). Wall time is CPU time over the target's cores, as DuckDB
    and Spark both spread these steps over cores; shuffles, stragglers and I/O are not modelled.
    """
    points = sorted((m["records"], m["candidate_pairs_estimated"] / m["records"]) for m in measured)
    if len(points) >= 2:
        (n0, q0), (n1, q1) = points[0], points[-1]
        slope = (q1 - q0) / (n1 - n0)
        intercept = q0 - slope * n0
    else:
        (n1, q1) = points[0]
        slope, intercept = q1 / n1 / 2, q1 / 2  # half flat, half growing: an assumption
    largest = max(measured, key=lambda m: m["records"])
    per_core = largest["predict_pairs_per_cpu_second"]
    cpu = largest["phase_cpu_seconds"]
    other_per_record = (sum(cpu.values()) - cpu["predict"]) / largest["records"]
    rows = []
    for n in (10_000_000, 30_000_000, 60_000_000):
        pairs = (intercept + slope * n) * n
        cpu_seconds = pairs / per_core + other_per_record * n
        entry: dict[str, Any] = {
            "records": n,
            "candidate_pairs": round(pairs),
            "cpu_hours": round(cpu_seconds / 3600, 2),
        }
        for label, cores in (("one_machine_32_cores", 32), ("spark_256_cores", 256)):
            entry[f"{label}_minutes"] = round(cpu_seconds / cores / 60, 1)
        rows.append(entry)
    return {
        "basis": (
            "extrapolated, not measured: candidate pairs per record fitted as a straight line "
            f"in records through the measured runs ({', '.join(str(n) for n, _ in points)} "
            f"records); prediction at the measured {round(per_core):,} pairs per CPU second; "
            "load, training and clustering at the measured CPU seconds per record; wall time = "
            "CPU time / cores (perfect scaling assumed; Spark shuffle and stragglers not "
            "modelled)"
        ),
        "pairs_per_record_fit": {
            "intercept": round(intercept, 3),
            "per_million_records": round(slope * 1e6, 3),
        },
        "predict_pairs_per_cpu_second": round(per_core),
        "other_cpu_seconds_per_million_records": round(other_per_record * 1e6, 1),
        "sizes": rows,
    }


# --- driver ------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__)
    sub = parser.add_subparsers(dest="command")
    worker = sub.add_parser("worker")
    worker.add_argument("input", type=Path)
    worker.add_argument("output", type=Path)
    worker.add_argument("--threads", type=int, required=True)
    worker.add_argument("--memory-gb", type=int, required=True)
    worker.add_argument("--chunks", type=int, required=True)
    worker.add_argument("--seed", type=int, required=True)
    parser.add_argument("--records", type=int, nargs="+", default=[2_680_000])
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--memory-gb", type=int, default=12)
    parser.add_argument("--chunks", type=int, default=0, help="per side; 0 = one per million")
    args = parser.parse_args(argv)
    if args.command == "worker":
        run_worker(
            args.input,
            args.output,
            threads=args.threads,
            memory_gb=args.memory_gb,
            chunks=args.chunks,
            seed=args.seed,
        )
        return {}
    runs = []
    for target in args.records:
        parquet, info = build(target, args.seed)
        chunks = args.chunks or max(1, math.ceil(info["records"] / 1_000_000))
        out = parquet.with_suffix(".json")
        command = [PY, "-m", "benchmarks.national", "worker", str(parquet), str(out)]
        command += ["--threads", str(args.threads), "--memory-gb", str(args.memory_gb)]
        command += ["--chunks", str(chunks), "--seed", str(args.seed)]
        timed = run(command)
        measured = {**info, **json.loads(out.read_text())}
        measured["process_seconds"] = round(timed.seconds, 2)
        measured["peak_rss_mb"] = round(timed.peak_rss_mb)
        print(json.dumps(measured, indent=2), flush=True)
        runs.append(measured)
    results = {
        "measured": runs,
        "extrapolation": extrapolate(runs),
        "published_reference": "Splink: 7M records / ~1bn pairs predicted in 16 min on 8 vCPU",
    }
    write("national", results)
    return results


if __name__ == "__main__":
    main()
