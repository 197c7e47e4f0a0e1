import pytest

from jigsaw.records.postcodes import Postcode, parse_postcode


@pytest.mark.parametrize(
    ("text", "unit", "area", "district", "sector"),
    [
        ("N17 6AB", "N17 6AB", "N", "N17", "N17 6"),  # A9 9AA... with two-digit district
        ("M1 1AE", "M1 1AE", "M", "M1", "M1 1"),  # A9
        ("B33 8TH", "B33 8TH", "B", "B33", "B33 8"),  # A99
        ("CR2 6XH", "CR2 6XH", "CR", "CR2", "CR2 6"),  # AA9
        ("DN55 1PT", "DN55 1PT", "DN", "DN55", "DN55 1"),  # AA99
        ("W1A 0AX", "W1A 0AX", "W", "W1A", "W1A 0"),  # A9A
        ("EC1A 1BB", "EC1A 1BB", "EC", "EC1A", "EC1A 1"),  # AA9A
        ("GIR 0AA", "GIR 0AA", "GIR", "GIR", "GIR 0"),  # the one special case
        ("gir0aa", "GIR 0AA", "GIR", "GIR", "GIR 0"),
        ("n176ab", "N17 6AB", "N", "N17", "N17 6"),  # lower case, no space
        (" sw1a  1aa ", "SW1A 1AA", "SW", "SW1A", "SW1A 1"),  # extra spaces
        ("M11AE", "M1 1AE", "M", "M1", "M1 1"),  # no space: the inward code is the last three
    ],
)
def test_valid_postcodes_are_normalised_with_their_parts(
    text: str, unit: str, area: str, district: str, sector: str
) -> None:
    parsed = parse_postcode(text)
    assert parsed == Postcode(area=area, district=district, sector=sector, unit=unit)
    assert str(parsed) == unit


@pytest.mark.parametrize(
    "text", ["", "N17", "N17 6A", "N17 6ABC", "QQQ 1AA", "1N7 6AB", "N17 AAB", "N17-6AB", "12345"]
)
def test_what_is_not_a_postcode_is_none(text: str) -> None:
    assert parse_postcode(text) is None
