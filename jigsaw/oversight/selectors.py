"""Pseudonymised reads of flags, for analysts, heads of service and directors.

A row says what was flagged in coarse terms only: the child as a keyed pseudonym, the rule,
severity and state, the month it was raised, the child's age band then and the sectors whose
records were the evidence. Nothing names, dates, locates or leads back to a child or a record:
no names, dates of birth, addresses, NHS numbers, narratives, event ids or local ids.

Oversight is downstream of risk: it reads risk's, identity's and records' models directly and
derives state and severity as risk's selectors do (closed, else acknowledged, else open; the
latest revision's severity).
"""

from __future__ import annotations

import hashlib
import hmac
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied

from jigsaw.access.audit import audit_record
from jigsaw.access.models import AuditEntry
from jigsaw.access.roles import Role
from jigsaw.access.selectors import role_of
from jigsaw.core.clock import clock
from jigsaw.core.dates import uk_date
from jigsaw.identity.models import Link
from jigsaw.records.models import AgencyVersion, PersonVersion
from jigsaw.risk.models import Flag, FlagAction, FlagRevision

ROLES = frozenset({Role.ANALYST, Role.HEAD_OF_SERVICE, Role.DIRECTOR})
OBJECT_TYPE = "analytics_flags"
SEVERITIES = ("immediate", "high", "medium")
# (youngest, oldest, label): the bands children's services report in.
AGE_BANDS = ((0, 0, "0"), (1, 4, "1-4"), (5, 9, "5-9"), (10, 15, "10-15"), (16, 17, "16-17"))
UNKNOWN_AGE = "unknown"  # no date of birth held, or one that does not make them a child then


@dataclass(frozen=True)
class FlagRow:
    child: str  # pseudonym
    rule: str
    severity: str
    state: str
    raised_month: str  # YYYY-MM, UK time
    age_band: str
    evidence_sectors: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "child": self.child,
            "rule": self.rule,
            "severity": self.severity,
            "state": self.state,
            "raised_month": self.raised_month,
            "age_band": self.age_band,
            "evidence_sectors": list(self.evidence_sectors),
        }


@dataclass(frozen=True)
class MonthCounts:
    """Flags raised in one month under one rule, by severity."""

    month: str  # YYYY-MM
    rule: str
    title: str
    by_severity: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.by_severity.values())


def pseudonym(person_id: int | str) -> str:
    """The same child gets the same pseudonym in every extract; without the key (settings,
    from the environment) nobody can get from a person id to it or back."""
    key = settings.JIGSAW_PSEUDONYM_KEY.encode()
    return hmac.new(key, str(person_id).encode(), hashlib.sha256).hexdigest()


def age_band(born: date | None, on: date) -> str:
    if born is None:
        return UNKNOWN_AGE
    age = on.year - born.year - ((on.month, on.day) < (born.month, born.day))
    for youngest, oldest, label in AGE_BANDS:
        if youngest <= age <= oldest:
            return label
    return UNKNOWN_AGE


def _check(user: Any) -> None:
    if role_of(user=user) not in ROLES:
        raise PermissionDenied("pseudonymised flags are for analysts and service leaders")


def _dates_of_birth(person_ids: set[int], at: datetime) -> dict[int, date]:
    """Each person's date of birth as known at `at`: the one most of their records give (the
    latest version of each), a tie going to the one recorded first."""
    ever = Link.objects.filter(person_id__in=person_ids, known_from__lte=at).values("record_id")
    owner: dict[int, int] = {}
    links = (
        Link.objects.filter(record_id__in=ever, known_from__lte=at)
        .order_by("record_id", "id")
        .values_list("record_id", "person_id")
    )
    for record, person in links:
        owner[record] = person  # a record's latest link wins
    latest: dict[int, tuple[datetime, date | None]] = {}
    versions = (
        PersonVersion.objects.filter(record_id__in=ever, recorded_at__lte=at)
        .order_by("record_id", "recorded_at", "version")
        .values_list("record_id", "recorded_at", "date_of_birth")
    )
    for record, recorded, born in versions:
        latest[record] = (recorded, born)
    claims: dict[int, dict[date, tuple[int, datetime]]] = defaultdict(dict)
    for record, (recorded, born) in latest.items():
        whose = owner.get(record)
        if whose is None or whose not in person_ids or born is None:
            continue
        count, seen = claims[whose].get(born, (0, recorded))
        claims[whose][born] = (count + 1, min(seen, recorded))
    return {
        person: min(given, key=lambda d: (-given[d][0], given[d][1], d))
        for person, given in claims.items()
    }


def _sectors() -> dict[str, str]:
    """Each agency's sector, as it last said."""
    out: dict[str, str] = {}
    for code, sector in AgencyVersion.objects.order_by("agency_id", "version").values_list(
        "agency__code", "sector"
    ):
        out[code] = sector
    return out


def _flags() -> tuple[list[FlagRow], dict[str, str]]:
    """Every flag as a row, and each rule's title."""
    flags = list(Flag.objects.values_list("pk", "rule_id", "title", "person_id", "raised_at"))
    latest: dict[int, tuple[str, list[dict[str, Any]]]] = {}
    revisions = FlagRevision.objects.order_by("flag_id", "number").values_list(
        "flag_id", "severity", "evidence"
    )
    for flag_id, severity, evidence in revisions:
        latest[flag_id] = (severity, evidence or [])
    kinds: dict[int, set[str]] = defaultdict(set)
    for flag_id, kind in FlagAction.objects.values_list("flag_id", "kind"):
        kinds[flag_id].add(kind)
    born = _dates_of_birth({person for _pk, _rule, _title, person, _at in flags}, clock.now())
    sectors = _sectors()
    rows, titles = [], {}
    for pk, rule, title, person, raised_at in flags:
        if pk not in latest:
            continue
        severity, evidence = latest[pk]
        done = kinds.get(pk, set())
        state = (
            "closed"
            if FlagAction.Kind.CLOSED in done
            else "acknowledged"
            if FlagAction.Kind.ACKNOWLEDGED in done
            else "open"
        )
        raised_on = uk_date(raised_at)
        rows.append(
            FlagRow(
                child=pseudonym(person),
                rule=rule,
                severity=severity,
                state=state,
                raised_month=f"{raised_on:%Y-%m}",
                age_band=age_band(born.get(person), raised_on),
                evidence_sectors=tuple(
                    sorted({sectors.get(str(e.get("agency", "")), "other") for e in evidence})
                ),
            )
        )
        titles[rule] = title
    # Sorted by what is shown, never by flag or person id, so no order leaks who came first.
    rows.sort(key=lambda r: (r.raised_month, r.rule, r.severity, r.child, r.state))
    return rows, titles


def flags_extract(*, user: Any) -> list[FlagRow]:
    """Every flag, pseudonymised. Each extract is audited with its size, never with whom."""
    _check(user)
    rows, _titles = _flags()
    audit_record(
        action=AuditEntry.Action.EXPORT,
        user=user,
        object_type=OBJECT_TYPE,
        detail={"rows": len(rows), "pseudonymised": True},
    )
    return rows


def flag_counts(*, user: Any) -> list[MonthCounts]:
    """Flags raised per month and rule, by severity: newest month first, then by rule."""
    _check(user)
    rows, titles = _flags()
    counts: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    for row in rows:
        counts[(row.raised_month, row.rule)][row.severity] += 1
    audit_record(
        action=AuditEntry.Action.READ,
        user=user,
        object_type=OBJECT_TYPE,
        detail={"rows": len(rows), "view": "counts by month, rule and severity"},
    )
    months = sorted({month for month, _rule in counts}, reverse=True)
    return [
        MonthCounts(
            month=month,
            rule=rule,
            title=titles.get(rule, rule),
            by_severity={s: counts[(month, rule)][s] for s in SEVERITIES},
        )
        for month in months
        for rule in sorted(r for m, r in counts if m == month)
    ]
