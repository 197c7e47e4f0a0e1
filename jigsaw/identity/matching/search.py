"""An in-memory person index: front-door search and scoring a new record at ingest.

Records are held column-wise (see columns.py) and found through sorted arrays of blocking keys:
a lookup is a binary search, and the candidates it returns are scored in one numpy pass with the
same comparisons and weights as batch linkage. Records added after the last build sit in a small
dictionary until the next rebuild, so `add` is cheap.

Search also takes what people know only in part: the start of a name ("Kath Smi"), a given name
alone, an outward postcode ("E8") or a year of birth. Each is a filter (the names sorted, so a
prefix is a slice; rows by district and by birth year); the rows every given filter keeps are
scored with the rest. A name that merely begins with what was typed neither adds nor takes
weight, and the explanation says so.
"""

from __future__ import annotations

import math
import re
from bisect import bisect_left
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import date

import numpy as np

from jigsaw.identity.matching.blocking import RULES, Keys, Rule, lookup
from jigsaw.identity.matching.columns import Columns, Vocab
from jigsaw.identity.matching.comparisons import (
    C_DOB,
    C_FAMILY,
    C_GIVEN,
    C_POSTCODE,
    D_DIGIT,
    D_EXACT,
    D_MONTH,
    D_SWAPPED,
    D_YEAR,
    NULL,
    P_DISTRICT,
    P_SECTOR,
    P_UNIT,
    Comparator,
)
from jigsaw.identity.matching.engine import Contribution, explain
from jigsaw.identity.matching.model import Band, Model, probability
from jigsaw.identity.matching.normalise import Rec, name_tokens, normalise
from jigsaw.records.postcodes import parse_postcode


def _key_family_sound(c: Columns, v: Vocab) -> Keys:
    fsig = c.col("fsig")
    rows = np.flatnonzero(fsig >= 0).astype(np.int32)
    return Keys(rows, lookup(v.family_phon, fsig[rows]))


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
# At most this many records are scored for a query of partial terms (a given name alone).
PARTIAL_MAX = 20_000
# A name prefix shorter than this filters nothing (an initial matches a twentieth of everyone).
_PREFIX_MIN = 2
_OUTWARD = re.compile(r"[A-Z]{1,2}[0-9][0-9A-Z]?")
_LAST = chr(0x10FFFF)


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
    year_of_birth: int | None = None  # when the date is not known (ignored beside one)

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


@dataclass(frozen=True, slots=True)
class _Partial:
    """What a query gives only in part: the start of a given or family name (cleaned), an
    outward postcode, a year of birth. Empty: not asked."""

    given: str = ""
    family: str = ""
    district: str = ""
    year: int = 0

    @classmethod
    def of(cls, query: Query) -> _Partial:
        given = name_tokens(query.given_name) if query.given_name else ()
        family = "".join(name_tokens(query.family_name)) if query.family_name else ""
        outward = re.sub(r"\s+", "", query.postcode.upper())
        district = outward if _OUTWARD.fullmatch(outward) and not parse_postcode(outward) else ""
        year = query.year_of_birth if query.year_of_birth and not query.date_of_birth else 0
        return cls(given[0] if given else "", family, district, year or 0)

    def filters(self) -> bool:
        """Whether any term narrows the records by itself."""
        return bool(
            len(self.given) >= _PREFIX_MIN
            or len(self.family) >= _PREFIX_MIN
            or self.district
            or self.year
        )


class _Prefixes:
    """Rows by name, for "begins with": the distinct names sorted, and each row keyed by the
    rank of each of its names, so the rows of every name with a prefix are one slice."""

    def __init__(self, rows: np.ndarray, sigs: np.ndarray, names_of: dict[int, list[str]]):
        self.names = sorted({name for names in names_of.values() for name in names})
        rank = {name: k for k, name in enumerate(self.names)}
        size = max(names_of, default=-1) + 1
        counts = np.zeros(size, dtype=np.int64)
        starts = np.zeros(size, dtype=np.int64)
        flat: list[int] = []
        for sig, names in names_of.items():
            starts[sig], counts[sig] = len(flat), len(names)
            flat.extend(rank[name] for name in names)
        per_row = counts[sigs]
        row_of = np.repeat(rows, per_row)
        offset = np.arange(len(row_of)) - np.repeat(np.cumsum(per_row) - per_row, per_row)
        keys = np.asarray(flat, dtype=np.int64)[np.repeat(starts[sigs], per_row) + offset]
        order = np.argsort(keys, kind="stable")
        self.keys = keys[order]
        self.rows = row_of[order].astype(np.int32)

    def find(self, prefix: str) -> np.ndarray:
        """Rows with a name beginning with `prefix`, the exact name's first."""
        lo = bisect_left(self.names, prefix)
        hi = bisect_left(self.names, prefix + _LAST)
        a = int(np.searchsorted(self.keys, lo, side="left"))
        b = int(np.searchsorted(self.keys, hi, side="left"))
        return self.rows[a:b]


def _given_names(v: Vocab, sig: int) -> list[str]:
    return [v.given_sigs[sig][0]]


def _family_names(v: Vocab, sig: int) -> list[str]:
    tokens = v.family_sigs[sig]
    return sorted({*tokens, "".join(tokens)})


def _prefixes(c: Columns, column: str, names: Callable[[Vocab, int], list[str]]) -> _Prefixes:
    """The prefix index of a name column; `names` says which names a signature goes by."""
    sig = c.col(column)
    rows = np.flatnonzero(sig >= 0).astype(np.int32)
    return _Prefixes(rows, sig[rows], {s: names(c.vocab, s) for s in np.unique(sig[rows]).tolist()})


class _Leads:
    """The first two letters of every name a name signature goes by, as numbers: a name that
    begins with a prefix of two or more letters begins with its first two. Kept up to date
    with the vocabulary as it grows."""

    _WIDTH = 4  # names per signature held; a signature with more is always looked at

    def __init__(self, names: Callable[[Vocab, int], list[str]], count: Callable[[Vocab], int]):
        self.names, self.count = names, count
        self.codes = np.zeros((0, self._WIDTH), dtype=np.int64)

    @staticmethod
    def _code(name: str) -> int:
        return (ord(name[0]) << 21) | ord(name[1]) if len(name) >= 2 else -2

    def could_begin(self, v: Vocab, sigs: np.ndarray, prefix: str) -> np.ndarray:
        """Which of `sigs` (-1: no name) may have a name beginning with `prefix`."""
        if len(prefix) < 2:
            return sigs >= 0
        size = self.count(v)
        if len(self.codes) < size:
            more = np.full((size - len(self.codes), self._WIDTH), -3, dtype=np.int64)
            for k, sig in enumerate(range(len(self.codes), size)):
                names = self.names(v, sig)
                if len(names) > self._WIDTH:
                    more[k, 0] = -1
                else:
                    more[k, : len(names)] = [self._code(n) for n in names]
            self.codes = np.concatenate([self.codes, more])
        known = sigs >= 0
        codes = self.codes[np.where(known, sigs, 0)]
        hit = ((codes == self._code(prefix)) | (codes[:, :1] == -1)).any(axis=1)
        return hit & known


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
        self._leads = {
            "gsig": _Leads(_given_names, lambda v: len(v.given_sigs)),
            "fsig": _Leads(_family_names, lambda v: len(v.family_sigs)),
        }
        self._row_of: dict[str, int] = {}
        # For partial terms: names by prefix, rows by district and by birth year, and the rows
        # added since the last build (checked one by one).
        self._given_prefixes: _Prefixes | None = None
        self._family_prefixes: _Prefixes | None = None
        self._districts: _SortedKeys | None = None
        self._years: _SortedKeys | None = None
        self._fresh: list[int] = []

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
        self._fresh.append(row)
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
        c = self.columns
        self._given_prefixes = _prefixes(c, "gsig", _given_names)
        self._family_prefixes = _prefixes(c, "fsig", _family_names)
        district, ymd = c.col("district"), c.col("ymd")
        placed = np.flatnonzero(district >= 0).astype(np.int32)
        self._districts = _SortedKeys(Keys(placed, district[placed].astype(np.int64)))
        born = np.flatnonzero(ymd > 0).astype(np.int32)
        self._years = _SortedKeys(Keys(born, (ymd[born] // 10000).astype(np.int64)))
        self._fresh = []

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
        """The best matches for a query, strongest first (one per person when `by_person`).
        Any part of a name, an outward postcode or a year of birth is used as well."""
        return list(self.ranked(query, most=limit, by_person=by_person))

    def ranked(
        self, query: Query, *, most: int = 10, by_person: bool = True
    ) -> Iterator[Candidate]:
        """`search`, one candidate at a time: each is explained only when taken, so a caller
        that may pass some over can ask for more than it keeps at little cost."""
        return self._ranked(
            query.as_record(), limit=most, by_person=by_person, partial=_Partial.of(query)
        )

    def match(self, record: Rec, *, limit: int = 10) -> list[Candidate]:
        """Candidates for a new record at ingest, each with its band (auto-link, review, none)."""
        return list(self._ranked(record, limit=limit, by_person=False))

    def _partial_rows(self, partial: _Partial) -> np.ndarray:
        """Rows that every partial term keeps (names begin so, in the district, born then)."""
        c, v = self.columns, self.vocab
        # Each term: the rows the index built for it, a check of one row (for rows added
        # since), and for a district or a year a check of many rows at once from the column,
        # cheaper than sorting the term's own rows (a district holds a tenth of a million).
        Many = Callable[[np.ndarray], np.ndarray] | None
        terms: list[tuple[np.ndarray, Callable[[int], bool], Many]] = []
        none = np.zeros(0, dtype=np.int32)
        given, family, year = partial.given, partial.family, partial.year
        if len(given) >= _PREFIX_MIN:
            built = self._given_prefixes.find(given) if self._given_prefixes else none
            terms.append((built, lambda row: _given_begins(c, row, given), None))
        if len(family) >= _PREFIX_MIN:
            built = self._family_prefixes.find(family) if self._family_prefixes else none
            terms.append((built, lambda row: _family_begins(c, row, family), None))
        if partial.district:
            district = v.lookup(partial.district)
            built = self._districts.find(district) if self._districts else none
            terms.append(
                (
                    built,
                    lambda row: int(c.col("district")[row]) == district,
                    lambda rows: c.col("district")[rows] == district,
                )
            )
        if year:
            built = self._years.find(year) if self._years else none
            terms.append(
                (
                    built,
                    lambda row: int(c.col("ymd")[row]) // 10000 == year,
                    lambda rows: c.col("ymd")[rows] // 10000 == year,
                )
            )
        if not terms:
            return np.zeros(0, dtype=np.int32)
        found: list[tuple[np.ndarray, Many]] = []
        for built, keeps, many in terms:
            fresh = [row for row in self._fresh if keeps(row)]
            found.append((np.concatenate([built, np.asarray(fresh, dtype=np.int32)]), many))
        if len(found) == 1:
            # Unique, in name order (the exact name first), so a cut keeps the closest.
            rows = found[0][0]
            _, first = np.unique(rows, return_index=True)
            return rows[np.sort(first)][:PARTIAL_MAX]
        found.sort(key=lambda term: len(term[0]))
        rows = np.unique(found[0][0])
        for other, many in found[1:]:
            if many is not None:
                rows = rows[many(rows)]
            else:
                rows = np.intersect1d(rows, np.unique(other), assume_unique=True)
        return rows[:PARTIAL_MAX]

    def _ranked(
        self, record: Rec, *, limit: int, by_person: bool, partial: _Partial | None = None
    ) -> Iterator[Candidate]:
        query = Columns(self.vocab, capacity=1)
        query.extend([normalise(replace(record, id=record.id or "query"))])
        rows = self._candidates(query)
        # Partial terms are all there is to go on, or say what the full ones cannot.
        if partial is not None and partial.filters():
            complete = bool(query.col("dob")[0] or query.col("nhs")[0] or query.col("unit")[0] >= 0)
            if partial.district or partial.year or not complete:
                rows = np.union1d(rows, self._partial_rows(partial)).astype(np.int32)
        if not len(rows):
            return
        zeros = np.zeros(len(rows), dtype=np.int64)
        levels = self.comparator.levels(query, zeros, self.columns, rows)
        asked = self._asked(partial, rows, levels) if partial is not None else _Asked()
        weights = self.model.prior_weight + self._weights[
            np.arange(levels.shape[1])[None, :], levels
        ].sum(axis=1)
        if asked:
            weights = weights + asked.weights()
        order = np.argsort(-weights, kind="stable")
        bands = self.model.bands(levels[order[: limit * 4]], weights[order[: limit * 4]])
        given = 0
        seen: set[str] = set()
        for rank, k in enumerate(order[: limit * 4].tolist()):
            row = int(rows[k])
            person = self.person_ids[row]
            if by_person and person is not None:
                if person in seen:
                    continue
                seen.add(person)
            w = float(weights[k])
            explanation = explain(
                self.model, query, 0, self.columns, row, levels[k], table=self._weights
            )
            if asked:
                explanation = asked.explain(explanation, k)
            yield Candidate(
                record_id=self.columns.ids[row],
                person_id=person,
                weight=round(w, 2),
                probability=float(probability(w)),
                band=Band(bands[rank]),
                explanation=explanation,
            )
            given += 1
            if given >= limit:
                return

    def _asked(self, partial: _Partial, rows: np.ndarray, levels: np.ndarray) -> _Asked:
        """How each row meets the partial terms, per comparison.

        A name that only begins with what was typed would score as a different name: it counts
        as neither agreeing nor not (level null, weight 0). An outward postcode and a year are
        coarser comparisons than the model's, weighed the same way: log2 of P(level | match)
        over P(level | non-match), summing the model's finer levels (same district: same unit,
        sector or district; same year: any date in it).
        """
        c = self.columns
        asked = _Asked()
        for comparison, prefix, column, names in (
            (C_GIVEN, partial.given, "gsig", _given_names),
            (C_FAMILY, partial.family, "fsig", _family_names),
        ):
            if not prefix:
                continue
            penalised = np.flatnonzero(self._weights[comparison, levels[:, comparison]] < 0)
            # Once per distinct name, not per record; and only names with the right first two
            # letters are looked at (a common surname's block holds thousands of names).
            sigs, which = np.unique(c.col(column)[rows[penalised]], return_inverse=True)
            begins = np.zeros(len(sigs), dtype=bool)
            maybe = np.flatnonzero(self._leads[column].could_begin(self.vocab, sigs, prefix))
            begins[maybe] = [
                any(n.startswith(prefix) for n in names(self.vocab, s))
                for s in sigs[maybe].tolist()
            ]
            hits = penalised[begins[which]] if len(sigs) else penalised[:0]
            if len(hits):
                levels[hits, comparison] = NULL
                labels = np.full(len(rows), "", dtype=object)
                labels[hits] = "begins with what was asked"
                asked.add(comparison, prefix, labels, np.zeros(len(rows)))
        district, ymd = c.col("district")[rows], c.col("ymd")[rows]
        for comparison, value, held, same, agree, said in (
            (C_POSTCODE, partial.district, district >= 0,
             district == self.vocab.lookup(partial.district), _DISTRICT_LEVELS,
             ("in the postcode district asked", "in another postcode district")),
            (C_DOB, str(partial.year or ""), ymd > 0, ymd // 10000 == partial.year,
             _YEAR_LEVELS, ("born in the year asked", "born in another year")),
        ):  # fmt: skip
            if not value:
                continue
            w_same, w_other = _coarse(self.model, comparison, agree)
            labels = np.where(same, said[0], np.where(held, said[1], ""))
            asked.add(comparison, value, labels, np.where(same, w_same, w_other))
        return asked


# The model's levels that a coarser question (which district, which year) counts as agreeing.
_DISTRICT_LEVELS = (P_UNIT, P_SECTOR, P_DISTRICT)
_YEAR_LEVELS = (D_EXACT, D_SWAPPED, D_DIGIT, D_MONTH, D_YEAR)


def _coarse(model: Model, comparison: int, agree: tuple[int, ...]) -> tuple[float, float]:
    """Weights of agreeing and of not agreeing on a comparison asked coarsely."""
    m, u = model.m[comparison], model.u[comparison]
    rest = [k for k in range(1, len(m)) if k not in agree]

    def weight(levels: Iterable[int]) -> float:
        chosen = list(levels)
        return math.log2(
            max(sum(m[k] for k in chosen), 1e-5) / max(sum(u[k] for k in chosen), 1e-9)
        )

    return weight(agree), weight(rest)


class _Asked:
    """Per comparison: what was asked, and per row the level said ("" = the comparison's own)
    and the weight counted in its place."""

    def __init__(self) -> None:
        self.by: dict[int, tuple[str, np.ndarray, np.ndarray]] = {}

    def __bool__(self) -> bool:
        return bool(self.by)

    def add(self, comparison: int, value: str, labels: np.ndarray, weights: np.ndarray) -> None:
        self.by[comparison] = (value, labels, np.where(labels != "", weights, 0.0))

    def weights(self) -> np.ndarray | float:
        return sum((w for _, _, w in self.by.values()), 0.0)

    def explain(self, explanation: tuple[Contribution, ...], k: int) -> tuple[Contribution, ...]:
        out = list(explanation)
        for comparison, (value, labels, weights) in self.by.items():
            if labels[k]:
                out[comparison] = replace(
                    out[comparison],
                    level=str(labels[k]),
                    value_a=value,
                    weight=round(float(weights[k]), 2),
                )
        return tuple(out)


def _given_begins(c: Columns, row: int, prefix: str) -> bool:
    sig = int(c.col("gsig")[row])
    return sig >= 0 and c.vocab.given_sigs[sig][0].startswith(prefix)


def _family_begins(c: Columns, row: int, prefix: str) -> bool:
    sig = int(c.col("fsig")[row])
    return sig >= 0 and any(name.startswith(prefix) for name in _family_names(c.vocab, sig))
