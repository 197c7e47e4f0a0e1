"""An in-memory person index: front-door search and scoring a new record at ingest.

Records are held column-wise (see columns.py) and found through sorted arrays of blocking keys:
a lookup is a binary search, and the candidates it returns are scored in one numpy pass with the
same comparisons and weights as batch linkage. Records added after the last build sit in a small
dictionary until the next rebuild, so `add` is cheap.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date

import numpy as np

from jigsaw.identity.matching.blocking import RULES, Keys, Rule
from jigsaw.identity.matching.columns import Columns, Vocab
from jigsaw.identity.matching.comparisons import Comparator
from jigsaw.identity.matching.engine import Contribution, explain
from jigsaw.identity.matching.model import Band, Model, probability
from jigsaw.identity.matching.normalise import Rec, normalise


def _key_family_sound(c: Columns, v: Vocab) -> Keys:
    fsig = c.col("fsig")
    rows = np.flatnonzero(fsig >= 0).astype(np.int32)
    table = np.asarray(v.family_phon or [0], dtype=np.int64)
    return Keys(rows, table[fsig[rows]])


def _key_postcode(c: Columns, v: Vocab) -> Keys:
    unit = c.col("unit")
    rows = np.flatnonzero(unit >= 0).astype(np.int32)
    return Keys(rows, unit[rows].astype(np.int64))


# Search also answers queries with a single field: a surname, or a postcode.
SEARCH_RULES: dict[str, Rule] = {
    **RULES,
    "family_sound": _key_family_sound,
    "postcode": _key_postcode,
}
# A key shared by more records than this is skipped when the query has a narrower one.
_BROAD = 20_000
_REBUILD_AFTER = 50_000


@dataclass(frozen=True, slots=True)
class Query:
    """What someone at the front door knows: any subset of these."""

    given_name: str = ""
    family_name: str = ""
    date_of_birth: date | None = None
    postcode: str = ""
    nhs_number: str = ""
    sex: str = ""
    address_line: str = ""

    def as_record(self) -> Rec:
        return Rec(
            id="",
            given_name=self.given_name,
            family_name=self.family_name,
            date_of_birth=self.date_of_birth,
            sex=self.sex,
            nhs_number=self.nhs_number,
            address_line=self.address_line,
            postcode=self.postcode,
        )


@dataclass(frozen=True, slots=True)
class Candidate:
    record_id: str
    person_id: str | None
    weight: float
    probability: float
    band: Band
    explanation: tuple[Contribution, ...]


class _SortedKeys:
    def __init__(self, keys: Keys) -> None:
        order = np.argsort(keys.keys, kind="stable")
        self.keys = keys.keys[order]
        self.rows = keys.rows[order]

    def find(self, key: int) -> np.ndarray:
        lo = int(np.searchsorted(self.keys, key, side="left"))
        hi = int(np.searchsorted(self.keys, key, side="right"))
        return self.rows[lo:hi]


class PersonIndex:
    """Records of persons, searchable by any subset of name, date of birth, postcode, NHS number."""

    def __init__(self, model: Model, *, vocab: Vocab | None = None) -> None:
        self.vocab = vocab or Vocab()
        self.model = model
        self.columns = Columns(self.vocab)
        self.comparator = Comparator(self.vocab)
        self.person_ids: list[str | None] = []
        self._sorted: dict[str, _SortedKeys] = {}
        self._pending: dict[str, dict[int, list[int]]] = {name: {} for name in SEARCH_RULES}
        self._pending_rows = 0
        self._weights = model.weight_table()
        self._row_of: dict[str, int] = {}

    def __len__(self) -> int:
        return len(self.columns)

    def add_many(self, records: Iterable[Rec], person_ids: Iterable[str | None] = ()) -> None:
        """Add records in bulk and rebuild the key arrays (the fast way to load an index)."""
        people = iter(person_ids)
        added = self.columns.extend(normalise(r) for r in records)
        for _ in added:
            self.person_ids.append(next(people, None))
        self.rebuild()

    def add(self, record: Rec, person_id: str | None = None) -> None:
        """Add one record; searchable at once."""
        row = self.columns.extend([normalise(record)])[0]
        self.person_ids.append(person_id)
        single = Columns(self.vocab, capacity=1)
        single.extend([normalise(record)])
        for name, rule in SEARCH_RULES.items():
            keys = rule(single, self.vocab)
            bucket = self._pending[name]
            for key in keys.keys.tolist():
                bucket.setdefault(key, []).append(row)
        self._pending_rows += 1
        if self._pending_rows >= _REBUILD_AFTER:
            self.rebuild()

    def set_person(self, record_id: str, person_id: str) -> None:
        """Record which person a record now belongs to (after linking or a human decision)."""
        if len(self._row_of) != len(self.columns.ids):
            self._row_of = {rid: row for row, rid in enumerate(self.columns.ids)}
        self.person_ids[self._row_of[record_id]] = person_id

    def rebuild(self) -> None:
        self._sorted = {
            name: _SortedKeys(rule(self.columns, self.vocab)) for name, rule in SEARCH_RULES.items()
        }
        self._pending = {name: {} for name in SEARCH_RULES}
        self._pending_rows = 0

    def _candidates(self, query: Columns) -> np.ndarray:
        narrow: list[np.ndarray] = []
        broad: list[np.ndarray] = []
        for name, rule in SEARCH_RULES.items():
            keys = rule(query, self.vocab)
            for key in keys.keys.tolist():
                found = self._sorted[name].find(key) if name in self._sorted else np.zeros(0)
                extra = self._pending[name].get(key)
                if extra:
                    found = np.concatenate([found, np.asarray(extra, dtype=np.int32)])
                (broad if len(found) > _BROAD else narrow).append(found)
        chosen = narrow or broad[:1]
        if not chosen:
            return np.zeros(0, dtype=np.int32)
        return np.unique(np.concatenate(chosen).astype(np.int32))

    def search(self, query: Query, *, limit: int = 10, by_person: bool = True) -> list[Candidate]:
        """The best matches for a query, strongest first (one per person when `by_person`)."""
        return self._rank(query.as_record(), limit=limit, by_person=by_person)

    def match(self, record: Rec, *, limit: int = 10) -> list[Candidate]:
        """Candidates for a new record at ingest, each with its band (auto-link, review, none)."""
        return self._rank(record, limit=limit, by_person=False)

    def _rank(self, record: Rec, *, limit: int, by_person: bool) -> list[Candidate]:
        query = Columns(self.vocab, capacity=1)
        query.extend([normalise(replace(record, id=record.id or "query"))])
        rows = self._candidates(query)
        if not len(rows):
            return []
        zeros = np.zeros(len(rows), dtype=np.int64)
        levels = self.comparator.levels(query, zeros, self.columns, rows)
        weights = self.model.prior_weight + self._weights[
            np.arange(levels.shape[1])[None, :], levels
        ].sum(axis=1)
        order = np.argsort(-weights, kind="stable")
        bands = self.model.bands(levels[order[: limit * 4]], weights[order[: limit * 4]])
        out: list[Candidate] = []
        seen: set[str] = set()
        for rank, k in enumerate(order[: limit * 4].tolist()):
            row = int(rows[k])
            person = self.person_ids[row]
            if by_person and person is not None:
                if person in seen:
                    continue
                seen.add(person)
            w = float(weights[k])
            out.append(
                Candidate(
                    record_id=self.columns.ids[row],
                    person_id=person,
                    weight=round(w, 2),
                    probability=float(probability(w)),
                    band=Band(bands[rank]),
                    explanation=explain(self.model, query, 0, self.columns, row, levels[k]),
                )
            )
            if len(out) >= limit:
                break
        return out
