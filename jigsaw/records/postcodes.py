"""UK postcodes parsed into their parts (outward code: area + district; inward: sector + unit)."""

from __future__ import annotations

import re
from dataclasses import dataclass

# Outward: area (1-2 letters) + district (digit, then digit or letter); inward: digit + 2 letters.
_POSTCODE = re.compile(r"^([A-Z]{1,2})([0-9][0-9A-Z]?)\s*([0-9])([A-Z]{2})$")


@dataclass(frozen=True, slots=True)
class Postcode:
    area: str
    district: str  # outward code, e.g. "N17"
    sector: str  # e.g. "N17 6"
    unit: str  # the full postcode, e.g. "N17 6AB"

    def __str__(self) -> str:
        return self.unit


def parse_postcode(text: str) -> Postcode | None:
    """The postcode in canonical form, or None if `text` is not a UK postcode."""
    cleaned = re.sub(r"\s+", "", text.upper())
    if cleaned == "GIR0AA":
        return Postcode(area="GIR", district="GIR", sector="GIR 0", unit="GIR 0AA")
    match = _POSTCODE.match(cleaned)
    if not match:
        return None
    area, district_digits, sector_digit, unit_letters = match.groups()
    outward = area + district_digits
    return Postcode(
        area=area,
        district=outward,
        sector=f"{outward} {sector_digit}",
        unit=f"{outward} {sector_digit}{unit_letters}",
    )
