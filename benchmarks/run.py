"""`make bench`: every benchmark, results in benchmarks/results/."""

from __future__ import annotations

import sys

from benchmarks import ingest


def main() -> int:
    ingest.main([])
    return 0


if __name__ == "__main__":
    sys.exit(main())
