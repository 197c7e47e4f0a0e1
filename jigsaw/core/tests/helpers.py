"""Test helpers for the clock, shared through the root conftest."""

from __future__ import annotations

from contextlib import ExitStack
from datetime import UTC, datetime, timedelta

from jigsaw.core.clock import clock

# Where the frozen clock starts: after every date the record-store tests send.
NOW = datetime(2008, 1, 15, 12, 0, tzinfo=UTC)


class FrozenClock:
    """The one clock, held still; `set` or `advance` move it."""

    def __init__(self, stack: ExitStack, at: datetime) -> None:
        self._stack = stack
        self.set(at)

    def set(self, at: datetime) -> datetime:
        self._stack.enter_context(clock.frozen(at))
        return at

    def advance(self, **delta: float) -> datetime:
        return self.set(self.now() + timedelta(**delta))

    def now(self) -> datetime:
        return clock.now()
