"""Training the model on a set of records, scoring pairs, and linking records to persons."""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from jigsaw.core.collector import paused
from jigsaw.identity.matching.blocking import candidate_pairs
from jigsaw.identity.matching.cluster import HUMAN_APART, Evidence, Refusal, cluster_rows
from jigsaw.identity.matching.columns import Columns, Vocab
from jigsaw.identity.matching.comparisons import (
    AGREE,
    C_DOB,
    C_FAMILY,
    C_GIVEN,
    C_NHS,
    C_POSTCODE,
    C_SEX,
    COMPARISONS,
    D_EXACT,
    DISAGREE,
    F_EXACT,
    F_TOKEN,
    G_ELSE,
    G_EXACT,
    G_VARIANT,
    NULL,
    P_UNIT,
    Comparator,
    display,
)
from jigsaw.identity.matching.model import (
    Band,
    Model,
    Thresholds,
    deterministic,
    estimate_u,
    expectation_maximisation,
    probability,
)
from jigsaw.identity.matching.normalise import Norm, Rec, normalise

_MAX_EM_PAIRS = 2_000_000
_RANDOM_PAIRS = 200_000  # for u: pairs drawn at random are almost all non-matches


@dataclass
class Table:
    """Records cleaned and stored column-wise, with the comparator for their vocabulary."""

    columns: Columns
    comparator: Comparator
    norms: list[Norm]

    @classmethod
    def build(cls, records: Iterable[Rec], vocab: Vocab | None = None) -> Table:
        vocab = vocab or Vocab()
        norms = [normalise(r) for r in records]
        columns = Columns(vocab, capacity=len(norms))
        columns.extend(norms)
        return cls(columns, Comparator(vocab), norms)


@dataclass(frozen=True, slots=True)
class Contribution:
    """One comparison's part in a score: what each record holds and what it was worth."""

    comparison: str
    level: str
    value_a: str
    value_b: str
    weight: float


@dataclass(frozen=True, slots=True)
class ScoredPair:
    a: str
    b: str
    weight: float
    probability: float
    band: Band
    explanation: tuple[Contribution, ...]


@paused()
def train(
    records: Sequence[Rec] | Table,
    *,
    seed: int = 1,
    thresholds: Thresholds | None = None,
    random_pairs: int = _RANDOM_PAIRS,
) -> Model:
    """A model trained on `records`: u from random pairs, m by EM on blocked pairs.

    Deterministic for a given seed (the only randomness is which pairs are sampled).
    """
    table = records if isinstance(records, Table) else Table.build(records)
    return _trained(table, seed=seed, thresholds=thresholds, random_pairs=random_pairs)[0]


_Pairs = tuple[np.ndarray, np.ndarray, np.ndarray]  # rows a, rows b, their levels


def _trained(
    table: Table, *, seed: int, thresholds: Thresholds | None, random_pairs: int
) -> tuple[Model, _Pairs | None]:
    """The model, and the candidate pairs with their levels, which linking the same table
    needs again (comparing them is most of the work)."""
    cols, n = table.columns, len(table.columns)
    rng = np.random.default_rng(seed)
    model = Model.default()
    if thresholds is not None:
        model.thresholds = thresholds
    if n < 2:
        return model, None
    started = time.perf_counter()
    sample = min(random_pairs, n * (n - 1) // 2)
    ra = rng.integers(0, n, sample)
    rb = rng.integers(0, n, sample)
    keep = ra != rb
    model.u = estimate_u(table.comparator.levels(cols, ra[keep], cols, rb[keep]))

    ia, ib, _ = candidate_pairs(cols)
    levels = table.comparator.levels(cols, ia, cols, ib)
    everything = list(range(len(COMPARISONS)))
    sessions: list[tuple[str, np.ndarray, list[int]]] = [
        ("dob_exact", levels[:, C_DOB] == D_EXACT, [c for c in everything if c != C_DOB]),
        (
            "given_and_family",
            np.isin(levels[:, C_GIVEN], (G_EXACT, G_VARIANT))
            & np.isin(levels[:, C_FAMILY], (F_EXACT, F_TOKEN)),
            [c for c in everything if c not in (C_GIVEN, C_FAMILY)],
        ),
    ]
    learnt: dict[int, list[np.ndarray]] = {}
    lambdas: dict[str, tuple[float, int]] = {}
    for name, mask, active in sessions:
        chosen = np.flatnonzero(mask)
        if len(chosen) > _MAX_EM_PAIRS:
            chosen = np.sort(rng.choice(chosen, _MAX_EM_PAIRS, replace=False))
        if len(chosen) < 10:
            continue
        ms, lam = expectation_maximisation(levels[chosen], model, active)
        lambdas[name] = (lam, int(mask.sum()))
        for c, m in zip(active, ms, strict=True):
            learnt.setdefault(c, []).append(m)
    for c, estimates in learnt.items():
        model.m[c] = np.mean(estimates, axis=0).tolist()
    # Prior: matches among the date-of-birth-blocked pairs, scaled up by the share of true
    # matches whose dates of birth agree exactly.
    if "dob_exact" in lambdas:
        lam, size = lambdas["dob_exact"]
        expected = lam * size / max(model.m[C_DOB][D_EXACT], 0.5)
        total = n * (n - 1) / 2
        model.prior = float(min(max(expected / total, 1e-9), 0.5))
    model.trained_on = {
        "records": n,
        "candidate_pairs": len(ia),
        "random_pairs": int(keep.sum()),
        "milliseconds": round((time.perf_counter() - started) * 1000),
    }
    return model, (ia, ib, levels)


def explain(
    model: Model,
    left: Columns,
    a: int,
    right: Columns,
    b: int,
    levels: np.ndarray,
    table: np.ndarray | None = None,
) -> tuple[Contribution, ...]:
    """Per comparison: level, the two values and the weight it added. `table`: the model's
    weight table, when the caller holds it (it is the same for every pair)."""
    if table is None:
        table = model.weight_table()
    return tuple(
        Contribution(
            comparison=comparison.name,
            level=comparison.levels[int(levels[c])],
            value_a=display(left, a, c),
            value_b=display(right, b, c),
            weight=round(float(table[c, int(levels[c])]), 2),
        )
        for c, comparison in enumerate(COMPARISONS)
    )


def score_pair(model: Model, a: Rec, b: Rec) -> ScoredPair:
    """Score two records against each other, with the explanation a reviewer sees."""
    table = Table.build([a, b])
    levels = table.comparator.levels(table.columns, np.array([0]), table.columns, np.array([1]))
    weight = float(model.weights(levels)[0])
    return ScoredPair(
        a=a.id,
        b=b.id,
        weight=round(weight, 2),
        probability=float(probability(weight)),
        band=Band(model.bands(levels, np.array([weight]))[0]),
        explanation=explain(model, table.columns, 0, table.columns, 1, levels[0]),
    )


@dataclass
class Linkage:
    """Result of linking a set of records."""

    persons: dict[str, int]  # record id -> person number
    auto_links: int
    review: list[ScoredPair]
    refused: list[Refusal]
    candidate_pairs: int
    model: Model
    pairs: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] = field(repr=False)
    # (row a, row b, weight, band) of every candidate pair, rows into `ids`
    ids: list[str] = field(default_factory=list, repr=False)
    levels: np.ndarray = field(default_factory=lambda: np.zeros((0, 7), np.int8), repr=False)


def _drop_ambiguous(
    table: Table, ia: np.ndarray, ib: np.ndarray, levels: np.ndarray, bands: np.ndarray
) -> None:
    """Send to review the auto-links of a record with no date of birth that could be either of
    two people years apart in age (a father and son of one name at one address)."""
    auto = bands == Band.AUTO.value
    undated = np.flatnonzero(auto & (levels[:, C_DOB] == NULL) & (levels[:, C_NHS] != AGREE))
    if not len(undated):
        return
    partners: dict[int, list[tuple[int, int]]] = {}
    for k in undated.tolist():
        a, b = int(ia[k]), int(ib[k])
        if table.norms[a].dob is None:
            partners.setdefault(a, []).append((k, b))
        if table.norms[b].dob is None:
            partners.setdefault(b, []).append((k, a))
    for edges in partners.values():
        dobs = [table.norms[other].dob for _, other in edges]
        known = [d.toordinal() for d in dobs if d is not None]
        if known and max(known) - min(known) > 366:
            for k, _ in edges:
                bands[k] = Band.REVIEW.value


def evidence_of(norm: Norm) -> Evidence:
    """What clustering checks of a cleaned record."""
    return Evidence(
        source=norm.source,
        nhs=norm.nhs,
        dob=norm.dob,
        given=norm.given_all,
        family=norm.family_tokens,
        unit=norm.postcode.unit if norm.postcode else "",
        sex=norm.sex,
    )


def _hold_twins(
    cols: Columns, ia: np.ndarray, ib: np.ndarray, levels: np.ndarray, bands: np.ndarray
) -> None:
    """Send to review the auto-links that could join twins: born the same day, given names not
    the same (Mohammed and Muhammad, Chloe and Khloe), no NHS number in common, where the home
    shows another child born that day: one agency holds two such records, or a boy and a girl
    there have given names with nothing in common (as `cluster.other_child` says of a pair)."""
    given, dob = levels[:, C_GIVEN], levels[:, C_DOB]
    born_together = (dob == D_EXACT) & (levels[:, C_NHS] != AGREE) & (given != NULL)
    born_together &= given != G_EXACT
    if not born_together.any():
        return
    postcode = levels[:, C_POSTCODE]
    family = levels[:, C_FAMILY]
    home = (postcode == P_UNIT) | ((postcode == NULL) & np.isin(family, (F_EXACT, F_TOKEN)))
    source = cols.col("source")
    one_agency = (source[ia] == source[ib]) & (source[ia] != cols.vocab.lookup(""))
    boy_and_girl = levels[:, C_SEX] == DISAGREE
    two_children = born_together & home & (one_agency | (boy_and_girl & (given == G_ELSE)))
    marked = np.zeros(len(cols), dtype=bool)
    marked[ia[two_children]] = True
    marked[ib[two_children]] = True
    hold = (bands == Band.AUTO.value) & born_together & (marked[ia] | marked[ib])
    bands[hold] = Band.REVIEW.value


def _strongest_first(
    ids: Sequence[str], ia: np.ndarray, ib: np.ndarray, strength: np.ndarray, chosen: np.ndarray
) -> np.ndarray:
    """`chosen` pairs ordered as `cluster` orders links: strongest first, then by the two ids."""
    rank = np.empty(len(ids), dtype=np.int64)
    rank[np.argsort(np.asarray(ids, dtype=str), kind="stable")] = np.arange(len(ids))
    order = np.lexsort((rank[ib[chosen]], rank[ia[chosen]], -strength[chosen]))
    return chosen[order]


@paused()
def link(
    records: Sequence[Rec],
    *,
    model: Model | None = None,
    seed: int = 1,
    must_link: Iterable[tuple[str, str]] = (),
    cannot_link: Iterable[tuple[str, str]] = (),
    review_limit: int = 10_000,
) -> Linkage:
    """Link records to persons: train (unless given a model), block, score, band and cluster."""
    table = Table.build(records)
    pairs: _Pairs | None = None
    if model is None:
        model, pairs = _trained(table, seed=seed, thresholds=None, random_pairs=_RANDOM_PAIRS)
    cols = table.columns
    if pairs is None:
        ia, ib, _ = candidate_pairs(cols)
        pairs = (ia, ib, table.comparator.levels(cols, ia, cols, ib))
    ia, ib, levels = pairs
    weights = model.weights(levels)
    bands = model.bands(levels, weights)
    _drop_ambiguous(table, ia, ib, levels, bands)
    _hold_twins(cols, ia, ib, levels, bands)
    auto = np.flatnonzero(bands == Band.AUTO.value)
    # Deterministic links rank above any probabilistic one.
    strength = weights + np.where(deterministic(levels), 1000.0, 0.0)
    ids = cols.ids
    ordered = _strongest_first(ids, ia, ib, strength, auto)
    must, cannot = list(must_link), list(cannot_link)
    row = {record_id: k for k, record_id in enumerate(ids)} if must or cannot else {}
    numbers, refusals = cluster_rows(
        len(ids),
        zip(ia[ordered].tolist(), ib[ordered].tolist(), strict=True),
        evidence=[evidence_of(n) for n in table.norms],
        must_link=[(row[a], row[b]) for a, b in must],
        cannot_link=[(row[a], row[b]) for a, b in cannot],
        names=ids,
    )
    persons = dict(zip(ids, numbers, strict=True))
    refused = [Refusal(ids[a], ids[b], why) for _, a, b, why in refusals]
    # A link clustering refused for what the records hold (not for a person's decision) is
    # for a person to look at, like the review band.
    held_back = np.sort(ordered[[k for k, _, _, why in refusals if why != HUMAN_APART]])
    review_rows = np.concatenate([np.flatnonzero(bands == Band.REVIEW.value), held_back])
    review_rows = review_rows[np.argsort(-weights[review_rows], kind="stable")][:review_limit]
    weight_table = model.weight_table()
    review = [
        ScoredPair(
            a=ids[ia[k]],
            b=ids[ib[k]],
            weight=round(float(weights[k]), 2),
            probability=float(probability(weights[k])),
            band=Band.REVIEW,
            explanation=explain(
                model, cols, int(ia[k]), cols, int(ib[k]), levels[k], table=weight_table
            ),
        )
        for k in review_rows.tolist()
        if persons[ids[ia[k]]] != persons[ids[ib[k]]]
    ]
    return Linkage(
        persons=persons,
        auto_links=len(auto),
        review=review,
        refused=refused,
        candidate_pairs=len(ia),
        model=model,
        pairs=(ia, ib, weights, bands),
        ids=list(ids),
        levels=levels,
    )
