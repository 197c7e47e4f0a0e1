"""Fixtures shared by every app's tests."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest

from jigsaw.core.tests.helpers import NOW, FrozenClock


@pytest.fixture
def clock() -> Iterator[FrozenClock]:
    """The clock frozen at NOW (2008-01-15 12:00 UTC) for the test; `clock.set/advance` move it."""
    with ExitStack() as stack:
        yield FrozenClock(stack, NOW)


@pytest.fixture
def jsonl_file(tmp_path: Path) -> Callable[..., Path]:
    """Write objects (dicts) and raw lines (str) as a JSON Lines file; `.gz` names are gzipped."""
    from jigsaw.records.tests.factories import write_jsonl

    def write(lines: list[Any], name: str = "batch.jsonl") -> Path:
        return write_jsonl(tmp_path / name, lines)

    return write


@pytest.fixture
def jigsaw_cli(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> Callable[..., tuple[int, str, str]]:
    """Run the `jigsaw` console command in-process: (exit code, stdout, stderr)."""
    from django.db import connections

    from jigsaw.cli import main

    # A command run from the command line closes its connections when it ends; here that would
    # end the test's transaction.
    monkeypatch.setattr(connections, "close_all", lambda: None)

    def run(*args: str) -> tuple[int, str, str]:
        capsys.readouterr()
        code = main(list(args))
        out, err = capsys.readouterr()
        return code, out, err

    return run


@pytest.fixture
def world(clock: FrozenClock, db: Any) -> Any:
    """A small local authority with staff of every role (jigsaw/access/tests/world.py)."""
    from jigsaw.access.tests.world import build_world
    from jigsaw.identity.linking import index_cache

    index_cache.clear()
    built = build_world()
    yield built
    index_cache.clear()
