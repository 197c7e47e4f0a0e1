import threading
from datetime import UTC, datetime, timedelta

import pytest

from jigsaw.core.clock import Clock, clock
from jigsaw.core.tests.helpers import NOW, FrozenClock


def test_live_clock_is_aware_system_time() -> None:
    before = datetime.now(tz=UTC)
    now = Clock().now()
    assert now.tzinfo is not None
    assert before <= now <= datetime.now(tz=UTC)


def test_frozen_holds_the_time_and_restores_it() -> None:
    at = datetime(2007, 4, 9, 14, tzinfo=UTC)
    inner = datetime(2007, 5, 1, tzinfo=UTC)
    with clock.frozen(at):
        assert clock.now() == at
        with clock.frozen(inner):
            assert clock.now() == inner
        assert clock.now() == at
    assert clock.now() != at


def test_frozen_refuses_a_naive_datetime() -> None:
    with pytest.raises(ValueError, match="aware"), clock.frozen(datetime(2007, 4, 9)):
        pass  # pragma: no cover


def test_frozen_is_per_thread() -> None:
    seen: list[datetime] = []
    at = datetime(2007, 4, 9, tzinfo=UTC)
    with clock.frozen(at):
        thread = threading.Thread(target=lambda: seen.append(clock.now()))
        thread.start()
        thread.join()
        assert clock.now() == at
    assert seen[0] != at


def test_environment_fixes_the_clock_for_a_process(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JIGSAW_CLOCK", "2007-07-01T12:00")
    process_clock = Clock()
    assert process_clock.now() == datetime(2007, 7, 1, 11, tzinfo=UTC)
    with process_clock.frozen(datetime(2007, 1, 1, tzinfo=UTC)):
        assert process_clock.now() == datetime(2007, 1, 1, tzinfo=UTC)
    assert process_clock.now() == datetime(2007, 7, 1, 11, tzinfo=UTC)


def test_clock_fixture_freezes_and_moves(clock: FrozenClock) -> None:
    from jigsaw.core.clock import clock as the_clock

    assert the_clock.now() == NOW
    clock.advance(hours=2)
    assert the_clock.now() == NOW + timedelta(hours=2)
    clock.set(datetime(2007, 1, 1, tzinfo=UTC))
    assert the_clock.now() == datetime(2007, 1, 1, tzinfo=UTC)
