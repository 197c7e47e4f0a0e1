"""Record linkage quality and speed: Jigsaw's matcher against Splink 5 on the same input.

For each size, a synthetic local authority is generated; every agency's person records (latest
version of each agency + local_id) are linked by both engines, each in its own process (for a
fair peak-memory figure), and scored against the generator's truth: pairwise precision, recall
and F1, B-cubed F1, blocking recall, candidate pairs, precision of automatic links, time and peak
memory. Writes benchmarks/results/linkage.json.

`--national N` instead runs the national-scale batch linkage (benchmarks/national.py): Splink on
DuckDB over about N person records, written to benchmarks/results/national.json.

    python -m benchmarks.linkage [--sizes 20000 50000] [--national 2680000]
"""

from __future__ import annotations

import argparse
import csv
import json
import shutil
import subprocess
import sys
import time
from collections import Counter, defaultdict
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.common import JIGSAW, ROOT, WORK, run, write

PY = sys.executable
COLUMNS = (
    "record_id",
    "source",
    "given_name",
    "family_name",
    "other_names",
    "date_of_birth",
    "sex",
    "nhs_number",
    "address_line",
    "postcode",
)


# --- input -------------------------------------------------------------------------------------


def generate(children: int, seed: int) -> Path:
    out = WORK / f"linkage-{children}-{seed}"
    if (out / "truth" / "persons.csv").exists():
        return out
    shutil.rmtree(out, ignore_errors=True)
    probe = subprocess.run([*JIGSAW, "synth", "--help"], capture_output=True, check=False, cwd=ROOT)
    if probe.returncode == 0:
        args = [*JIGSAW, "synth", "--children", str(children), "--seed", str(seed), "--out"]
        subprocess.run([*args, str(out)], check=True, capture_output=True, cwd=ROOT)
    else:  # the command line may lag the generator; call it directly
        code = (
            "import sys; from pathlib import Path; from jigsaw.synth.generator import generate; "
            "generate(children=int(sys.argv[1]), seed=int(sys.argv[2]), out=Path(sys.argv[3]))"
        )
        subprocess.run([PY, "-c", code, str(children), str(seed), str(out)], check=True)
    return out


def extract(directory: Path) -> Path:
    """The latest version of every agency's person record, as one CSV (with the truth column)."""
    latest: dict[tuple[str, str], dict[str, Any]] = {}
    for path in sorted(directory.glob("*.jsonl")):
        with open(path, "rb") as handle:
            for line in handle:
                if b'"person"' not in line[:40]:
                    continue
                obj = json.loads(line)
                if obj.get("kind") != "person":
                    continue
                key = (obj["agency"], obj["local_id"])
                held = latest.get(key)
                if held is None or obj.get("recorded_at", "") >= held.get("recorded_at", ""):
                    latest[key] = obj
    truth: dict[tuple[str, str], str] = {}
    with open(directory / "truth" / "persons.csv", newline="") as handle:
        for row in csv.DictReader(handle):
            truth[(row["agency"], row["local_id"])] = row["person_id"]
    out = directory / "persons.csv"
    with open(out, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow([*COLUMNS, "true_person"])
        for (agency, local_id), obj in sorted(latest.items()):
            address = obj.get("address") or {}
            writer.writerow(
                [
                    f"{agency}:{local_id}",
                    agency,
                    obj.get("given_name") or "",
                    obj.get("family_name") or "",
                    "|".join(obj.get("other_names") or []),
                    obj.get("date_of_birth") or "",
                    obj.get("sex") or "",
                    obj.get("nhs_number") or "",
                    address.get("line1") or "",
                    address.get("postcode") or "",
                    truth.get((agency, local_id), f"unknown:{agency}:{local_id}"),
                ]
            )
    return out


def read_rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle))


# --- metrics -----------------------------------------------------------------------------------


def _pairs_of(groups: dict[str, list[int]]) -> int:
    return sum(len(m) * (len(m) - 1) // 2 for m in groups.values())


def evaluate(truth: list[str], predicted: list[str]) -> dict[str, float]:
    """Pairwise precision/recall/F1 and B-cubed F1 of a clustering against the truth."""
    by_truth: dict[str, list[int]] = defaultdict(list)
    by_pred: dict[str, list[int]] = defaultdict(list)
    for k, (t, p) in enumerate(zip(truth, predicted, strict=True)):
        by_truth[t].append(k)
        by_pred[p].append(k)
    both = Counter(zip(truth, predicted, strict=True))
    tp = sum(c * (c - 1) // 2 for c in both.values())
    true_pairs, pred_pairs = _pairs_of(by_truth), _pairs_of(by_pred)
    precision = tp / pred_pairs if pred_pairs else 1.0
    recall = tp / true_pairs if true_pairs else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    # B-cubed: per record, the share of its predicted cluster that is truly its person, and v.v.
    n = len(truth)
    bp = sum(both[(t, p)] / len(by_pred[p]) for t, p in zip(truth, predicted, strict=True)) / n
    br = sum(both[(t, p)] / len(by_truth[t]) for t, p in zip(truth, predicted, strict=True)) / n
    return {
        "pairwise_precision": round(precision, 5),
        "pairwise_recall": round(recall, 5),
        "pairwise_f1": round(f1, 5),
        "bcubed_precision": round(bp, 5),
        "bcubed_recall": round(br, 5),
        "bcubed_f1": round(2 * bp * br / (bp + br), 5),
        "true_pairs": true_pairs,
        "predicted_pairs": pred_pairs,
    }


def pair_stats(truth: list[str], a: np.ndarray, b: np.ndarray) -> tuple[int, int]:
    """Of pairs (a[k], b[k]): how many are true matches, and how many true pairs exist."""
    labels = np.unique(np.asarray(truth), return_inverse=True)[1]
    hits = int((labels[a] == labels[b]).sum())
    sizes = np.bincount(labels)
    return hits, int((sizes * (sizes - 1) // 2).sum())


# --- the engines (each run in its own process) -------------------------------------------------


def _records(rows: list[dict[str, str]]) -> list[Any]:
    from jigsaw.identity.matching import Rec

    out = []
    for row in rows:
        try:
            dob = date.fromisoformat(row["date_of_birth"]) if row["date_of_birth"] else None
        except ValueError:
            dob = None
        out.append(
            Rec(
                id=row["record_id"],
                source=row["source"],
                given_name=row["given_name"],
                family_name=row["family_name"],
                other_names=tuple(x for x in row["other_names"].split("|") if x),
                date_of_birth=dob,
                sex=row["sex"],
                nhs_number=row["nhs_number"],
                address_line=row["address_line"],
                postcode=row["postcode"],
            )
        )
    return out


def run_jigsaw(input_csv: Path, output: Path) -> None:
    from jigsaw.identity.matching import Band, link
    from jigsaw.identity.matching.model import auto_allowed, deterministic

    rows = read_rows(input_csv)
    started = time.perf_counter()
    result = link(_records(rows), seed=1)
    seconds = time.perf_counter() - started
    ia, ib, weights, bands = result.pairs
    truth = [r["true_person"] for r in rows]
    hits, true_pairs = pair_stats(truth, ia, ib)
    auto = bands == Band.AUTO.value
    auto_hits, _ = pair_stats(truth, ia[auto], ib[auto])
    review = bands == Band.REVIEW.value
    review_hits, _ = pair_stats(truth, ia[review], ib[review])
    # Pairwise precision and recall of the auto-link band at other weight thresholds.
    labels = np.unique(np.asarray(truth), return_inverse=True)[1]
    same = labels[ia] == labels[ib]
    allowed, forced = auto_allowed(result.levels), deterministic(result.levels)
    sweep = {}
    for threshold in range(0, 26, 2):
        chosen = ((weights >= threshold) & allowed) | forced
        sweep[threshold] = {
            "precision": round(float(same[chosen].mean()) if chosen.any() else 1.0, 5),
            "recall": round(float(same[chosen].sum()) / max(true_pairs, 1), 5),
        }
    persons = result.persons
    out = {
        "engine": "jigsaw",
        "seconds": round(seconds, 2),
        "records": len(rows),
        "candidate_pairs": len(ia),
        "blocking_recall": round(hits / true_pairs, 5) if true_pairs else 1.0,
        "auto_link_pairs": int(auto.sum()),
        "auto_link_precision": round(auto_hits / max(int(auto.sum()), 1), 5),
        "review_pairs": int(review.sum()),
        "review_true_share": round(review_hits / max(int(review.sum()), 1), 4),
        "refused_links": len(result.refused),
        "model": result.model.to_dict(),
        "clusters": [persons[r["record_id"]] for r in rows],
        "true_pairs_missed_by_blocking": true_pairs - hits,
        "auto_link_threshold_sweep": sweep,
    }
    output.write_text(json.dumps(out))


# Splink as its documentation sets it up for person data: cleaned columns, the out-of-the-box
# comparisons (names with term-frequency adjustment), u by random sampling, m by EM on two
# blocking rules, the prior from a deterministic rule, predictions clustered at a threshold.
SPLINK_THRESHOLD = 0.95


def _splink_table(rows: list[dict[str, str]]) -> Any:
    import pyarrow as pa

    def clean(value: str, *, lower: bool = True) -> str | None:
        value = value.strip()
        if not value:
            return None
        return value.lower() if lower else value.upper()

    return pa.table(
        {
            "unique_id": [r["record_id"] for r in rows],
            "given_name": [clean(r["given_name"]) for r in rows],
            "family_name": [clean(r["family_name"]) for r in rows],
            "date_of_birth": [clean(r["date_of_birth"]) for r in rows],
            "sex": [clean(r["sex"]) for r in rows],
            "nhs_number": [clean(r["nhs_number"]) for r in rows],
            "address_line": [clean(r["address_line"]) for r in rows],
            "postcode": [clean(r["postcode"], lower=False) for r in rows],
        }
    )


def _splink_settings(blocking: list[Any]) -> Any:
    import splink.comparison_library as cl
    from splink import SettingsCreator

    return SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="unique_id",
        comparisons=[
            cl.NameComparison("given_name").configure(term_frequency_adjustments=True),
            cl.NameComparison("family_name").configure(term_frequency_adjustments=True),
            cl.DateOfBirthComparison("date_of_birth", input_is_string=True),
            cl.PostcodeComparison("postcode"),
            cl.ExactMatch("address_line"),
            cl.ExactMatch("sex"),
            cl.ExactMatch("nhs_number"),
        ],
        blocking_rules_to_generate_predictions=blocking,
        retain_intermediate_calculation_columns=False,
    )


def _splink_blocking() -> list[Any]:
    from splink import block_on

    return [
        block_on("nhs_number"),
        block_on("date_of_birth"),
        block_on("family_name", "substr(date_of_birth, 1, 4)"),
        block_on("given_name", "substr(date_of_birth, 1, 7)"),
        block_on("postcode", "substr(given_name, 1, 1)"),
        block_on("given_name", "family_name"),
    ]


def run_splink(input_csv: Path, output: Path) -> None:
    import splink
    from splink import DuckDBAPI, Linker, block_on

    rows = read_rows(input_csv)
    started = time.perf_counter()
    db_api = DuckDBAPI()
    sdf = db_api.register(_splink_table(rows))
    linker = Linker(sdf, _splink_settings(_splink_blocking()))
    linker.training.estimate_probability_two_random_records_match(
        [block_on("nhs_number", "date_of_birth")], recall=0.7
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=2e6, seed=1)
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("date_of_birth"))
    linker.training.estimate_parameters_using_expectation_maximisation(
        block_on("given_name", "family_name")
    )
    predictions = linker.inference.predict(threshold_match_probability=0.01)
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
        predictions, threshold_match_probability=SPLINK_THRESHOLD
    )
    seconds = time.perf_counter() - started
    cluster_of = dict(clusters.as_duckdbpyrelation().select("unique_id, cluster_id").fetchall())
    # Blocking recall and candidate count, outside the timed section.
    count_sql = linker.inference.compute_blocked_pairs_for_predict()
    blocked = count_sql.as_duckdbpyrelation()
    left, right = ("unique_id_l", "unique_id_r")
    if left not in blocked.columns:
        left, right = ("join_key_l", "join_key_r")
    pairs = blocked.select(f"{left}, {right}").fetchall()
    candidate_pairs = len(pairs)
    truth = {r["record_id"]: r["true_person"] for r in rows}
    hits = sum(truth.get(str(a)) == truth.get(str(b)) for a, b in pairs)
    _, true_pairs = pair_stats([r["true_person"] for r in rows], np.zeros(0, int), np.zeros(0, int))
    above = predictions.as_duckdbpyrelation().filter(f"match_probability >= {SPLINK_THRESHOLD}")
    auto_pairs = above.select("unique_id_l, unique_id_r").fetchall()
    auto_hits = sum(truth[a] == truth[b] for a, b in auto_pairs)
    out = {
        "engine": f"splink {splink.__version__} (duckdb)",
        "seconds": round(seconds, 2),
        "records": len(rows),
        "candidate_pairs": int(candidate_pairs),
        "blocking_recall": round(hits / true_pairs, 5) if true_pairs else 1.0,
        "auto_link_pairs": len(auto_pairs),
        "auto_link_precision": round(auto_hits / max(len(auto_pairs), 1), 5),
        "threshold_match_probability": SPLINK_THRESHOLD,
        "clusters": [cluster_of[r["record_id"]] for r in rows],
    }
    output.write_text(json.dumps(out))


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__)
    sub = parser.add_subparsers(dest="command")
    worker = sub.add_parser("worker")
    worker.add_argument("engine", choices=["jigsaw", "splink"])
    worker.add_argument("input", type=Path)
    worker.add_argument("output", type=Path)
    parser.add_argument("--sizes", type=int, nargs="+", default=[20_000, 50_000])
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--national", type=int, default=0, help="records; see benchmarks.national")
    args = parser.parse_args(argv)
    if args.national:
        from benchmarks import national

        return national.main(["--records", str(args.national), "--seed", str(args.seed)])
    if args.command == "worker":
        if args.engine == "jigsaw":
            run_jigsaw(args.input, args.output)
        else:
            run_splink(args.input, args.output)
        return {}
    results: dict[str, Any] = {"sizes": []}
    for children in args.sizes:
        directory = generate(children, args.seed)
        persons_csv = extract(directory)
        rows = read_rows(persons_csv)
        truth = [r["true_person"] for r in rows]
        entry: dict[str, Any] = {
            "children": children,
            "person_records": len(rows),
            "persons": len(set(truth)),
        }
        for engine in ("jigsaw", "splink"):
            out = directory / f"{engine}.json"
            timed = run(
                [PY, "-m", "benchmarks.linkage", "worker", engine, str(persons_csv), str(out)]
            )
            measured = json.loads(out.read_text())
            clusters = [str(c) for c in measured.pop("clusters")]
            measured.update(evaluate(truth, clusters))
            measured["process_seconds"] = round(timed.seconds, 2)
            measured["peak_rss_mb"] = round(timed.peak_rss_mb)
            entry[engine] = measured
            print(children, engine, {k: v for k, v in measured.items() if k != "model"})
        results["sizes"].append(entry)
    write("linkage", results)
    return results


if __name__ == "__main__":
    main()
