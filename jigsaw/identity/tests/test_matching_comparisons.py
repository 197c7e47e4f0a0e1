"""Normalisation, the variant table and every level of every comparison."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from jigsaw.identity.matching import comparisons as cmp
from jigsaw.identity.matching.engine import Table
from jigsaw.identity.matching.nicknames import are_variants, group_count, name_count
from jigsaw.identity.matching.normalise import Rec, address_key, name_tokens, normalise


def levels(a: Rec, b: Rec) -> np.ndarray:
    table = Table.build([a, b])
    return table.comparator.levels(table.columns, np.array([0]), table.columns, np.array([1]))[0]


def rec(**fields: object) -> Rec:
    return Rec(id=str(fields.pop("id", "x")), **fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("raw", "tokens"),
    [
        ("Dr Mary-Jane O'Neill", ("mary", "jane", "oneill")),
        ("MacDonald", ("mcdonald",)),
        ("McDonald", ("mcdonald",)),
        ("Macey", ("macey",)),
        ("O Brien", ("obrien",)),
        ("  SMITH-JONES ", ("smith", "jones")),
        ("Zoë Müller", ("zoe", "muller")),
        ("Mr John Smith Jnr", ("john", "smith")),
        ("Unknown", ()),
    ],
)
def test_name_tokens(raw: str, tokens: tuple[str, ...]) -> None:
    assert name_tokens(raw) == tokens


def test_normalise_drops_invalid_values_and_says_so() -> None:
    n = normalise(
        rec(given_name="Pete", family_name="Smith", nhs_number="1234567890", postcode="XX")
    )
    assert n.nhs == ""
    assert n.postcode is None
    assert set(n.problems) == {"nhs_number", "postcode"}
    good = normalise(rec(nhs_number="943 476 5919", postcode="n176ab"))
    assert good.nhs == "9434765919"
    assert good.postcode is not None
    assert good.postcode.unit == "N17 6AB"


def test_address_key() -> None:
    assert address_key("12, Acacia Road") == address_key("12 acacia rd")


def test_nickname_table() -> None:
    assert group_count() >= 300
    assert name_count() >= 900
    for a, b in [
        ("pete", "peter"),
        ("bill", "william"),
        ("liam", "william"),
        ("kate", "catherine"),
        ("cathy", "katherine"),
        ("liz", "elizabeth"),
        ("beth", "elizabeth"),
        ("jack", "john"),
        ("jonathan", "jon"),
        ("mo", "mohammed"),
        ("muhammad", "mohamed"),
        ("alex", "alexandra"),
        ("alex", "alexander"),
        ("chris", "christine"),
        ("kasia", "katarzyna"),
    ]:
        assert are_variants(a, b), (a, b)
    # Narrow groups: Alexander and Alexandra share Alex but are not one another's variants.
    assert not are_variants("alexander", "alexandra")
    assert not are_variants("christopher", "christine")
    assert not are_variants("emily", "emma")


G = cmp.C_GIVEN


@pytest.mark.parametrize(
    ("a", "b", "level"),
    [
        (rec(given_name="Peter"), rec(given_name="PETER"), cmp.G_EXACT),
        (rec(given_name="Peter"), rec(given_name="Pete"), cmp.G_VARIANT),
        (rec(given_name="Jonathan"), rec(given_name="Jonathon"), cmp.G_VARIANT),
        (rec(given_name="Charlotte"), rec(given_name="Charlote"), cmp.G_TYPO),
        (rec(given_name="Matilda"), rec(given_name="Matlida"), cmp.G_TYPO),
        (rec(given_name="Dwayne"), rec(given_name="Duwayne"), cmp.G_TYPO),
        (rec(given_name="Marcella"), rec(given_name="Marcellina"), cmp.G_JW92),
        (rec(given_name="Jayden"), rec(given_name="Jaylen"), cmp.G_TYPO),
        (rec(given_name="Stephon"), rec(given_name="Stefan"), cmp.G_PHONETIC),
        (rec(given_name="Kimberly"), rec(given_name="Kimbra"), cmp.G_JW85),
        (rec(given_name="Adam", other_names=("Tariq",)), rec(given_name="Tariq"), cmp.G_OTHER),
        (rec(given_name="Davey", other_names=("David",)), rec(given_name="Dacvid"), cmp.G_OTHER),
        (rec(given_name="Paul"), rec(given_name="Simon"), cmp.G_ELSE),
        (rec(given_name=""), rec(given_name="Simon"), cmp.NULL),
    ],
)
def test_given_name_levels(a: Rec, b: Rec, level: int) -> None:
    assert levels(a, b)[G] == level


@pytest.mark.parametrize(
    ("a", "b", "level"),
    [
        ("Smith", "SMITH", cmp.F_EXACT),
        ("O'Brien", "OBrien", cmp.F_EXACT),
        ("Smith-Jones", "Jones", cmp.F_TOKEN),
        ("Williams", "Wiliams", cmp.F_JW92),
        ("Phillips", "Fillips", cmp.F_PHONETIC),
        ("Smith", "Patel", cmp.F_ELSE),
        ("", "Patel", cmp.NULL),
    ],
)
def test_family_name_levels(a: str, b: str, level: int) -> None:
    assert levels(rec(family_name=a), rec(family_name=b))[cmp.C_FAMILY] == level


@pytest.mark.parametrize(
    ("a", "b", "level"),
    [
        (date(2012, 3, 4), date(2012, 3, 4), cmp.D_EXACT),
        (date(2012, 3, 4), date(2012, 4, 3), cmp.D_SWAPPED),
        (date(2012, 3, 4), date(2012, 3, 7), cmp.D_DIGIT),
        (date(2012, 3, 14), date(2012, 3, 41 - 30), cmp.D_DIGIT),  # 14 -> 11
        (date(2012, 3, 12), date(2012, 3, 21), cmp.D_DIGIT),  # transposed
        (date(2012, 3, 4), date(2013, 3, 4), cmp.D_DIGIT),
        (date(2012, 3, 4), date(2012, 3, 28), cmp.D_MONTH),
        (date(2012, 3, 4), date(2012, 11, 28), cmp.D_YEAR),
        (date(2012, 3, 4), date(2002, 3, 4), cmp.D_ELSE),  # a decade: parent and child
        (date(2012, 3, 4), date(1982, 3, 4), cmp.D_ELSE),
        (date(2012, 3, 4), None, cmp.NULL),
    ],
)
def test_date_of_birth_levels(a: date, b: date | None, level: int) -> None:
    assert levels(rec(date_of_birth=a), rec(date_of_birth=b))[cmp.C_DOB] == level


@pytest.mark.parametrize(
    ("a", "b", "level"),
    [
        ("N17 6AB", "n176ab", cmp.P_UNIT),
        ("N17 6AB", "N17 6XY", cmp.P_SECTOR),
        ("N17 6AB", "N17 9XY", cmp.P_DISTRICT),
        ("N17 6AB", "E1 6AN", cmp.P_ELSE),
        ("N17 6AB", "", cmp.NULL),
        ("N17 6AB", "not a postcode", cmp.NULL),
    ],
)
def test_postcode_levels(a: str, b: str, level: int) -> None:
    assert levels(rec(postcode=a), rec(postcode=b))[cmp.C_POSTCODE] == level


def test_address_levels() -> None:
    same_pc = {"postcode": "N17 6AB"}
    a = rec(address_line="12 Acacia Road", **same_pc)
    assert levels(a, rec(address_line="12 acacia rd.", **same_pc))[cmp.C_ADDRESS] == cmp.A_EXACT
    similar = rec(address_line="Flat 2, 12 Acacia Road", **same_pc)
    assert levels(a, similar)[cmp.C_ADDRESS] == cmp.A_SIMILAR
    other = rec(address_line="3 High Street", **same_pc)
    assert levels(a, other)[cmp.C_ADDRESS] == cmp.A_ELSE
    # Once postcodes differ, a different address line adds nothing (the person moved).
    moved = rec(address_line="3 High Street", postcode="E1 6AN")
    assert levels(a, moved)[cmp.C_ADDRESS] == cmp.NULL


def test_sex_and_nhs_levels() -> None:
    a = rec(sex="M", nhs_number="9434765919")
    assert list(levels(a, rec(sex="M", nhs_number="9434765919"))[[cmp.C_SEX, cmp.C_NHS]]) == [
        cmp.AGREE,
        cmp.AGREE,
    ]
    b = rec(sex="F", nhs_number="4010232137")
    assert list(levels(a, b)[[cmp.C_SEX, cmp.C_NHS]]) == [cmp.DISAGREE, cmp.DISAGREE]
    c = rec(sex="U", nhs_number="")
    assert list(levels(a, c)[[cmp.C_SEX, cmp.C_NHS]]) == [cmp.NULL, cmp.NULL]
