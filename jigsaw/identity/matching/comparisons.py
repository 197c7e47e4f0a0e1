"""The comparisons between two person records, each graded into levels of agreement.

Level 0 of every comparison is "null" (a value missing on either side): it carries no weight.
The last level is "else" (the values disagree). Levels in between run from strongest to weakest
agreement; the first a pair reaches is its level. Every comparison works on whole arrays of
pairs; the fuzzy name and address checks run once per distinct pair of values, cached.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from rapidfuzz.distance import OSA, JaroWinkler
from rapidfuzz.fuzz import token_set_ratio

from jigsaw.core.forked import map_in_parts
from jigsaw.identity.matching.columns import I8, I32, Columns, Vocab
from jigsaw.identity.matching.nicknames import name_groups
from jigsaw.identity.matching.normalise import phonetic

NULL = 0

# Given name levels
G_EXACT, G_VARIANT, G_TYPO, G_JW92, G_JW85, G_PHONETIC, G_OTHER, G_ELSE = range(1, 9)
# Family name levels
F_EXACT, F_TOKEN, F_JW92, F_PHONETIC, F_ELSE = range(1, 6)
# Date of birth levels
D_EXACT, D_SWAPPED, D_DIGIT, D_MONTH, D_YEAR, D_ELSE = range(1, 7)
# Postcode levels
P_UNIT, P_SECTOR, P_DISTRICT, P_ELSE = range(1, 5)
# Address line levels
A_EXACT, A_SIMILAR, A_ELSE = range(1, 4)
# Sex and NHS number levels
AGREE, DISAGREE = 1, 2

_CACHE_LIMIT = 4_000_000


def _pair_keys(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    lo = np.minimum(a, b).astype(np.int64)
    hi = np.maximum(a, b).astype(np.int64)
    return (lo << 32) | hi


def unique_inverse(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sorted distinct values and, for each input, the index of its value (sort-based: faster
    than numpy's hashing unique on large int64 arrays)."""
    order = np.argsort(values, kind="stable")
    ordered = values[order]
    starts = np.empty(len(ordered), dtype=bool)
    starts[:1] = True
    np.not_equal(ordered[1:], ordered[:-1], out=starts[1:])
    inverse = np.empty(len(values), dtype=np.int64)
    inverse[order] = np.cumsum(starts) - 1
    return ordered[starts], inverse


def unique_sorted(values: np.ndarray) -> np.ndarray:
    ordered = np.sort(values)
    if not len(ordered):
        return ordered
    return ordered[np.r_[True, ordered[1:] != ordered[:-1]]]


class _PairCache:
    """Levels of distinct (value, value) pairs, computed in Python once and reused."""

    def __init__(self, fn: Callable[[int, int], int]) -> None:
        self.fn = fn
        self.cache: dict[int, int] = {}

    def levels(self, a: I32, b: I32) -> I8:
        out = np.zeros(len(a), dtype=np.int8)
        if not len(a):
            return out
        uniq, inverse = unique_inverse(_pair_keys(a, b))
        if len(self.cache) > _CACHE_LIMIT:
            self.cache.clear()
        cache = self.cache
        keys = uniq.tolist()
        missing = [key for key in keys if key not in cache]
        if missing:
            # A local authority's first linking meets hundreds of thousands of new pairs of
            # names: they are shared between the cores.
            cache.update(zip(missing, map_in_parts(self._compute, missing).tolist(), strict=True))
        return np.fromiter(map(cache.__getitem__, keys), dtype=np.int8, count=len(keys))[inverse]

    def _compute(self, keys: Sequence[int]) -> I8:
        fn = self.fn
        return np.fromiter(
            (fn(key >> 32, key & 0xFFFFFFFF) for key in keys), dtype=np.int8, count=len(keys)
        )


@dataclass(frozen=True, slots=True)
class Comparison:
    """One comparison: its name, its level names (0 = null) and a short account of each."""

    name: str
    levels: tuple[str, ...]

    @property
    def else_level(self) -> int:
        return len(self.levels) - 1


GIVEN = Comparison(
    "given_name",
    (
        "null",
        "exact",
        "variant of the same name",
        "one keying error",
        "Jaro-Winkler >= 0.92",
        "Jaro-Winkler >= 0.85",
        "sounds alike",
        "one's given name among the other's other names",
        "different",
    ),
)
FAMILY = Comparison(
    "family_name",
    ("null", "exact", "shares a name of a multi-part surname", "Jaro-Winkler >= 0.92",
     "sounds alike", "different"),
)  # fmt: skip
DOB = Comparison(
    "date_of_birth",
    ("null", "exact", "day and month swapped", "one digit different", "same month and year",
     "same year", "different"),
)  # fmt: skip
POSTCODE = Comparison(
    "postcode", ("null", "same postcode", "same sector", "same district", "different")
)
ADDRESS = Comparison("address_line", ("null", "exact", "similar (token set >= 90)", "different"))
SEX = Comparison("sex", ("null", "agree", "disagree"))
NHS = Comparison("nhs_number", ("null", "agree", "disagree"))

COMPARISONS: tuple[Comparison, ...] = (GIVEN, FAMILY, DOB, POSTCODE, ADDRESS, SEX, NHS)
C_GIVEN, C_FAMILY, C_DOB, C_POSTCODE, C_ADDRESS, C_SEX, C_NHS = range(7)


def given_level(a: tuple[str, ...], b: tuple[str, ...]) -> int:
    """Level of two given-name signatures (given name first, then other names)."""
    ga, gb = a[0], b[0]
    if ga == gb:
        return G_EXACT
    if name_groups(ga) & name_groups(gb):
        return G_VARIANT
    # One letter added, dropped, changed or two swapped: a slip of the keyboard (in names long
    # enough that one letter does not make another name: Jo/Joe stay apart).
    if min(len(ga), len(gb)) >= 4 and OSA.distance(ga, gb, score_cutoff=1) <= 1:
        return G_TYPO
    jw = JaroWinkler.similarity(ga, gb)
    if jw >= 0.92 and min(len(ga), len(gb)) > 2:
        return G_JW92
    if jw >= 0.85 and min(len(ga), len(gb)) > 2:
        return G_JW85
    if len(ga) > 1 and len(gb) > 1 and phonetic(ga) == phonetic(gb):
        return G_PHONETIC
    # Known by another name: a given or other name of one record is (a variant or a misspelling
    # of) a given or other name of the other: "Davey (David)" and "Dacvid".
    for x in a:
        for y in b:
            if (x, y) != (ga, gb) and len(x) > 1 and len(y) > 1 and _same_name(x, y):
                return G_OTHER
    return G_ELSE


def _same_name(x: str, y: str) -> bool:
    if x == y or name_groups(x) & name_groups(y):
        return True
    return min(len(x), len(y)) >= 4 and OSA.distance(x, y, score_cutoff=1) <= 1


def family_level(a: tuple[str, ...], b: tuple[str, ...]) -> int:
    """Level of two family names given as tokens."""
    ja, jb = "".join(a), "".join(b)
    if ja == jb:
        return F_EXACT
    if {t for t in a if len(t) > 1} & {t for t in b if len(t) > 1}:
        return F_TOKEN
    if JaroWinkler.similarity(ja, jb) >= 0.92:
        return F_JW92
    if phonetic(ja) == phonetic(jb):
        return F_PHONETIC
    return F_ELSE


@lru_cache(maxsize=1 << 18)
def _numbers(text: str) -> frozenset[str]:
    # Cached: one address line meets hundreds of others in a batch.
    return frozenset(t for t in text.split() if any(ch.isdigit() for ch in t))


def address_level(a: str, b: str) -> int:
    if a == b:
        return A_EXACT
    # Similar wording is not enough: 12 Mill Road and 14 Mill Road are different homes.
    na, nb = _numbers(a), _numbers(b)
    if (na <= nb or nb <= na) and token_set_ratio(a, b) >= 90:
        return A_SIMILAR
    return A_ELSE


class Comparator:
    """Computes the level matrix (pairs x comparisons) between rows of two tables."""

    def __init__(self, vocab: Vocab) -> None:
        self.vocab = vocab
        self._given = _PairCache(lambda x, y: given_level(vocab.given_sigs[x], vocab.given_sigs[y]))
        self._family = _PairCache(
            lambda x, y: family_level(vocab.family_sigs[x], vocab.family_sigs[y])
        )
        self._address = _PairCache(lambda x, y: address_level(vocab.strings[x], vocab.strings[y]))

    def levels(self, left: Columns, ia: np.ndarray, right: Columns, ib: np.ndarray) -> np.ndarray:
        """Level of every comparison for the pairs (left[ia[k]], right[ib[k]])."""
        out = np.zeros((len(ia), len(COMPARISONS)), dtype=np.int8)
        out[:, C_GIVEN] = self._fuzzy(self._given, left.col("gsig")[ia], right.col("gsig")[ib])
        out[:, C_FAMILY] = self._fuzzy(self._family, left.col("fsig")[ia], right.col("fsig")[ib])
        out[:, C_DOB] = _dob_levels(left, ia, right, ib)
        out[:, C_POSTCODE] = _postcode_levels(left, ia, right, ib)
        address = self._fuzzy(self._address, left.col("addr")[ia], right.col("addr")[ib])
        # A different address line says nothing more once the postcodes differ (a person who
        # moved differs on both); counting it twice would punish every move twice.
        address[(address == A_ELSE) & (out[:, C_POSTCODE] != P_UNIT)] = NULL
        out[:, C_ADDRESS] = address
        out[:, C_SEX] = _equality(left.col("sex")[ia], right.col("sex")[ib], 0)
        out[:, C_NHS] = _equality(left.col("nhs")[ia], right.col("nhs")[ib], 0)
        return out

    @staticmethod
    def _fuzzy(cache: _PairCache, a: np.ndarray, b: np.ndarray) -> I8:
        out = np.zeros(len(a), dtype=np.int8)
        known = (a >= 0) & (b >= 0)
        same = known & (a == b)
        out[same] = 1  # level 1 is "exact" in every fuzzy comparison
        rest = known & ~same
        if rest.any():
            out[rest] = cache.levels(a[rest], b[rest])
        return out


def _equality(a: np.ndarray, b: np.ndarray, missing: int) -> I8:
    out = np.where(a == b, AGREE, DISAGREE).astype(np.int8)
    out[(a == missing) | (b == missing)] = NULL
    return out


_POWERS = np.array([10**k for k in range(7, -1, -1)], dtype=np.int64)


def _digits(ymd: np.ndarray) -> np.ndarray:
    return (ymd.astype(np.int64)[:, None] // _POWERS[None, :]) % 10


def _dob_levels(left: Columns, ia: np.ndarray, right: Columns, ib: np.ndarray) -> I8:
    a, b = left.col("dob")[ia], right.col("dob")[ib]
    ya, yb = left.col("ymd")[ia], right.col("ymd")[ib]
    out = np.full(len(ia), D_ELSE, dtype=np.int8)
    out[ya // 10000 == yb // 10000] = D_YEAR
    out[ya // 100 == yb // 100] = D_MONTH
    # One digit apart needs two of year, month and day equal (and the same decade).
    same_y, same_m, same_d = (
        ya // 10000 == yb // 10000,
        ya // 100 % 100 == yb // 100 % 100,
        ya % 100 == yb % 100,
    )
    differ = (
        (a != b)
        & (a > 0)
        & (b > 0)
        & (ya // 100000 == yb // 100000)
        & ((same_y & same_m) | (same_y & same_d) | (same_m & same_d))
    )
    if differ.any():
        idx = np.flatnonzero(differ)
        da, db = _digits(ya[idx]), _digits(yb[idx])
        diff = da != db
        count = diff.sum(axis=1)
        # A keying slip in month, day or the last digit of the year; not in the century or
        # decade, where "one digit" is a parent and child born ten or more years apart.
        early = diff[:, :3].any(axis=1)
        one = (count == 1) & ~early
        for k in range(3, 7):
            one |= (
                (count == 2)
                & diff[:, k]
                & diff[:, k + 1]
                & (da[:, k] == db[:, k + 1])
                & (da[:, k + 1] == db[:, k])
            )
        out[idx[one]] = D_DIGIT
    swapped = (left.col("dob_swap")[ia] == b) & (b > 0)
    out[swapped] = D_SWAPPED
    out[(a == b)] = D_EXACT
    out[(a == 0) | (b == 0)] = NULL
    return out


def _postcode_levels(left: Columns, ia: np.ndarray, right: Columns, ib: np.ndarray) -> I8:
    ua, ub = left.col("unit")[ia], right.col("unit")[ib]
    out = np.full(len(ia), P_ELSE, dtype=np.int8)
    out[left.col("district")[ia] == right.col("district")[ib]] = P_DISTRICT
    out[left.col("sector")[ia] == right.col("sector")[ib]] = P_SECTOR
    out[ua == ub] = P_UNIT
    out[(ua < 0) | (ub < 0)] = NULL
    return out


def display(columns: Columns, row: int, comparison: int) -> str:
    """The cleaned value a record holds for one comparison, as a reviewer would read it."""
    if comparison == C_GIVEN:
        return columns.given_text(row)
    if comparison == C_FAMILY:
        return columns.family_text(row)
    if comparison == C_DOB:
        return columns.dob_text(row)
    if comparison == C_POSTCODE:
        return columns.string_text("unit", row)
    if comparison == C_ADDRESS:
        return columns.string_text("addr", row)
    if comparison == C_SEX:
        return columns.sex_text(row)
    return columns.nhs_text(row)
