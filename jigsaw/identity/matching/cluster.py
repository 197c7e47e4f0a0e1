"""From linked pairs to persons, without letting a chain of links merge two people.

Links are added strongest first. A link is refused when it would put into one person two records
that cannot be the same person: a human's cannot-link decision between any two of their records,
two records from the same agency with different valid NHS numbers (an agency does not hold two
NHS numbers for one person), or dates of birth more than a year apart (that are not the same date
with day and month swapped). Human must-link decisions are applied first and always hold.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date


class ConstraintConflict(ValueError):
    """Human decisions contradict each other: a must-link chain joins a cannot-link pair."""


@dataclass(frozen=True, slots=True)
class Evidence:
    """What clustering checks before joining two records' persons."""

    source: str = ""
    nhs: str = ""
    dob: date | None = None


_FAR_DAYS = 366


def _dobs_conflict(a: date, b: date) -> bool:
    if abs(a.toordinal() - b.toordinal()) <= _FAR_DAYS:
        return False
    return not (a.year == b.year and a.month == b.day and a.day == b.month)


@dataclass(frozen=True, slots=True)
class Refusal:
    """A link clustering refused, and why (for the review queue)."""

    a: str
    b: str
    reason: str


class _Persons:
    def __init__(self, ids: Sequence[str], evidence: Sequence[Evidence]) -> None:
        self.parent = list(range(len(ids)))
        self.members: dict[int, list[int]] = {i: [i] for i in range(len(ids))}
        self.evidence = evidence
        self.cannot: dict[int, set[int]] = {}

    def find(self, i: int) -> int:
        root = i
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[i] != root:
            self.parent[i], i = root, self.parent[i]
        return root

    def union(self, a: int, b: int) -> int:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return ra
        if len(self.members[ra]) < len(self.members[rb]):
            ra, rb = rb, ra
        self.parent[rb] = ra
        self.members[ra].extend(self.members.pop(rb))
        return ra

    def forbidden(self, ra: int, rb: int) -> bool:
        small, big = (ra, rb) if len(self.members[ra]) <= len(self.members[rb]) else (rb, ra)
        for i in self.members[small]:
            for j in self.cannot.get(i, ()):
                if self.find(j) == big:
                    return True
        return False

    def conflict(self, ra: int, rb: int) -> str | None:
        for i in self.members[ra]:
            ei = self.evidence[i]
            for j in self.members[rb]:
                ej = self.evidence[j]
                if ei.nhs and ej.nhs and ei.nhs != ej.nhs and ei.source == ej.source:
                    return "two NHS numbers from one agency"
                if ei.dob and ej.dob and _dobs_conflict(ei.dob, ej.dob):
                    return "dates of birth more than a year apart"
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
    persons = _Persons(ids, evidence if evidence is not None else [Evidence()] * len(ids))
    for a, b in cannot_link:
        ia, ib = index[a], index[b]
        if ia == ib:
            raise ConstraintConflict(f"{a} cannot be kept apart from itself")
        persons.cannot.setdefault(ia, set()).add(ib)
        persons.cannot.setdefault(ib, set()).add(ia)
    for a, b in must_link:
        persons.union(index[a], index[b])
    for i, partners in persons.cannot.items():
        for j in partners:
            if persons.find(i) == persons.find(j):
                raise ConstraintConflict(f"{ids[i]} and {ids[j]} are both must- and cannot-linked")
    refused: list[Refusal] = []
    ordered = sorted(links, key=lambda link: (-link[2], link[0], link[1]))
    for a, b, _ in ordered:
        ra, rb = persons.find(index[a]), persons.find(index[b])
        if ra == rb:
            continue
        if persons.forbidden(ra, rb):
            refused.append(Refusal(a, b, "a person decided these are different people"))
            continue
        reason = persons.conflict(ra, rb)
        if reason is not None:
            refused.append(Refusal(a, b, reason))
            continue
        persons.union(ra, rb)
    numbers: dict[int, int] = {}
    out: dict[str, int] = {}
    for k, record_id in enumerate(ids):
        out[record_id] = numbers.setdefault(persons.find(k), len(numbers))
    return out, refused
