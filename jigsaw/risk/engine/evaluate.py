"""Run every rule for one child."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from jigsaw.risk.engine.config import DEFAULT_CONFIG, Config
from jigsaw.risk.engine.findings import Finding
from jigsaw.risk.engine.model import EvaluationContext
from jigsaw.risk.engine.rules import CATALOGUE_ORDER, RULES, Rule

_ORDER = {rule_id: i for i, rule_id in enumerate(CATALOGUE_ORDER)}


def evaluate(
    context: EvaluationContext,
    config: Config = DEFAULT_CONFIG,
    rules: Iterable[Rule[Any]] | None = None,
) -> list[Finding]:
    """Every rule's findings (or those of `rules` only) for the child as known at
    `context.now`: most urgent first, then by deadline, the catalogue's order and key, so the
    same input always gives the same list."""
    chosen = RULES if rules is None else rules
    findings = [f for rule in chosen for f in rule.evaluate(context, config.for_rule(rule))]
    return in_order(findings)


def in_order(findings: list[Finding]) -> list[Finding]:
    return sorted(findings, key=lambda f: (f.severity.rank, f.due_by, _ORDER[f.rule_id], f.key))
