"""From linked pairs to persons, without letting a chain of links merge two people.

Links are added strongest first. A link is refused when it would put into one person two records
that cannot be the same person: a human's cannot-link decision between any two of their records,
two records from the same agency with different valid NHS numbers (an agency does not hold two
NHS numbers for one person), two records from the same agency born on the same day under
different given names (an agency does not usually hold two records of one child: these are
twins), or dates of birth more than a year apart (that are not the same date with day and month
swapped). Human must-link decisions are applied first and always hold.

`other_child` and `twin_like` say the same about a pair of records for the ingest path, which
matches one record at a time against the person index.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from jigsaw.identity.matching.comparisons import F_EXACT, F_TOKEN, G_ELSE, family_level, given_level


class ConstraintConflict(ValueError):
    """Human decisions contradict each other: a must-link chain joins a cannot-link pair."""


@dataclass(frozen=True, slots=True)
class Evidence:
    """What clustering checks before joining two records' persons (cleaned values)."""

    source: str = ""
    nhs: str = ""
    dob: date | None = None
    given: tuple[str, ...] = ()  # given-name tokens, then other names
    family: tuple[str, ...] = ()  # family-name tokens
    unit: str = ""  # full postcode
    sex: str = ""  # "M", "F" or ""


_FAR_DAYS = 366


def _dobs_conflict(a: date, b: date) -> bool:
    if abs(a.toordinal() - b.toordinal()) <= _FAR_DAYS:
        return False
    return not (a.year == b.year and a.month == b.day and a.day == b.month)


def _born_together(a: Evidence, b: Evidence) -> bool:
    """Same date of birth, given names not the same, and no NHS number in common."""
    return (
        a.dob is not None
        and a.dob == b.dob
        and bool(a.given and b.given)
        and a.given[0] != b.given[0]
        and not (a.nhs and a.nhs == b.nhs)
    )


def _one_agency(a: Evidence, b: Evidence) -> bool:
    return bool(a.source) and a.source == b.source


def conflict(a: Evidence, b: Evidence) -> str | None:
    """Why two records cannot be one person, whatever their score (None: they may be)."""
    if a.nhs and b.nhs and a.nhs != b.nhs and a.source == b.source:
        return "two NHS numbers from one agency"
    if a.dob and b.dob and _dobs_conflict(a.dob, b.dob):
        return "dates of birth more than a year apart"
    if _one_agency(a, b) and _born_together(a, b):
        return "one agency holds both, born the same day with different given names"
    return None


def other_child(a: Evidence, b: Evidence) -> bool:
    """Whether two records show a home with two children born on one day: the same date of
    birth at the same postcode (or, where one has none, under the same family name), different
    given names, no NHS number in common, and either one agency holds both, or a boy and a girl
    have given names with nothing in common. (Names alone are not enough across agencies: a
    nickname with a typing error, "Henyr" for Hal, shares nothing with the name either.)"""
    if not _born_together(a, b):
        return False
    if a.unit and b.unit:
        home = a.unit == b.unit
    else:
        home = bool(a.family and b.family) and family_level(a.family, b.family) in (
            F_EXACT,
            F_TOKEN,
        )
    boy_and_girl = bool(a.sex and b.sex) and a.sex != b.sex
    return home and (
        _one_agency(a, b) or (boy_and_girl and given_level(a.given, b.given) == G_ELSE)
    )


def twin_like(a: Evidence, b: Evidence) -> bool:
    """A pair that could be twins rather than one child: same date of birth, given names that
    are not the same (a variant, a misspelling, a similar name), no NHS number in common."""
    return _born_together(a, b)


HUMAN_APART = "a person decided these are different people"


@dataclass(frozen=True, slots=True)
class Refusal:
    """A link clustering refused, and why (for the review queue)."""

    a: str
    b: str
    reason: str


class _Persons:
    """Union-find over row numbers; a row alone is its own person (no list kept for it)."""

    def __init__(self, size: int, evidence: Sequence[Evidence]) -> None:
        self.parent = list(range(size))
        self.members: dict[int, list[int]] = {}  # roots of more than one row
        self.evidence = evidence
        self.cannot: dict[int, set[int]] = {}

    def find(self, i: int) -> int:
        root = i
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[i] != root:
            self.parent[i], i = root, self.parent[i]
        return root

    def of(self, root: int) -> list[int]:
        return self.members.get(root) or [root]

    def union(self, a: int, b: int) -> int:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return ra
        if len(self.of(ra)) < len(self.of(rb)):
            ra, rb = rb, ra
        self.parent[rb] = ra
        joined = self.members.get(ra)
        if joined is None:
            joined = self.members[ra] = [ra]
        joined.extend(self.members.pop(rb, [rb]))
        return ra

    def forbidden(self, ra: int, rb: int) -> bool:
        if not self.cannot:
            return False
        a, b = self.of(ra), self.of(rb)
        small, big = (a, rb) if len(a) <= len(b) else (b, ra)
        for i in small:
            for j in self.cannot.get(i, ()):
                if self.find(j) == big:
                    return True
        return False

    def conflict(self, ra: int, rb: int) -> str | None:
        evidence = self.evidence
        others = [evidence[j] for j in self.of(rb)]
        for i in self.of(ra):
            ei = evidence[i]
            for ej in others:
                reason = conflict(ei, ej)
                if reason is not None:
                    return reason
        return None


def cluster(
    ids: Sequence[str],
    links: Iterable[tuple[str, str, float]],
    *,
    evidence: Sequence[Evidence] | None = None,
    must_link: Iterable[tuple[str, str]] = (),
    cannot_link: Iterable[tuple[str, str]] = (),
) -> tuple[dict[str, int], list[Refusal]]:
    """Person number of every record id, and the links that were refused.

    `links` are (id, id, weight) pairs to be joined, strongest first; `evidence[k]` describes
    `ids[k]`. Raises ConstraintConflict when the must-links join a cannot-link pair.
    """
    index = {record_id: k for k, record_id in enumerate(ids)}
    # Strongest first; equal weights in the order of the ids, so the result never depends on
    # the order the links came in.
    ordered = sorted(links, key=lambda link: (-link[2], link[0], link[1]))
    numbers, refused = cluster_rows(
        len(ids),
        [(index[a], index[b]) for a, b, _ in ordered],
        evidence=evidence,
        must_link=[(index[a], index[b]) for a, b in must_link],
        cannot_link=[(index[a], index[b]) for a, b in cannot_link],
        names=ids,
    )
    return dict(zip(ids, numbers, strict=True)), [
        Refusal(ids[a], ids[b], reason) for _, a, b, reason in refused
    ]


def cluster_rows(
    size: int,
    links: Iterable[tuple[int, int]],
    *,
    evidence: Sequence[Evidence] | None = None,
    must_link: Iterable[tuple[int, int]] = (),
    cannot_link: Iterable[tuple[int, int]] = (),
    names: Sequence[str] = (),
) -> tuple[list[int], list[tuple[int, int, int, str]]]:
    """`cluster` on row numbers 0..size-1 (the batch path, which has no use for id strings):
    each row's person number, and the refused links as (position in `links`, row, row, why).
    `links` are joined in the order given; `names` only word the errors."""

    def name(row: int) -> str:
        return names[row] if names else str(row)

    persons = _Persons(size, evidence if evidence is not None else [Evidence()] * size)
    for ia, ib in cannot_link:
        if ia == ib:
            raise ConstraintConflict(f"{name(ia)} cannot be kept apart from itself")
        persons.cannot.setdefault(ia, set()).add(ib)
        persons.cannot.setdefault(ib, set()).add(ia)
    for ia, ib in must_link:
        persons.union(ia, ib)
    for i, partners in persons.cannot.items():
        for j in partners:
            if persons.find(i) == persons.find(j):
                raise ConstraintConflict(
                    f"{name(i)} and {name(j)} are both must- and cannot-linked"
                )
    refused: list[tuple[int, int, int, str]] = []
    find = persons.find
    for k, (a, b) in enumerate(links):
        ra, rb = find(a), find(b)
        if ra == rb:
            continue
        if persons.forbidden(ra, rb):
            refused.append((k, a, b, HUMAN_APART))
            continue
        reason = persons.conflict(ra, rb)
        if reason is not None:
            refused.append((k, a, b, reason))
            continue
        persons.union(ra, rb)
    numbers: dict[int, int] = {}
    return [numbers.setdefault(find(k), len(numbers)) for k in range(size)], refused
