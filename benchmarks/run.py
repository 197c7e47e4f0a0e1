"""`make bench`: every benchmark, results in benchmarks/results/.

`make bench ONLY=ingest` (or linkage, national, search, risk, web) runs one.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import Any

from benchmarks import ingest, linkage, national, risk, search, web

BENCHMARKS: dict[str, Callable[[list[str]], dict[str, Any]]] = {
    "ingest": ingest.main,
    "linkage": linkage.main,
    "national": national.main,
    "search": search.main,
    "risk": risk.main,
    "web": web.main,
}


def main() -> int:
    only = [name for name in os.environ.get("ONLY", "").split(",") if name]
    unknown = [name for name in only if name not in BENCHMARKS]
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; known: {', '.join(BENCHMARKS)}")
        return 2
    for name, bench in BENCHMARKS.items():
        if not only or name in only:
            print(f"== {name}", flush=True)
            bench([])
    return 0


if __name__ == "__main__":
    sys.exit(main())
