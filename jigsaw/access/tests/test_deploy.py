"""Production settings pass Django's deployment checks, with secrets only from the environment."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def check_deploy(**env: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    environment["JIGSAW_PSEUDONYM_KEY"] = secrets.token_urlsafe(48)
    return subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "check", "--deploy", "--fail-level", "WARNING",
         "--settings=jigsaw.config.settings.production"],
        env={**environment, **env},
        capture_output=True,
        text=True,
        check=False,
    )  # fmt: skip


def test_check_deploy_is_clean() -> None:
    done = check_deploy(JIGSAW_SECRET_KEY=secrets.token_urlsafe(64))

    assert done.returncode == 0, done.stdout + done.stderr
    assert "System check identified no issues" in done.stdout


def test_production_will_not_start_without_a_secret_key() -> None:
    environment = {k: v for k, v in os.environ.items() if k != "JIGSAW_SECRET_KEY"}
    environment["JIGSAW_PSEUDONYM_KEY"] = secrets.token_urlsafe(48)
    done = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "check",
         "--settings=jigsaw.config.settings.production"],
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )  # fmt: skip

    assert done.returncode != 0
    assert "JIGSAW_SECRET_KEY" in done.stderr
