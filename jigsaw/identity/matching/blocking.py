"""Blocking: which pairs of records are worth comparing at all.

Comparing every pair is quadratic, so only pairs sharing at least one blocking key are compared
(the union of the rules below). Each rule is cheap and catches the true pairs the others miss:
a wrong date of birth is caught by name rules, a misspelt name by date rules, a missing date of
birth by the name-and-postcode rules. Blocking recall (the share of true pairs that reach
comparison) caps end-to-end recall, so it is measured on every benchmark run.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from jigsaw.identity.matching.columns import Columns, Vocab
from jigsaw.identity.matching.comparisons import unique_sorted

# A block larger than this (a very common name in one birth year in a national index) is split
# by sound of the given name instead of being compared in full.
MAX_BLOCK = 5000


@dataclass(frozen=True, slots=True)
class Keys:
    """Blocking keys for a rule: key[k] is held by row[k] (a row may hold several keys)."""

    rows: np.ndarray  # int32
    keys: np.ndarray  # int64


def _expand(rows: np.ndarray, values: list[tuple[int, ...]], sig: np.ndarray) -> Keys:
    """Keys from a per-signature tuple of values (e.g. the variant groups of a given name)."""
    out_rows: list[int] = []
    out_keys: list[int] = []
    for row, s in zip(rows.tolist(), sig.tolist(), strict=True):
        for value in values[s]:
            out_rows.append(row)
            out_keys.append(value)
    return Keys(np.asarray(out_rows, dtype=np.int32), np.asarray(out_keys, dtype=np.int64))


def lookup(values: list[int], sig: np.ndarray) -> np.ndarray:
    if len(sig) <= _FEW:
        # A search's one row: index the list, rather than copy a vocabulary of a million
        # records' names into an array for it.
        return np.asarray([values[s] if values else 0 for s in np.maximum(sig, 0).tolist()],
                          dtype=np.int64)  # fmt: skip
    table = np.asarray(values, dtype=np.int64) if values else np.zeros(1, dtype=np.int64)
    return table[np.maximum(sig, 0)]


_FEW = 16


def _mix(*parts: np.ndarray) -> np.ndarray:
    """Combine integer key parts into one int64 (a hash: collisions only add candidates)."""
    out = np.zeros(len(parts[0]), dtype=np.int64)
    for part in parts:
        out = out * np.int64(1_000_003) + part.astype(np.int64)
    return out


def key_nhs(c: Columns, v: Vocab) -> Keys:
    nhs = c.col("nhs")
    rows = np.flatnonzero(nhs > 0).astype(np.int32)
    return Keys(rows, nhs[rows].astype(np.int64))


def key_dob_unordered(c: Columns, v: Vocab) -> Keys:
    """Year with day and month in either order: exact and swapped dates of birth."""
    ymd = c.col("ymd")
    rows = np.flatnonzero(ymd > 0).astype(np.int32)
    y, md = ymd[rows] // 10000, ymd[rows] % 10000
    m, d = md // 100, md % 100
    return Keys(rows, (y * 10000 + np.minimum(m, d) * 100 + np.maximum(m, d)).astype(np.int64))


def key_family_year(c: Columns, v: Vocab) -> Keys:
    """Sound of the surname, birth year and given initial: a wrong day or month of birth."""
    fsig, gsig, ymd = c.col("fsig"), c.col("gsig"), c.col("ymd")
    rows = np.flatnonzero((fsig >= 0) & (ymd > 0)).astype(np.int32)
    initial = np.where(gsig[rows] >= 0, lookup(v.given_initial, gsig[rows]), 0)
    return Keys(rows, _mix(lookup(v.family_phon, fsig[rows]), ymd[rows] // 10000, initial))


def key_given_year_month(c: Columns, v: Vocab) -> Keys:
    gsig, ymd = c.col("gsig"), c.col("ymd")
    rows = np.flatnonzero((gsig >= 0) & (ymd > 0)).astype(np.int32)
    groups = _expand(rows, v.given_groups, gsig[rows])
    return Keys(groups.rows, _mix(groups.keys, ymd[groups.rows] // 100))


def key_postcode_initial(c: Columns, v: Vocab) -> Keys:
    unit, gsig = c.col("unit"), c.col("gsig")
    rows = np.flatnonzero((unit >= 0) & (gsig >= 0)).astype(np.int32)
    return Keys(rows, _mix(unit[rows], lookup(v.given_initial, gsig[rows])))


def key_family_prefix_day(c: Columns, v: Vocab) -> Keys:
    fsig, ymd = c.col("fsig"), c.col("ymd")
    rows = np.flatnonzero((fsig >= 0) & (ymd > 0)).astype(np.int32)
    return Keys(rows, _mix(lookup(v.family_prefix, fsig[rows]), ymd[rows] % 10000))


def key_names(c: Columns, v: Vocab) -> Keys:
    """Given-name variant group with the sound of any family-name token (no date needed)."""
    gsig, fsig = c.col("gsig"), c.col("fsig")
    rows = np.flatnonzero((gsig >= 0) & (fsig >= 0)).astype(np.int32)
    fam = _expand(rows, v.family_token_phon, fsig[rows])
    groups = _expand(fam.rows, v.given_groups, gsig[fam.rows])
    fam_of = np.repeat(fam.keys, [len(v.given_groups[s]) for s in gsig[fam.rows].tolist()])
    return Keys(groups.rows, _mix(groups.keys, fam_of))


def key_given_phon_year(c: Columns, v: Vocab) -> Keys:
    """Sound of the given name and birth year: a different surname (a stepfather's, a maiden)."""
    gsig, ymd = c.col("gsig"), c.col("ymd")
    rows = np.flatnonzero((gsig >= 0) & (ymd > 0)).astype(np.int32)
    return Keys(rows, _mix(lookup(v.given_phon, gsig[rows]), ymd[rows] // 10000))


Rule = Callable[[Columns, Vocab], Keys]

RULES: dict[str, Rule] = {
    "nhs_number": key_nhs,
    "dob_either_order": key_dob_unordered,
    "family_sound+birth_year+initial": key_family_year,
    "given_group+birth_month": key_given_year_month,
    "postcode+given_initial": key_postcode_initial,
    "family_prefix+birth_day_month": key_family_prefix_day,
    "given_group+family_sound": key_names,
}


def _pairs_within(keys: Keys) -> np.ndarray:
    """Codes (lo * 2^32 + hi) of every pair of distinct rows sharing a key."""
    if len(keys.keys) < 2:
        return np.zeros(0, dtype=np.int64)
    order = np.lexsort((keys.rows, keys.keys))
    k, r = keys.keys[order], keys.rows[order].astype(np.int64)
    starts = np.flatnonzero(np.r_[True, k[1:] != k[:-1]])
    sizes = np.diff(np.r_[starts, len(k)])
    chunks: list[np.ndarray] = []
    # Blocks of the same size are expanded together, so the loop runs per size, not per block.
    for size in np.unique(sizes[(sizes >= 2) & (sizes <= MAX_BLOCK)]).tolist():
        block_starts = starts[sizes == size]
        i, j = np.triu_indices(size, 1)
        a = r[block_starts[:, None] + i[None, :]].ravel()
        b = r[block_starts[:, None] + j[None, :]].ravel()
        keep = a != b
        a, b = a[keep], b[keep]
        chunks.append((np.minimum(a, b) << 32) | np.maximum(a, b))
    if not chunks:
        return np.zeros(0, dtype=np.int64)
    return unique_sorted(np.concatenate(chunks))


def candidate_pairs(
    columns: Columns, rules: dict[str, Rule] | None = None
) -> tuple[np.ndarray, np.ndarray, dict[str, int]]:
    """Rows (ia, ib) of every candidate pair (ia < ib), and the pairs each rule produced."""
    chosen = RULES if rules is None else rules
    per_rule: dict[str, int] = {}
    codes: list[np.ndarray] = []
    for name, rule in chosen.items():
        pairs = _pairs_within(rule(columns, columns.vocab))
        per_rule[name] = len(pairs)
        codes.append(pairs)
    union = unique_sorted(np.concatenate(codes)) if codes else np.zeros(0, dtype=np.int64)
    return (union >> 32).astype(np.int32), (union & 0xFFFFFFFF).astype(np.int32), per_rule
