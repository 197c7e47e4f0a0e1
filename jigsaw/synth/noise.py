"""How each agency gets a person's details a little wrong.

Real records disagree: a GP has "Peter", the police "PETE SMITH"; a school has the child under
mum's surname; one hospital swapped day and month of birth; the police rarely have an NHS number.
Every rate here is configurable so a linkage engine can be tested against clean and dirty data.
An agency's version of a person is decided once, when it first records them, and kept.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from datetime import date
from random import Random
from typing import TYPE_CHECKING, Any

from jigsaw.synth.agencies import nhs_number_of_nobody
from jigsaw.synth.names import variants_of
from jigsaw.synth.timeline import day_iso

if TYPE_CHECKING:
    from jigsaw.synth.population import Person

# Share of an agency's person records sent with no NHS number, by sector. Health services hold it
# almost always; the police almost never; schools and social care often.
DEFAULT_MISSING_NHS: dict[str, float] = {
    "health": 0.05,
    "adult_mental_health": 0.05,
    "substance_misuse": 0.40,
    "social_care": 0.20,
    "education": 0.40,
    "housing": 0.70,
    "police": 0.90,
}
_LETTERS = "abcdefghijklmnopqrstuvwxyz"


@dataclass(frozen=True, slots=True)
class NoiseConfig:
    """Rates of error in agencies' person records (each a probability per record)."""

    typo_rate: float = 0.03  # one letter inserted, dropped, changed or swapped in a name
    nickname_rate: float = 0.10  # a variant of the given name (Pete for Peter), where one exists
    dob_swap_rate: float = 0.01  # day and month of birth swapped, where that makes a valid date
    missing_dob_rate: float = 0.03  # no date of birth (agencies outside health)
    missing_nhs: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_MISSING_NHS))
    wrong_nhs_rate: float = 0.003  # of records with an NHS number: a valid one of nobody's
    old_address_rate: float = 0.05  # first recorded with the address the person has left
    alt_surname_rate: float = 0.08  # a former, partner's or one half of a double-barrelled surname
    duplicate_rate: float = 0.01  # hospitals and police open a second record for the same person
    uppercase_rate: float = 0.5  # police systems that hold family names in capitals
    late_record_rate: float = 0.03  # events recorded weeks after they happened
    correction_rate: float = 0.005  # events re-sent later with corrected content

    def scaled(self, factor: float) -> NoiseConfig:
        """Every record-error rate multiplied by `factor` (capped at 1); timing rates unchanged."""
        if factor == 1.0:
            return self
        kept = {"uppercase_rate", "late_record_rate", "correction_rate", "missing_nhs"}
        changes: dict[str, Any] = {
            f.name: min(1.0, getattr(self, f.name) * factor)
            for f in fields(self)
            if f.name not in kept
        }
        changes["missing_nhs"] = {k: min(1.0, v * factor) for k, v in self.missing_nhs.items()}
        return replace(self, **changes)

    def missing_nhs_for(self, sector: str) -> float:
        return self.missing_nhs.get(sector, 0.5)


def typo(rng: Random, text: str) -> str:
    """`text` with one keying error (never the first letter, which people rarely get wrong)."""
    if len(text) < 3:
        return text + rng.choice(_LETTERS)
    for _ in range(6):
        i = rng.randrange(1, len(text))
        op = rng.randrange(4)
        if op == 0:
            out = text[:i] + rng.choice(_LETTERS) + text[i:]
        elif op == 1:
            out = text[:i] + text[i + 1 :]
        elif op == 2:
            out = text[:i] + rng.choice(_LETTERS) + text[i + 1 :]
        else:
            if i >= len(text) - 1:
                i = len(text) - 2
            out = text[:i] + text[i + 1] + text[i] + text[i + 2 :]
        if out != text and out.strip():
            return out
    return text + rng.choice(_LETTERS)


def swapped_dob(dob: int) -> int | None:
    """The date with day and month swapped, when that is a different valid date."""
    born = date.fromordinal(dob)
    if born.day > 12 or born.day == born.month:
        return None
    return born.replace(month=born.day, day=born.month).toordinal()


def record_identity(
    rng: Random, person: Person, sector: str, cfg: NoiseConfig, salt: int, made_on: int
) -> dict[str, Any]:
    """One agency's version of a person's identifying details, as its person record holds them."""
    given = person.given
    other_names: list[str] = []
    r = rng.random()
    if r < cfg.nickname_rate:
        options = variants_of(given)
        if options:
            given = rng.choice(sorted(options))
            if rng.random() < 0.3:
                other_names.append(person.given)  # "known as": both forms recorded
    if person.middle and rng.random() < (0.6 if sector == "health" else 0.2):
        other_names.append(person.middle)
    family = person.family
    if person.alt_families and rng.random() < cfg.alt_surname_rate:
        family = rng.choice(person.alt_families)
    if rng.random() < cfg.typo_rate:
        if rng.random() < 0.5:
            given = typo(rng, given)
        else:
            family = typo(rng, family)
    if sector == "police" and rng.random() < cfg.uppercase_rate:
        family = family.upper()
    out: dict[str, Any] = {"given_name": given, "family_name": family}
    if other_names:
        out["other_names"] = other_names
    if sector != "health" and rng.random() < cfg.missing_dob_rate:
        pass  # no date of birth recorded
    else:
        dob = person.dob
        if rng.random() < cfg.dob_swap_rate:
            swapped = swapped_dob(dob)
            # A slip of the keyboard, but never a birth after the day the record was made.
            if swapped is not None and swapped <= made_on:
                dob = swapped
        out["date_of_birth"] = day_iso(dob)
    out["sex"] = "U" if sector != "health" and rng.random() < 0.005 else person.sex
    if rng.random() >= cfg.missing_nhs_for(sector):
        if rng.random() < cfg.wrong_nhs_rate:
            out["nhs_number"] = nhs_number_of_nobody(salt)
        else:
            out["nhs_number"] = person.nhs
    return out
