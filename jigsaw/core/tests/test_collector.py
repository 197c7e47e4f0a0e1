"""The cyclic collector held off for a batch, and what lives on set aside from it."""

from __future__ import annotations

import gc

import pytest

from jigsaw.core import collector


def test_paused_within_and_as_before_after_even_on_error() -> None:
    assert gc.isenabled()
    with collector.paused():
        assert not gc.isenabled()
        with collector.paused():  # nested: the outer one restores
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()
    with pytest.raises(ValueError, match="batch failed"), collector.paused():
        raise ValueError("batch failed")
    assert gc.isenabled()
    gc.disable()
    try:
        with collector.paused():
            pass
        assert not gc.isenabled()  # it was off before: it stays off
    finally:
        gc.enable()


def test_paused_works_as_a_decorator() -> None:
    @collector.paused()
    def during() -> bool:
        return gc.isenabled()

    assert during() is False
    assert gc.isenabled()


def test_what_is_in_memory_is_set_aside_only_within() -> None:
    gc.unfreeze()
    with collector.set_aside():
        assert gc.get_freeze_count() > 0
    assert gc.get_freeze_count() == 0
