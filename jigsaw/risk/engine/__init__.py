"""Jigsaw's risk rule engine: plain Python, no database.

Build an `EvaluationContext` for one child as known at a clock time, call `evaluate`, and get
`Finding`s: each names its rule, evidence, reason, required action, owner and deadline, and a
`key` that says which open flag it is.
"""

from __future__ import annotations

from jigsaw.risk.engine.config import DEFAULT_CONFIG, Config, ConfigError
from jigsaw.risk.engine.evaluate import evaluate, in_order
from jigsaw.risk.engine.findings import EvidenceRef, Finding, Severity
from jigsaw.risk.engine.model import (
    Child,
    DobClaim,
    EvaluationContext,
    Event,
    HouseholdMember,
    HouseholdSource,
    Period,
    PersonId,
    Subject,
    household_known,
)
from jigsaw.risk.engine.rules import CATALOGUE_ORDER, RULES, Rule, rule_by_id

__all__ = [
    "CATALOGUE_ORDER",
    "DEFAULT_CONFIG",
    "RULES",
    "Child",
    "Config",
    "ConfigError",
    "DobClaim",
    "EvaluationContext",
    "Event",
    "EvidenceRef",
    "Finding",
    "HouseholdMember",
    "HouseholdSource",
    "Period",
    "PersonId",
    "Rule",
    "Severity",
    "Subject",
    "evaluate",
    "household_known",
    "in_order",
    "rule_by_id",
]
