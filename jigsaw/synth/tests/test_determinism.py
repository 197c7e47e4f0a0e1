"""The same seed and options give byte-identical output; another seed gives other output."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from jigsaw.synth.generator import generate


def _tree(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


def test_same_seed_same_bytes_whatever_the_workers(tmp_path: Path) -> None:
    generate(children=600, seed=21, out=tmp_path / "a", workers=1)
    generate(children=600, seed=21, out=tmp_path / "b", workers=2)
    a, b = _tree(tmp_path / "a"), _tree(tmp_path / "b")
    assert len(a) == 30
    assert a == b
    assert not (tmp_path / "a" / ".synth-scratch").exists()


def test_twice_in_the_same_directory_is_identical(tmp_path: Path) -> None:
    generate(children=150, seed=3, out=tmp_path)
    first = _tree(tmp_path)
    generate(children=150, seed=3, out=tmp_path)
    assert _tree(tmp_path) == first


def test_another_seed_differs(tmp_path: Path) -> None:
    generate(children=150, seed=3, out=tmp_path / "a")
    generate(children=150, seed=4, out=tmp_path / "b")
    a, b = _tree(tmp_path / "a"), _tree(tmp_path / "b")
    assert a.keys() == b.keys()
    assert all(
        a[name] != b[name] for name in a if name.endswith("persons.csv") or name == "GPBG.jsonl"
    )


def test_command_writes_and_summarises(tmp_path: Path) -> None:
    out = StringIO()
    call_command(
        "synth",
        "--children",
        "120",
        "--seed",
        "2",
        "--out",
        str(tmp_path),
        "--missing-nhs",
        "police=1.0",
        "--start",
        "2022-04-01",
        "--workers",
        "1",
        stdout=out,
    )
    text = out.getvalue()
    assert "120 children" in text
    assert "planted trajectories:" in text
    police = (tmp_path / "NTPS.jsonl").read_text()
    assert '"nhs_number"' not in police
    assert '"occurred_at":"2022-' in (tmp_path / "GPBG.jsonl").read_text()
    clean = tmp_path / "clean"
    call_command(
        "synth", "--children", "60", "--out", str(clean), "--noise-scale", "0", stdout=StringIO()
    )
    gp = [
        line
        for line in (clean / "GPBG.jsonl").read_text().splitlines()
        if '"kind":"person"' in line
    ]
    assert gp
    assert all('"nhs_number"' in line for line in gp)


def test_command_rejects_bad_options(tmp_path: Path) -> None:
    with pytest.raises(CommandError):
        call_command("synth", "--children", "0", "--out", str(tmp_path))
    with pytest.raises(CommandError):
        call_command("synth", "--children", "5", "--out", str(tmp_path), "--typo-rate", "2")
