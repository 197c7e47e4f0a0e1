"""Work shared with forked copies of the process: same results, in order, or a clear failure."""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np
import pytest

from jigsaw.core import forked


def _squares_and_pids(items: Sequence[int]) -> np.ndarray:
    return np.asarray([[x * x, os.getpid()] for x in items], dtype=np.int64).ravel()


def test_parts_are_computed_by_other_processes_and_joined_in_order() -> None:
    items = list(range(1000))
    joined = forked.map_in_parts(_squares_and_pids, items, workers=3, min_items=10)
    squares, pids = joined[0::2], joined[1::2]
    assert squares.tolist() == [x * x for x in items]
    # The first part here, the others each in a forked copy.
    assert set(pids[:334].tolist()) == {os.getpid()}
    assert len(set(pids.tolist())) == 3


def test_small_work_stays_in_this_process() -> None:
    joined = forked.map_in_parts(_squares_and_pids, list(range(50)), workers=4, min_items=100)
    assert set(joined[1::2].tolist()) == {os.getpid()}


def _fails_away_from_home(items: Sequence[int]) -> np.ndarray:
    if items[0] != 0:
        raise ValueError("a part failed")
    return np.zeros(len(items), dtype=np.int8)


def test_a_failed_part_is_an_error_and_leaves_no_process_behind(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    started: list[int] = []
    real_fork = os.fork

    def fork() -> int:
        pid = real_fork()
        if pid:
            started.append(pid)
        return pid

    monkeypatch.setattr(os, "fork", fork)
    with pytest.raises(RuntimeError, match="forked part"):
        forked.map_in_parts(_fails_away_from_home, list(range(100)), workers=3, min_items=10)
    assert len(started) == 2
    for pid in started:
        with pytest.raises(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)  # ended and reaped


def test_workers_can_be_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JIGSAW_WORKERS", "1")
    assert forked.cores() == 1
    joined = forked.map_in_parts(_squares_and_pids, list(range(100)), min_items=10)
    assert set(joined[1::2].tolist()) == {os.getpid()}
    monkeypatch.setenv("JIGSAW_WORKERS", "3")
    assert forked.cores() == 3


def test_a_setting_s_value_wins_over_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JIGSAW_WORKERS", "3")
    assert forked.cores("2") == 2
    assert forked.cores(1) == 1
    monkeypatch.delenv("JIGSAW_WORKERS")
    assert forked.cores("") == forked.cores() >= 1  # neither: the machine's cores
