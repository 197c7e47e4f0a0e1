"""The one clock. Domain code asks it for the time so replay, "as known on" and tests can set it.

Live, the clock is the system time. `clock.frozen(at)` fixes it for a block (replay, tests);
`JIGSAW_CLOCK` in the environment fixes it for a whole process (demos of a past date).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from threading import local

from jigsaw.core.dates import parse_instant


class Clock:
    def __init__(self) -> None:
        self._local = local()
        fixed = os.environ.get("JIGSAW_CLOCK")
        self._process_fixed = parse_instant(fixed, end_of_day=False) if fixed else None

    def now(self) -> datetime:
        fixed: datetime | None = getattr(self._local, "fixed", None)
        if fixed is not None:
            return fixed
        if self._process_fixed is not None:
            return self._process_fixed
        return datetime.now(tz=UTC)

    @contextmanager
    def frozen(self, at: datetime) -> Iterator[datetime]:
        if at.tzinfo is None:
            raise ValueError("the clock needs an aware datetime")
        previous = getattr(self._local, "fixed", None)
        self._local.fixed = at
        try:
            yield at
        finally:
            self._local.fixed = previous


clock = Clock()
