"""The agencies of the synthetic local authority, and how each one numbers its records.

Codes and names are invented. Each agency has a kind (what it does, which decides who it knows
and what it sends) and a sector from the exchange format. Identifiers come from a bijection on
the household-and-member key, so they look random, never collide, and do not depend on the order
households are generated in (which lets generation run in parallel and stay byte-identical).
"""

from __future__ import annotations

from dataclasses import dataclass

from jigsaw.records.nhs import nhs_check_digit, nhs_number_problem

HOSPITAL = "hospital"
GP = "gp"
HEALTH_VISITING = "health_visiting"
POLICE = "police"
PRIMARY = "primary"
SECONDARY = "secondary"
SOCIAL_CARE = "social_care"
HOUSING = "housing"
ADULT_MENTAL_HEALTH = "adult_mental_health"
SUBSTANCE_MISUSE = "substance_misuse"

_SECTOR = {
    HOSPITAL: "health",
    GP: "health",
    HEALTH_VISITING: "health",
    POLICE: "police",
    PRIMARY: "education",
    SECONDARY: "education",
    SOCIAL_CARE: "social_care",
    HOUSING: "housing",
    ADULT_MENTAL_HEALTH: "adult_mental_health",
    SUBSTANCE_MISUSE: "substance_misuse",
}

# Local identifiers live in a space of 10**9 numbers, event identifiers in 10**11.
_PERSON_SPACE = 10**9
_EVENT_SPACE = 10**11


@dataclass(frozen=True, slots=True)
class Agency:
    index: int
    code: str
    name: str
    kind: str
    person_prefix: str
    event_prefix: str
    districts: tuple[str, ...] = ()  # the postcode districts it mostly serves

    @property
    def sector(self) -> str:
        return _SECTOR[self.kind]

    @property
    def is_health(self) -> bool:
        return self.sector == "health"

    def local_id(self, key: int) -> str:
        """The agency's identifier for the person record with this key (a bijection)."""
        mult = 7_919 * (self.index + 3) * 2 + 1  # odd and not a multiple of 5: coprime to 10**k
        if mult % 5 == 0:
            mult += 2
        number = (key * mult + 104_729 * (self.index + 1)) % _PERSON_SPACE
        return f"{self.person_prefix}{number:09d}"

    def event_id(self, key: int) -> str:
        mult = 1_000_003 * (self.index + 7) * 2 + 1
        if mult % 5 == 0:
            mult += 2
        number = (key * mult + 15_485_863 * (self.index + 1)) % _EVENT_SPACE
        return f"{self.event_prefix}{number:011d}"

    def as_object(self) -> dict[str, str]:
        return {"kind": "agency", "code": self.code, "name": self.name, "sector": self.sector}


def _build() -> tuple[Agency, ...]:
    rows: list[tuple[str, str, str, str, str, tuple[str, ...]]] = [
        (
            "NTGH",
            "North Thames General Hospital NHS Trust",
            HOSPITAL,
            "NTG",
            "NTGE",
            ("N17", "N15", "N22", "N11"),
        ),
        (
            "HVUH",
            "Hartsfield Vale University Hospital",
            HOSPITAL,
            "HVU",
            "HVUE",
            ("N8", "N4", "N10", "N6"),
        ),
        ("GPBG", "Bruce Grove Medical Practice", GP, "BG", "BGC", ("N17",)),
        ("GPPV", "Park View Health Centre", GP, "PV", "PVC", ("N15",)),
        ("GPWA", "Westbury Avenue Surgery", GP, "WA", "WAC", ("N22", "N11")),
        ("GPCE", "Crouch End Family Practice", GP, "CE", "CEC", ("N8", "N6", "N10")),
        ("GPSA", "St Ann's Road Surgery", GP, "SA", "SAC", ("N4", "N15")),
        ("HVHV", "Hartsfield Health Visiting Service", HEALTH_VISITING, "HV", "HVC", ()),
        ("NTPS", "North Thames Police Service", POLICE, "NP", "NPI", ()),
        ("PSAL", "Alderbrook Primary School", PRIMARY, "ALP", "ALA", ("N17",)),
        ("PSBW", "Broadwater Farm Primary School", PRIMARY, "BWP", "BWA", ("N17",)),
        ("PSSG", "Seven Sisters Primary School", PRIMARY, "SGP", "SGA", ("N15",)),
        ("PSWG", "West Green Primary School", PRIMARY, "WGP", "WGA", ("N15",)),
        ("PSNL", "Noel Park Primary School", PRIMARY, "NLP", "NLA", ("N22", "N11")),
        ("PSRH", "Rokesly Hill Primary School", PRIMARY, "RHP", "RHA", ("N8", "N6", "N10")),
        ("PSFP", "Finsbury Park Primary School", PRIMARY, "FPP", "FPA", ("N4",)),
        ("SSHA", "Hartsfield Academy", SECONDARY, "HAS", "HAA", ("N17", "N22", "N11")),
        ("SSSC", "St Cuthbert's Catholic High School", SECONDARY, "SCS", "SCA", ("N15", "N4")),
        ("SSPW", "Parkwood Community School", SECONDARY, "PWS", "PWA", ("N8", "N6", "N10", "N22")),
        ("HVCS", "Hartsfield Vale Children's Social Care", SOCIAL_CARE, "CS", "CSE", ()),
        ("HVHO", "Hartsfield Vale Homes", HOUSING, "HO", "HOE", ()),
        (
            "NTMH",
            "North Thames Mental Health NHS Trust (Adult Services)",
            ADULT_MENTAL_HEALTH,
            "MH",
            "MHC",
            (),
        ),
        ("HVRS", "Hartsfield Vale Recovery Service", SUBSTANCE_MISUSE, "RS", "RSC", ()),
    ]
    return tuple(
        Agency(
            index=i,
            code=code,
            name=name,
            kind=kind,
            person_prefix=f"{pp}-",
            event_prefix=f"{ep}-",
            districts=districts,
        )
        for i, (code, name, kind, pp, ep, districts) in enumerate(rows)
    )


AGENCIES: tuple[Agency, ...] = _build()
BY_CODE: dict[str, Agency] = {a.code: a for a in AGENCIES}


def of_kind(kind: str) -> tuple[Agency, ...]:
    return tuple(a for a in AGENCIES if a.kind == kind)


HOSPITALS = of_kind(HOSPITAL)
GPS = of_kind(GP)
PRIMARIES = of_kind(PRIMARY)
SECONDARIES = of_kind(SECONDARY)
HEALTH_VISITORS = of_kind(HEALTH_VISITING)[0]
POLICE_FORCE = of_kind(POLICE)[0]
CHILDRENS_SOCIAL_CARE = of_kind(SOCIAL_CARE)[0]
HOUSING_SERVICE = of_kind(HOUSING)[0]
MENTAL_HEALTH = of_kind(ADULT_MENTAL_HEALTH)[0]
RECOVERY_SERVICE = of_kind(SUBSTANCE_MISUSE)[0]


def serving(agencies: tuple[Agency, ...], district: str) -> tuple[Agency, ...]:
    """The agencies of a kind that serve a postcode district (all of them if none does)."""
    local = tuple(a for a in agencies if district in a.districts)
    return local or agencies


# NHS numbers. Real ones never start with 9, so every synthetic number does: the second digit is
# 0 or 1 for real (synthetic) people and 5 or 6 for the mistyped-but-valid numbers that belong to
# nobody. Two consecutive second digits always give one valid check digit, because the weighted sum
# changes by 9 (mod 11) between them and only one residue gives the invalid check value 10.
def nhs_is_valid(number: str) -> bool:
    return nhs_number_problem(number) is None


def _nhs_from(body: int, second_digits: tuple[int, int]) -> str:
    for second in second_digits:
        first_nine = f"9{second}{body:07d}"
        check = nhs_check_digit(first_nine)
        if check is not None:
            return first_nine + str(check)
    raise AssertionError("two consecutive second digits always give a valid number")


def nhs_number_for(key: int) -> str:
    """The (synthetic) NHS number of the person with this key; unique while key < 10**7."""
    return _nhs_from((key * 7_654_321 + 1_234_567) % 10**7, (0, 1))


def nhs_number_of_nobody(salt: int) -> str:
    """A valid-looking NHS number that belongs to no synthetic person."""
    return _nhs_from((salt * 3_141_593 + 2_718_281) % 10**7, (5, 6))


__all__ = [
    "AGENCIES",
    "BY_CODE",
    "Agency",
    "nhs_is_valid",
    "nhs_number_for",
    "nhs_number_of_nobody",
    "serving",
]
