"""A local authority's settings for every rule, read from and written to plain dicts (a JSON or
TOML configuration file)."""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from jigsaw.risk.engine.rules import RULES, rule_by_id
from jigsaw.risk.engine.rules.base import Rule, RuleSettings

S = TypeVar("S", bound=RuleSettings)


class ConfigError(ValueError):
    pass


def _defaults() -> dict[str, RuleSettings]:
    return {r.id: r.settings() for r in RULES}


@dataclass(frozen=True)
class Config:
    """Settings keyed by rule id; a rule missing here runs with its defaults."""

    settings: Mapping[str, RuleSettings] = field(default_factory=_defaults)

    def for_rule(self, rule: Rule[S]) -> S:
        found = self.settings.get(rule.id)
        return found if isinstance(found, rule.settings) else rule.settings()

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Config:
        """Settings as {rule id: {setting: value}}; anything not given keeps its default.
        Unknown rules or settings, and values of the wrong type, are errors."""
        if not isinstance(data, Mapping):
            raise ConfigError("the configuration must be a mapping of rule ids to settings")
        settings = _defaults()
        for rule_id, values in data.items():
            try:
                rule = rule_by_id(rule_id)
            except KeyError:
                raise ConfigError(f"{rule_id}: no such rule") from None
            if not isinstance(values, Mapping):
                raise ConfigError(f"{rule_id}: settings must be a mapping")
            settings[rule_id] = _settings(rule, values)
        return cls(settings)

    def to_dict(self) -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        for rule in RULES:
            values = dataclasses.asdict(self.for_rule(rule))
            out[rule.id] = {k: list(v) if isinstance(v, tuple) else v for k, v in values.items()}
        return out


def _settings(rule: Rule[Any], values: Mapping[str, Any]) -> RuleSettings:
    hints = typing.get_type_hints(rule.settings)
    names = {f.name for f in dataclasses.fields(rule.settings)}
    kwargs: dict[str, Any] = {}
    for name, value in values.items():
        if name not in names:
            raise ConfigError(f"{rule.id}.{name}: no such setting")
        kwargs[name] = _value(f"{rule.id}.{name}", hints[name], value)
    return typing.cast(RuleSettings, rule.settings(**kwargs))


def _value(path: str, hint: Any, value: Any) -> Any:
    if hint is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"{path}: must be true or false")
        return value
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{path}: must be a whole number")
        if value < 0:
            raise ConfigError(f"{path}: must not be negative")
        return value
    origin = typing.get_origin(hint)
    if origin is tuple or isinstance(hint, types.GenericAlias):
        if isinstance(value, str) or not isinstance(value, list | tuple):
            raise ConfigError(f"{path}: must be a list")
        if not all(isinstance(v, str) for v in value):
            raise ConfigError(f"{path}: must be a list of text values")
        return tuple(value)
    raise ConfigError(f"{path}: unsupported setting type")  # pragma: no cover


DEFAULT_CONFIG = Config()
