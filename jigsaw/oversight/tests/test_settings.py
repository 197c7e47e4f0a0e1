"""Production will not start without its own pseudonym key."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]


def check_production(**env: str) -> subprocess.CompletedProcess[str]:
    environment = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DJANGO_SETTINGS_MODULE", "JIGSAW_PSEUDONYM_KEY")
    }
    return subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "check",
         "--settings=jigsaw.config.settings.production"],
        env={**environment, "JIGSAW_SECRET_KEY": secrets.token_urlsafe(64), **env},
        capture_output=True,
        text=True,
        check=False,
    )  # fmt: skip


def test_production_will_not_start_without_a_pseudonym_key() -> None:
    done = check_production()

    assert done.returncode != 0
    assert "JIGSAW_PSEUDONYM_KEY" in done.stderr


@pytest.mark.parametrize(
    "key", ["insecure-development-pseudonym-key-not-for-production", "too-short"]
)
def test_production_refuses_the_development_key_or_a_short_one(key: str) -> None:
    done = check_production(JIGSAW_PSEUDONYM_KEY=key)

    assert done.returncode != 0
    assert "JIGSAW_PSEUDONYM_KEY must be a secret of at least 32 characters" in done.stderr


def test_production_starts_with_its_own_key() -> None:
    done = check_production(JIGSAW_PSEUDONYM_KEY=secrets.token_urlsafe(48))

    assert done.returncode == 0, done.stdout + done.stderr
