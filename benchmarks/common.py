"""Shared pieces of the benchmarks: running commands, timing them, writing results."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
WORK = ROOT / "benchmarks" / "work"
# The checkout's own code, whichever virtual environment runs the benchmarks.
JIGSAW = [sys.executable, "-m", "jigsaw.cli"]


@dataclass
class Timed:
    seconds: float
    peak_rss_mb: float
    stdout: str


# A fresh intermediary process per measurement, so the peak memory is that command's alone
# (a process's RUSAGE_CHILDREN peak covers every child it ever waited for).
_MEASURE = """
import json, resource, subprocess, sys
done = subprocess.run(sys.argv[2:])
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
open(sys.argv[1], "w").write(json.dumps({"rc": done.returncode, "peak_kb": peak}))
"""


def _cpu_times() -> tuple[int, int]:
    """(idle, total) jiffies of all cores since boot."""
    with open("/proc/stat") as handle:
        values = [int(v) for v in handle.readline().split()[1:]]
    return values[3] + values[4], sum(values)


def settle(*, idle_share: float = 0.9, window: float = 2.0, most: float = 120.0) -> float:
    """After a step that wrote and freed gigabytes: flush its writes to disk and wait until the
    machine is idle again (a `window` with at least `idle_share` of every core idle, or `most`
    seconds), so that what is measured next is not the kernel still writing back and reclaiming
    the step before. Returns the seconds waited."""
    started = time.perf_counter()
    os.sync()
    if not Path("/proc/stat").exists():
        return time.perf_counter() - started
    while time.perf_counter() - started < most:
        idle0, total0 = _cpu_times()
        time.sleep(window)
        idle1, total1 = _cpu_times()
        if total1 > total0 and (idle1 - idle0) / (total1 - total0) >= idle_share:
            break
    return time.perf_counter() - started


def run(args: list[str], *, env: dict[str, str] | None = None) -> Timed:
    """Run a command to completion: wall time and its peak resident memory."""
    with tempfile.NamedTemporaryFile(suffix=".json") as stats, tempfile.TemporaryFile("w+") as out:
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "-c", _MEASURE, stats.name, *args],
            env={**os.environ, **(env or {})},
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            check=False,
        )
        seconds = time.perf_counter() - started
        measured = json.loads(Path(stats.name).read_text())
        out.seek(0)
        printed = out.read()
    if measured["rc"] != 0:
        sys.stderr.write(printed)
        raise RuntimeError(f"{' '.join(args)} failed with exit status {measured['rc']}")
    return Timed(seconds, measured["peak_kb"] / 1024, printed)


def machine() -> dict[str, Any]:
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    return {
        "when": datetime.now(tz=UTC).isoformat(timespec="seconds"),
        "commit": commit,
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
    }


def write(name: str, result: dict[str, Any]) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps({"machine": machine(), **result}, indent=2) + "\n")
    return path
