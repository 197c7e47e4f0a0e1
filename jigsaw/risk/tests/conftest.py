from __future__ import annotations

from collections.abc import Iterator

import pytest

from jigsaw.identity.linking import index_cache


@pytest.fixture(autouse=True)
def _fresh_index() -> Iterator[None]:
    # The person index lives for the process; each test starts from an empty one.
    index_cache.clear()
    yield
    index_cache.clear()
