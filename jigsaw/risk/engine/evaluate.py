"""Run every rule for one child."""

from __future__ import annotations

from jigsaw.risk.engine.config import DEFAULT_CONFIG, Config
from jigsaw.risk.engine.findings import Finding
from jigsaw.risk.engine.model import EvaluationContext
from jigsaw.risk.engine.rules import CATALOGUE_ORDER, RULES

_ORDER = {rule_id: i for i, rule_id in enumerate(CATALOGUE_ORDER)}


def evaluate(context: EvaluationContext, config: Config = DEFAULT_CONFIG) -> list[Finding]:
    """Every rule's findings for the child as known at `context.now`: most urgent first, then by
    deadline, the catalogue's order and key, so the same input always gives the same list."""
    findings = [f for rule in RULES for f in rule.evaluate(context, config.for_rule(rule))]
    return sorted(findings, key=lambda f: (f.severity.rank, f.due_by, _ORDER[f.rule_id], f.key))
