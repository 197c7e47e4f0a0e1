"""Person matching: which agencies' records are the same child or adult.

Pure Python (no database): clean records, block, compare, score with a Fellegi-Sunter model
trained on the data, band each pair (auto-link, review, no link), and cluster into persons while
respecting human decisions. See docs/linkage.md.
"""

from jigsaw.identity.matching.cluster import ConstraintConflict, Evidence, Refusal, cluster
from jigsaw.identity.matching.dedupe import DedupeSummary, dedupe_csv
from jigsaw.identity.matching.engine import (
    Contribution,
    Linkage,
    ScoredPair,
    Table,
    link,
    score_pair,
    train,
)
from jigsaw.identity.matching.model import Band, Model, Thresholds
from jigsaw.identity.matching.normalise import Rec, normalise
from jigsaw.identity.matching.search import Candidate, PersonIndex, Query

__all__ = [
    "Band",
    "Candidate",
    "ConstraintConflict",
    "Contribution",
    "DedupeSummary",
    "Evidence",
    "Linkage",
    "Model",
    "PersonIndex",
    "Query",
    "Rec",
    "Refusal",
    "ScoredPair",
    "Table",
    "Thresholds",
    "cluster",
    "dedupe_csv",
    "link",
    "normalise",
    "score_pair",
    "train",
]
