"""The catalogue's rules, in the catalogue's order."""

from __future__ import annotations

from typing import Any

from jigsaw.risk.engine.rules import care, household, injuries, patterns, timescales
from jigsaw.risk.engine.rules.base import Rule

CATALOGUE_ORDER = (
    "injury-non-mobile",
    "bruise-high-risk-site",
    "fracture-young-child",
    "injury-unexplained",
    "repeated-injury",
    "cp-child-unscheduled-care",
    "unknown-adult-in-household",
    "adult-risk-in-household",
    "child-not-seen",
    "no-access-visit",
    "not-seen-alone",
    "referral-decision-overdue",
    "assessment-overdue",
    "conference-overdue",
    "core-group-overdue",
    "unassessed-carer",
    "multi-agency-concerns",
    "repeat-contacts",
    "domestic-abuse-child-present",
    "was-not-brought",
    "toxic-trio",
    "drift",
)

_ALL: dict[str, Rule[Any]] = {
    r.id: r for module in (injuries, household, care, timescales, patterns) for r in module.RULES
}
RULES: tuple[Rule[Any], ...] = tuple(_ALL[rule_id] for rule_id in CATALOGUE_ORDER)


def rule_by_id(rule_id: str) -> Rule[Any]:
    return _ALL[rule_id]


__all__ = ["CATALOGUE_ORDER", "RULES", "Rule", "rule_by_id"]
