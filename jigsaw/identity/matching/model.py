"""The Fellegi-Sunter model: how much each level of each comparison says about "same person".

For every comparison level, m is the chance a true match shows that level and u the chance a
non-match does; the level's match weight is log2(m/u). A pair's total weight is the prior weight
plus the weights of its levels, and its match probability is 2^w / (1 + 2^w).

u is measured on random pairs (almost all non-matches). m is learnt by expectation maximisation
(EM) on blocked pairs, in two sessions that block on different fields (dates of birth; names), so
each comparison is learnt from pairs that were not chosen for agreeing on it. EM on person data
can settle on "same household" instead of "same person" (siblings, twins, a parent and child
share surname, address and postcode), so m is bounded where a household would inflate it: a true
match rarely has a different given name or a date of birth years away.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np

from jigsaw.identity.matching.comparisons import (
    A_EXACT,
    AGREE,
    C_ADDRESS,
    C_DOB,
    C_FAMILY,
    C_GIVEN,
    C_NHS,
    C_POSTCODE,
    C_SEX,
    COMPARISONS,
    D_DIGIT,
    D_ELSE,
    D_EXACT,
    D_MONTH,
    D_SWAPPED,
    D_YEAR,
    DISAGREE,
    F_ELSE,
    F_EXACT,
    G_ELSE,
    G_EXACT,
    G_JW85,
    G_JW92,
    G_OTHER,
    G_PHONETIC,
    G_TYPO,
    G_VARIANT,
    NULL,
    P_UNIT,
)

_FLOOR = 1e-5
_PSEUDO_COUNT = 20.0


class Band(StrEnum):
    AUTO = "auto_link"
    REVIEW = "review"
    NONE = "no_link"


# Starting m for EM, and the bounds EM may not leave (level -> (low, high)). The upper bounds are
# the household guard: a true match with a different given name, or a date of birth in another
# year, is a data-entry accident, not a pattern to learn.
_M_START: tuple[tuple[float, ...], ...] = (
    (0, 0.80, 0.08, 0.02, 0.02, 0.01, 0.01, 0.02, 0.03),  # given
    (0, 0.80, 0.04, 0.04, 0.02, 0.10),  # family
    (0, 0.93, 0.01, 0.03, 0.01, 0.01, 0.01),  # dob
    (0, 0.85, 0.04, 0.04, 0.07),  # postcode
    (0, 0.80, 0.05, 0.15),  # address
    (0, 0.98, 0.02),  # sex
    (0, 0.99, 0.01),  # nhs
)
_M_BOUNDS: dict[tuple[int, int], tuple[float, float]] = {
    (C_GIVEN, G_ELSE): (_FLOOR, 0.02),
    (C_GIVEN, G_JW85): (_FLOOR, 0.03),
    (C_GIVEN, G_PHONETIC): (_FLOOR, 0.03),
    (C_DOB, D_ELSE): (_FLOOR, 0.003),
    (C_DOB, D_YEAR): (_FLOOR, 0.01),
    (C_DOB, D_MONTH): (_FLOOR, 0.01),
    (C_NHS, DISAGREE): (0.002, 0.05),
}


@dataclass(frozen=True, slots=True)
class Thresholds:
    """Match weight (log2 odds) at or above which a pair is auto-linked or sent for review."""

    auto_link: float = 6.0
    review: float = -4.0


@dataclass
class Model:
    """Trained m and u per comparison level, and the prior probability two records match."""

    m: list[list[float]]
    u: list[list[float]]
    prior: float
    thresholds: Thresholds = field(default_factory=Thresholds)
    trained_on: dict[str, int] = field(default_factory=dict)

    @classmethod
    def default(cls) -> Model:
        """A model with sensible starting values, for use before any training."""
        m = [list(levels) for levels in _M_START]
        u = [[0.0, *([1.0 / (len(c.levels) - 1)] * (len(c.levels) - 1))] for c in COMPARISONS]
        u[C_GIVEN] = [0, 0.01, 0.002, 0.001, 0.002, 0.01, 0.003, 0.001, 0.971]
        u[C_FAMILY] = [0, 0.005, 0.0005, 0.002, 0.003, 0.9895]
        u[C_DOB] = [0, 0.0001, 0.0001, 0.0005, 0.003, 0.03, 0.9663]
        u[C_NHS] = [0, 1e-7, 1 - 1e-7]
        u[C_SEX] = [0, 0.5, 0.5]
        return cls(m=m, u=u, prior=1e-5)

    def for_population(self, records: int) -> Model:
        """This model with the prior adjusted to a population of `records` records.

        A new record has about the same number of true matches whatever the population, so the
        chance that it matches any one record falls as the population grows.
        """
        trained = self.trained_on.get("records", 0)
        if not trained or records <= 1:
            return self
        prior = min(self.prior * (trained - 1) / (records - 1), 0.5)
        return Model(self.m, self.u, prior, self.thresholds, dict(self.trained_on))

    def weight_table(self) -> np.ndarray:
        """Match weight of each (comparison, level); null levels are 0. Shape (C, max levels)."""
        width = max(len(c.levels) for c in COMPARISONS)
        table = np.zeros((len(COMPARISONS), width))
        for c, comparison in enumerate(COMPARISONS):
            for level in range(1, len(comparison.levels)):
                m = max(self.m[c][level], _FLOOR)
                u = max(self.u[c][level], 1e-9)
                table[c, level] = math.log2(m / u)
        return table

    @property
    def prior_weight(self) -> float:
        return math.log2(self.prior / (1 - self.prior))

    def weights(self, levels: np.ndarray) -> np.ndarray:
        """Total match weight of each pair from its level matrix (pairs x comparisons)."""
        table = self.weight_table()
        total = np.full(len(levels), self.prior_weight)
        for c in range(len(COMPARISONS)):
            total += table[c, levels[:, c]]
        return total

    def bands(self, levels: np.ndarray, weights: np.ndarray) -> np.ndarray:
        """Band of each pair (as an array of Band values)."""
        auto = (weights >= self.thresholds.auto_link) & auto_allowed(levels)
        auto |= deterministic(levels)
        out = np.full(len(weights), Band.NONE.value, dtype=object)
        out[weights >= self.thresholds.review] = Band.REVIEW.value
        out[auto] = Band.AUTO.value
        return out

    def to_dict(self) -> dict[str, object]:
        return {
            "prior": self.prior,
            "thresholds": {
                "auto_link": self.thresholds.auto_link,
                "review": self.thresholds.review,
            },
            "comparisons": {
                c.name: {
                    level: {"m": self.m[i][k], "u": self.u[i][k]}
                    for k, level in enumerate(c.levels)
                    if k
                }
                for i, c in enumerate(COMPARISONS)
            },
            "trained_on": self.trained_on,
        }

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> Model:
        """The model `to_dict` described (levels it does not name keep their default m and u)."""
        model = cls.default()
        comparisons = data.get("comparisons") or {}
        assert isinstance(comparisons, dict)
        for i, comparison in enumerate(COMPARISONS):
            levels = comparisons.get(comparison.name) or {}
            for k, level in enumerate(comparison.levels):
                if k and level in levels:
                    model.m[i][k] = float(levels[level]["m"])
                    model.u[i][k] = float(levels[level]["u"])
        thresholds = data.get("thresholds") or {}
        assert isinstance(thresholds, dict)
        default = Thresholds()
        model.thresholds = Thresholds(
            auto_link=float(thresholds.get("auto_link", default.auto_link)),
            review=float(thresholds.get("review", default.review)),
        )
        model.prior = float(data.get("prior", model.prior))  # type: ignore[arg-type]
        trained_on = data.get("trained_on") or {}
        assert isinstance(trained_on, dict)
        model.trained_on = {str(k): int(v) for k, v in trained_on.items()}
        return model


def probability(weight: float | np.ndarray) -> float | np.ndarray:
    """Match probability of a match weight."""
    return 1.0 / (1.0 + np.power(2.0, -np.asarray(weight, dtype=float)))


def deterministic(levels: np.ndarray) -> np.ndarray:
    """Same valid NHS number and the same date of birth (or day and month swapped)."""
    dob = levels[:, C_DOB]
    return (levels[:, C_NHS] == AGREE) & ((dob == D_EXACT) | (dob == D_SWAPPED))


_STRONG_GIVEN = (G_EXACT, G_VARIANT, G_TYPO, G_JW92, G_OTHER)
_CLOSE_DOB = (D_EXACT, D_SWAPPED, D_DIGIT)


def auto_allowed(levels: np.ndarray) -> np.ndarray:
    """Pairs whose evidence is of the kind that may be linked without a person looking.

    However high its weight, a pair is never auto-linked unless the given name agrees (or the NHS
    number does, with some agreement of given name), and the date of birth agrees (or is
    missing, with the NHS number agreeing). A name with nothing else never links. Pairs that
    look like twins (same date of birth and surname, given names merely similar, no NHS number
    agreeing) go to review: twins with names one letter apart exist.
    """
    given, dob, family = levels[:, C_GIVEN], levels[:, C_DOB], levels[:, C_FAMILY]
    nhs_agree = levels[:, C_NHS] == AGREE
    given_ok = np.isin(given, _STRONG_GIVEN) | (nhs_agree & (given != NULL) & (given != G_ELSE))
    # No date of birth: the full name at the same address will do (a father and son of one name
    # at one address are then kept apart by clustering, which refuses dates years apart).
    same_home = (levels[:, C_ADDRESS] == A_EXACT) & (levels[:, C_POSTCODE] == P_UNIT)
    full_name = np.isin(given, (G_EXACT, G_VARIANT)) & (family == F_EXACT)
    dob_ok = np.isin(dob, _CLOSE_DOB) | ((dob == NULL) & (nhs_agree | (full_name & same_home)))
    twin_risk = (
        ~nhs_agree
        & (dob == D_EXACT)
        & (family != NULL)
        & (family != F_ELSE)
        & ~np.isin(given, (G_EXACT, G_VARIANT, G_TYPO, G_OTHER))
    )
    # Two valid NHS numbers that differ: one of them is wrong, or these are two people (twins
    # given variant spellings of one name). A person decides.
    nhs_differ = (levels[:, C_NHS] == DISAGREE) & ~(
        (given == G_EXACT) & (family == F_EXACT) & np.isin(dob, (D_EXACT, D_SWAPPED))
    )
    return given_ok & dob_ok & ~twin_risk & ~nhs_differ


def _clamp(m: np.ndarray, c: int) -> np.ndarray:
    """Keep m within bounds, renormalising the unbounded levels so the non-null levels sum to 1."""
    m = np.maximum(m, _FLOOR)
    m[NULL] = 0
    fixed = np.zeros(len(m), dtype=bool)
    for _ in range(3):
        for (cc, level), (low, high) in _M_BOUNDS.items():
            if cc == c:
                if m[level] > high:
                    m[level], fixed[level] = high, True
                elif m[level] < low:
                    m[level], fixed[level] = low, True
        free = ~fixed
        free[NULL] = False
        rest = 1.0 - m[fixed].sum()
        m[free] *= rest / m[free].sum()
    return m


def expectation_maximisation(
    levels: np.ndarray,
    model: Model,
    active: list[int],
    *,
    iterations: int = 25,
    start_lambda: float = 0.3,
) -> tuple[list[np.ndarray], float]:
    """EM for m (u held fixed) over pairs, using only the `active` comparisons.

    Returns m per active comparison, and the share of pairs that match (lambda).
    """
    m = {c: np.asarray(model.m[c], dtype=float).copy() for c in active}
    log_u = {c: np.log(np.maximum(np.asarray(model.u[c], dtype=float), 1e-9)) for c in active}
    lam = start_lambda
    n = len(levels)
    for _ in range(iterations):
        log_m_total = np.zeros(n)
        log_u_total = np.zeros(n)
        for c in active:
            lm = np.log(np.maximum(m[c], _FLOOR))
            lm[NULL] = 0.0
            lu = log_u[c].copy()
            lu[NULL] = 0.0
            log_m_total += lm[levels[:, c]]
            log_u_total += lu[levels[:, c]]
        # Posterior of "match", computed in log space for stability.
        a = math.log(lam) + log_m_total
        b = math.log(1 - lam) + log_u_total
        post = 1.0 / (1.0 + np.exp(np.clip(b - a, -700, 700)))
        new_lam = float(post.mean())
        for c in active:
            counts = np.bincount(levels[:, c], weights=post, minlength=len(m[c])).astype(float)
            # Pseudo-counts from the starting values: a level no training match happened to
            # show keeps a plausible m instead of collapsing to zero (an enormous penalty).
            counts += _PSEUDO_COUNT * np.asarray(_M_START[c])
            counts[NULL] = 0
            total = counts.sum()
            if total > 0:
                m[c] = _clamp(counts / total, c)
        converged = abs(new_lam - lam) < 1e-7
        lam = min(max(new_lam, 1e-6), 1 - 1e-6)
        if converged:
            break
    return [m[c] for c in active], lam


def estimate_u(levels: np.ndarray) -> list[list[float]]:
    """u per level from the level matrix of random pairs (half a count where none was seen)."""
    out: list[list[float]] = []
    for c, comparison in enumerate(COMPARISONS):
        counts = np.bincount(levels[:, c], minlength=len(comparison.levels)).astype(float)
        counts[NULL] = 0
        counts[1:] = np.maximum(counts[1:], 0.5)
        out.append((counts / counts.sum()).tolist())
    return out


DOB_TRAINING_LEVELS = (D_EXACT, D_SWAPPED, D_DIGIT, D_MONTH, D_YEAR, D_ELSE)
GIVEN_TRAINING_LEVELS = (G_EXACT, G_VARIANT)
