"""Person records as the matcher sees them, and the cleaning that makes them comparable.

Agencies write the same name many ways: "O'BRIEN", "O Brien", "obrien"; "MacDonald" and
"McDonald"; "Smith-Jones" on one system and "Smith Jones" or just "Jones" on another. Everything
here is cached per distinct string, because names repeat far more than records do.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache

import jellyfish

from jigsaw.records.nhs import nhs_number_problem
from jigsaw.records.postcodes import Postcode, parse_postcode

# Honorifics and suffixes that agencies type into name fields.
_TITLES = frozenset(
    [
        "mr",
        "mrs",
        "miss",
        "ms",
        "mx",
        "dr",
        "master",
        "prof",
        "rev",
        "sir",
        "dame",
        "lady",
        "lord",
        "jr",
        "jnr",
        "sr",
        "snr",
        "baby",
        "infant",
    ]
)
_NOT_LETTERS = re.compile(r"[^a-z\s\-']")
_SEPARATORS = re.compile(r"[\s\-]+")
# Placeholders typed when a name is unknown.
_UNKNOWN = frozenset({"unknown", "unk", "nk", "notknown", "na", "none", "xx", "xxx", "tbc"})


@dataclass(frozen=True, slots=True)
class Rec:
    """One agency's record of a person, as given (nothing cleaned yet)."""

    id: str
    source: str = ""
    given_name: str = ""
    family_name: str = ""
    other_names: tuple[str, ...] = ()
    date_of_birth: date | None = None
    sex: str = ""
    nhs_number: str = ""
    address_line: str = ""
    postcode: str = ""


@dataclass(frozen=True, slots=True)
class Norm:
    """A record cleaned for comparison. Empty strings and None mean "not known"."""

    id: str
    source: str
    given: str  # first given-name token, e.g. "peter"
    given_all: tuple[str, ...]  # every given-name token, then other names ("peter", "james")
    family: str  # family-name tokens joined, e.g. "smithjones"
    family_tokens: tuple[str, ...]  # ("smith", "jones")
    dob: date | None
    sex: str  # "M", "F" or ""
    nhs: str  # a valid NHS number, digits only, or ""
    address: str  # normalised address line
    postcode: Postcode | None
    # Fields ignored as unusable: not valid ("postcode"), or a placeholder ("postcode_placeholder")
    problems: tuple[str, ...] = field(default=())


@lru_cache(maxsize=262144)
def fold(text: str) -> str:
    """Lower case, no accents; anything but letters, spaces, hyphens and apostrophes dropped."""
    decomposed = unicodedata.normalize("NFKD", text)
    ascii_only = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _NOT_LETTERS.sub(" ", ascii_only.lower())


@lru_cache(maxsize=262144)
def name_tokens(text: str) -> tuple[str, ...]:
    """A name as comparable tokens: titles dropped, O' joined, Mac spelt Mc, hyphens split.

    "Dr Mary-Jane O'Neill" -> ("mary", "jane", "oneill"); "MacDonald" -> ("mcdonald",).
    """
    folded = fold(text).replace("'", "")
    out: list[str] = []
    for token in _SEPARATORS.split(folded):
        if not token or token in _TITLES or token in _UNKNOWN:
            continue
        # "Mac" and "Mc" are one prefix written two ways; only before a consonant, so Mace and
        # Macey keep their spelling.
        if len(token) > 5 and token.startswith("mac") and token[3] not in "aeiouy":
            token = "mc" + token[3:]
        out.append(token)
    # "O Brien" typed with a space is O'Brien.
    joined: list[str] = []
    for token in out:
        if joined and joined[-1] == "o":
            joined[-1] = "o" + token
        else:
            joined.append(token)
    return tuple(joined)


@lru_cache(maxsize=262144)
def phonetic(token: str) -> str:
    """A sound-alike code (metaphone) for one name token; '' for an empty token."""
    return jellyfish.metaphone(token) if token else ""


_ADDRESS_WORDS = {
    "road": "rd",
    "street": "st",
    "avenue": "ave",
    "av": "ave",
    "lane": "ln",
    "close": "cl",
    "court": "ct",
    "drive": "dr",
    "gardens": "gdns",
    "place": "pl",
    "crescent": "cres",
    "terrace": "ter",
    "square": "sq",
    "house": "ho",
    "flat": "",
    "apartment": "",
    "apt": "",
}
_ADDRESS_CLEAN = re.compile(r"[^a-z0-9\s]")


@lru_cache(maxsize=262144)
def address_key(text: str) -> str:
    """An address line with punctuation, case and the usual abbreviations made uniform."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    words = _ADDRESS_CLEAN.sub(" ", folded).split()
    return " ".join(w for w in (_ADDRESS_WORDS.get(w, w) for w in words) if w)


@lru_cache(maxsize=262144)
def _nhs(value: str) -> tuple[str, bool]:
    digits = value.replace(" ", "").replace("-", "")
    if not digits:
        return "", True
    if nhs_number_problem(digits) is not None:
        return "", False
    return digits, True


@lru_cache(maxsize=65536)
def _postcode(text: str) -> Postcode | None:
    return parse_postcode(text)


# NHS pseudo-postcodes (ZZ99 3VZ no fixed abode, ZZ99 3WZ address not known, ZZ99 and a
# country code for abroad) say where a person is not: unrelated people share them, so they and
# the address line that goes with them are ignored.
PLACEHOLDER_DISTRICT = "ZZ99"
_PLACEHOLDER_ADDRESSES = frozenset(
    {"no fixed abode", "nfa", "no fixed address", "nk", "not known", "unknown", "none"}
)


def normalise(rec: Rec) -> Norm:
    """The cleaned form of a record; invalid NHS numbers and postcodes are dropped and noted."""
    problems: list[str] = []
    given_tokens = name_tokens(rec.given_name) if rec.given_name else ()
    others: list[str] = []
    for other in rec.other_names:
        others.extend(t for t in name_tokens(other) if t not in given_tokens and t not in others)
    family_tokens = name_tokens(rec.family_name) if rec.family_name else ()
    nhs, nhs_ok = _nhs(rec.nhs_number)
    if not nhs_ok:
        problems.append("nhs_number")
    postcode = None
    address = address_key(rec.address_line) if rec.address_line else ""
    if rec.postcode.strip():
        postcode = _postcode(rec.postcode)
        if postcode is None:
            problems.append("postcode")
        elif postcode.district == PLACEHOLDER_DISTRICT:
            problems.append("postcode_placeholder")
            postcode, address = None, ""
    if address in _PLACEHOLDER_ADDRESSES:
        address = ""
    sex = rec.sex.strip().upper()[:1]
    return Norm(
        id=rec.id,
        source=rec.source,
        given=given_tokens[0] if given_tokens else "",
        given_all=given_tokens + tuple(others),
        family="".join(family_tokens),
        family_tokens=family_tokens,
        dob=rec.date_of_birth,
        sex=sex if sex in ("M", "F") else "",
        nhs=nhs,
        address=address,
        postcode=postcode,
        problems=tuple(problems),
    )
