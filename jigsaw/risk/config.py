"""A local authority's risk settings: the rules' thresholds and the escalation timings.

`JIGSAW_RISK_CONFIG` (a Django setting, or the environment variable of that name) names a JSON
file: `{rule id: {setting: value}}` as `Config.from_dict` takes it, plus an optional
`"escalation"` object (see `Escalation`). Without it every default applies.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from django.conf import settings

from jigsaw.risk.engine import Config, ConfigError


@dataclass(frozen=True)
class Escalation:
    # Unacknowledged this many working days after the due date: on to the head of service.
    head_of_service_after_working_days: int = 1
    # A flag whose due date had passed by more than this when Jigsaw first learnt of it (old
    # history loaded late) is recorded as historical: closed by Jigsaw, never escalated.
    historical_after_days: int = 28


@dataclass(frozen=True)
class RiskSettings:
    rules: Config
    escalation: Escalation


def _escalation(data: Any) -> Escalation:
    if not isinstance(data, dict):
        raise ConfigError("escalation: must be a mapping")
    known = Escalation.__dataclass_fields__
    for name, value in data.items():
        if name not in known:
            raise ConfigError(f"escalation.{name}: no such setting")
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ConfigError(f"escalation.{name}: must be a whole number, not negative")
    return Escalation(**data)


def settings_from_dict(data: dict[str, Any]) -> RiskSettings:
    data = dict(data)
    escalation = _escalation(data.pop("escalation", {}))
    return RiskSettings(rules=Config.from_dict(data), escalation=escalation)


@lru_cache(maxsize=4)
def _load(path: str) -> RiskSettings:
    if not path:
        return RiskSettings(rules=Config(), escalation=Escalation())
    try:
        data = json.loads(Path(path).read_text())
    except (OSError, ValueError) as exc:
        raise ConfigError(f"{path}: {exc}") from None
    return settings_from_dict(data)


def risk_settings() -> RiskSettings:
    path = getattr(settings, "JIGSAW_RISK_CONFIG", None) or os.environ.get("JIGSAW_RISK_CONFIG")
    return _load(str(path or ""))
