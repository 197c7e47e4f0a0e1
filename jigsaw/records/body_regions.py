"""Injury sites as professionals write them ("L cheek", "behind R ear") mapped to body regions.

The site is always kept as written; the region is what rules reason with. An unrecognised site
is `other`, never an error.
"""

from __future__ import annotations

import re

REGIONS = (
    "head",
    "face",
    "cheek",
    "ear",
    "eye",
    "neck",
    "jaw",
    "mouth",
    "frenulum",
    "scalp",
    "torso",
    "chest",
    "back",
    "abdomen",
    "buttocks",
    "genitals",
    "arm",
    "hand",
    "leg",
    "foot",
    "rib",
    "skull",
)

# Most specific first: "frenulum" before "mouth", "eyelid" to eye, "ribs" before "chest".
_PATTERNS: list[tuple[str, tuple[str, ...]]] = [
    ("frenulum", ("frenulum", "frenum")),
    ("rib", ("rib", "ribs")),
    ("skull", ("skull", "cranium", "parietal", "occipital")),
    ("scalp", ("scalp",)),
    ("ear", ("ear", "ears", "earlobe", "pinna", "auricle")),
    ("eye", ("eye", "eyes", "eyelid", "eyelids", "periorbital", "orbit", "orbital")),
    ("cheek", ("cheek", "cheeks", "malar")),
    ("jaw", ("jaw", "mandible", "chin")),
    ("mouth", ("mouth", "lip", "lips", "gum", "gums", "tongue", "palate", "oral")),
    ("neck", ("neck", "throat")),
    ("face", ("face", "facial", "forehead", "nose", "temple", "brow")),
    ("head", ("head",)),
    ("chest", ("chest", "sternum", "breast")),
    ("abdomen", ("abdomen", "abdominal", "tummy", "stomach", "belly")),
    ("back", ("back", "spine", "lumbar", "shoulder blade", "scapula")),
    ("buttocks", ("buttock", "buttocks", "bottom", "bum", "gluteal")),
    ("genitals", ("genital", "genitals", "groin", "penis", "scrotum", "vulva", "perineum")),
    ("torso", ("torso", "trunk", "flank", "side", "hip", "hips", "loin")),
    ("hand", ("hand", "hands", "finger", "fingers", "thumb", "palm", "knuckle", "wrist")),
    ("foot", ("foot", "feet", "toe", "toes", "heel", "ankle", "sole")),
    ("arm", ("arm", "arms", "forearm", "elbow", "upper arm", "humerus", "shoulder")),
    ("leg", ("leg", "legs", "thigh", "knee", "shin", "calf", "femur", "tibia", "fibula")),
]


def _matcher() -> list[tuple[str, re.Pattern[str]]]:
    return [
        (region, re.compile(r"\b(" + "|".join(re.escape(w) for w in words) + r")\b"))
        for region, words in _PATTERNS
    ]


_MATCHERS = _matcher()


def site_region(site: str | None) -> str:
    """The body region of a site as written, or 'other'."""
    if not site:
        return "other"
    text = site.lower().replace("_", " ")
    # "back of hand", "side of arm": the part named after "of" is where the injury is.
    _, of, part = text.rpartition(" of ")
    for candidate in (part, text) if of else (text,):
        for region, pattern in _MATCHERS:
            if pattern.search(candidate):
                return region
    return "other"
