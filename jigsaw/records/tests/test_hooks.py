"""Hooks: other apps plug into the ingest without records knowing them."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from jigsaw.records import hooks
from jigsaw.records.tests.factories import EventObj, base_objects, ingest


@pytest.fixture
def recorder() -> Iterator[dict[str, list[set[int]]]]:
    calls: dict[str, list[set[int]]] = {"each": [], "once": []}

    def each(report: Any) -> None:
        calls["each"].append(set(report.touched_records))

    def once(report: Any) -> None:
        calls["once"].append(set(report.touched_records))

    saved = list(hooks._after_ingest)
    hooks.register_after_ingest(each)
    hooks.register_after_ingest(once, deferrable=True)
    yield calls
    hooks._after_ingest[:] = saved


@pytest.mark.django_db
def test_hooks_run_after_each_accepted_batch(recorder: dict[str, list[set[int]]]) -> None:
    assert ingest([*base_objects(), EventObj()]).accepted
    assert not ingest([EventObj(event_id="E-2", agency="NOPE")]).accepted
    assert len(recorder["each"]) == 1
    assert recorder["once"] == recorder["each"]


@pytest.mark.django_db
def test_a_bulk_load_runs_deferrable_hooks_once_over_everything(
    recorder: dict[str, list[set[int]]],
) -> None:
    with hooks.bulk_load():
        first = ingest([*base_objects("H-1"), EventObj()])
        second = ingest([*base_objects("H-2", code="MET", sector="police")])
        assert recorder["once"] == []  # nothing yet: the load is not over
    assert len(recorder["each"]) == 2
    assert recorder["once"] == [first.touched_records | second.touched_records]


@pytest.mark.django_db
def test_a_last_hook_runs_after_the_others_and_after_bulk_load_hooks_at_the_end() -> None:
    order: list[str] = []
    saved, saved_bulk = list(hooks._after_ingest), list(hooks._after_bulk_load)
    try:
        hooks.register_after_ingest(lambda report: order.append("audit"), last=True)
        hooks.register_after_ingest(lambda report: order.append("link"), deferrable=True)
        hooks.register_after_bulk_load(lambda reports: order.append(f"end of {len(reports)}"))

        ingest(base_objects("H-1"))
        assert order == ["link", "audit"]  # registered first, yet run last

        order.clear()
        with hooks.bulk_load():
            ingest(base_objects("H-2"))
            ingest(base_objects("H-3"))
        assert order == ["audit", "audit", "link", "end of 2"]
    finally:
        hooks._after_ingest[:] = saved
        hooks._after_bulk_load[:] = saved_bulk


@pytest.mark.django_db
def test_ingest_command_links_once_even_when_a_file_is_rejected(
    recorder: dict[str, list[set[int]]],
    jsonl_file: Callable[..., Path],
    jigsaw_cli: Callable[..., tuple[int, str, str]],
) -> None:
    good = jsonl_file([*base_objects(), EventObj()], name="good.jsonl")
    bad = jsonl_file(["not json"], name="bad.jsonl")
    code, _, _ = jigsaw_cli("ingest", str(good), str(bad))
    assert code == 1
    assert len(recorder["once"]) == 1
    assert recorder["once"][0]
