"""The `jigsaw` console command."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from jigsaw.cli import COMMANDS
from jigsaw.records.models import EventVersion
from jigsaw.records.tests.factories import EventObj, PersonObj, base_objects, row_counts

Cli = Callable[..., tuple[int, str, str]]

SUBCOMMANDS = [
    "migrate", "ingest", "chronology", "household", "linkage", "flags", "tick", "worker", "replay",
    "synth", "demo", "token", "user",
    "audit", "serve",
]  # fmt: skip


def test_the_subcommands_are_those_users_run() -> None:
    assert list(COMMANDS) == SUBCOMMANDS


@pytest.mark.parametrize("flag", ["--help", "-h", "help"])
def test_help_lists_every_subcommand_with_one_line(jigsaw_cli: Cli, flag: str) -> None:
    code, out, _ = jigsaw_cli(flag)
    assert code == 0
    assert out.startswith("usage: jigsaw COMMAND [options]")
    listed = {}
    for line in out.splitlines():
        if line.startswith("  "):
            name, _, summary = line.strip().partition(" ")
            listed[name] = summary.strip()
    assert list(listed) == SUBCOMMANDS
    for name, summary in listed.items():
        assert summary, f"{name} has no description"
        assert summary[0].isupper()


def test_no_arguments_shows_the_overview(jigsaw_cli: Cli) -> None:
    code, out, _ = jigsaw_cli()
    assert code == 0
    assert "commands:" in out


def test_unknown_subcommand_is_exit_2(jigsaw_cli: Cli) -> None:
    code, out, err = jigsaw_cli("shell")
    assert code == 2
    assert out == ""
    assert err.startswith("jigsaw: 'shell' is not a command")


def test_subcommand_help(jigsaw_cli: Cli) -> None:
    code, out, _ = jigsaw_cli("ingest", "--help")
    assert code == 0
    assert out.startswith("usage: jigsaw ingest")
    assert "--json" in out


@pytest.mark.django_db
@pytest.mark.usefixtures("clock")
def test_ingest_exit_codes_and_counts(jigsaw_cli: Cli, jsonl_file: Callable[..., Path]) -> None:
    good = jsonl_file([*base_objects(), EventObj(event_id="E-1")], name="good.jsonl")
    code, out, err = jigsaw_cli("ingest", str(good))
    assert (code, err) == (0, "")
    assert out == f"{good}: accepted: 3 new, 0 unchanged, 0 superseded\n"

    bad = jsonl_file(
        [EventObj(event_id="E-2"), PersonObj(local_id="H-2", sex="?")], name="bad.jsonl"
    )
    before = row_counts()
    code, out, err = jigsaw_cli("ingest", str(bad))
    assert code == 1
    assert out == ""
    assert err.splitlines() == [
        f"{bad}: rejected, nothing stored: 1 error(s)",
        "  line 2: sex: Input should be 'M', 'F', 'X' or 'U'",
    ]
    assert row_counts() == before
    assert EventVersion.objects.count() == 1


@pytest.mark.django_db
def test_ingest_of_a_missing_file_is_exit_1(jigsaw_cli: Cli, tmp_path: Path) -> None:
    code, _, err = jigsaw_cli("ingest", str(tmp_path / "absent.jsonl"))
    assert code == 1
    assert "no such file" in err
