"""A generated local authority through the real ingest: links agree with the truth."""

from __future__ import annotations

import csv
import time
from collections import Counter, defaultdict
from itertools import chain
from pathlib import Path

import pytest

from jigsaw.identity.linking import current_links
from jigsaw.records.models import PersonRecord
from jigsaw.records.services import batch_ingest, jsonl_source

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


def _pairs(groups: dict[object, int]) -> int:
    return sum(n * (n - 1) // 2 for n in groups.values())


def test_a_generated_local_authority_links_with_high_precision(tmp_path: Path) -> None:
    from jigsaw.synth.generator import generate

    generate(children=1000, seed=3, out=tmp_path)
    files = sorted(tmp_path.glob("*.jsonl"))
    sources = [jsonl_source(f) for f in files]
    started = time.perf_counter()
    # One batch of every agency's file: one pass of batch linkage and one training.
    report = batch_ingest(
        source=lambda: chain.from_iterable(s() for s in sources),
        channel="file",
        source_name="generated LA",
        sha256="0" * 64,
    )
    seconds = time.perf_counter() - started
    assert report.accepted, report.errors[:3]
    truth: dict[tuple[str, str], str] = {}
    with open(tmp_path / "truth" / "persons.csv", newline="") as handle:
        for row in csv.DictReader(handle):
            truth[(row["agency"], row["local_id"])] = row["person_id"]
    links = current_links()
    records = PersonRecord.objects.values_list("pk", "agency__code", "local_id")
    labels = [(truth[(code, local)], links[pk].person) for pk, code, local in records]
    assert len(labels) == len(links)  # every record is linked
    both = Counter(labels)
    by_truth, by_person = defaultdict(int), defaultdict(int)
    for t, p in labels:
        by_truth[t] += 1
        by_person[p] += 1
    true_positive = _pairs(both)  # type: ignore[arg-type]
    precision = true_positive / _pairs(by_person)
    recall = true_positive / _pairs(by_truth)
    print(f"{len(labels)} records, {seconds:.1f} s: precision {precision:.4f} recall {recall:.4f}")
    assert precision >= 0.99
    assert recall >= 0.95
