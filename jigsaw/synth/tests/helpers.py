"""A generated local authority, loaded through the real ingest, for other apps' tests."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any


def load_generated(out: Path, *, children: int, seed: int, noise: Any = None) -> datetime:
    """Generate `children` children's records into `out`, ingest every agency's file as one
    bulk load (linked once at its end) and return the latest recorded_at stored."""
    from jigsaw.records.hooks import bulk_load
    from jigsaw.records.models import EventVersion
    from jigsaw.records.services import batch_ingest, jsonl_source
    from jigsaw.synth.generator import generate

    generate(children=children, seed=seed, out=out, **({"noise": noise} if noise else {}))
    with bulk_load():
        for path in sorted(out.glob("*.jsonl")):
            report = batch_ingest(
                source=jsonl_source(path), channel="file", source_name=str(path), sha256="0" * 64
            )
            assert report.accepted, report.errors[:3]
    return max(EventVersion.objects.values_list("recorded_at", flat=True))
