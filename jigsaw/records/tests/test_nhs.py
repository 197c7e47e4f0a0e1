import pytest

from jigsaw.records.nhs import nhs_check_digit, nhs_number_problem


@pytest.mark.parametrize(
    ("first_nine", "check"),
    [
        ("943476591", 9),  # 299 % 11 = 2 -> 11 - 2
        ("401023213", 7),
        ("100000000", 1),
        ("000000000", 0),  # 11 - 0 = 11 -> 0
        ("123456789", None),  # 11 - 1 = 10: no number ends these nine digits
    ],
)
def test_check_digit(first_nine: str, check: int | None) -> None:
    assert nhs_check_digit(first_nine) == check


@pytest.mark.parametrize("value", ["9434765919", "4010232137", "943 476 5919", " 9434765919 "])
def test_valid_numbers(value: str) -> None:
    assert nhs_number_problem(value) is None


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("9434765918", "fails the modulus 11 check"),
        ("1234567890", "fails the modulus 11 check"),  # check digit would be 10
        ("943476591", "must be 10 digits"),
        ("94347659190", "must be 10 digits"),
        ("943-476-5919", "must be 10 digits"),
        ("94347659I9", "must be 10 digits"),
        ("", "must be 10 digits"),
    ],
)
def test_invalid_numbers(value: str, problem: str) -> None:
    assert nhs_number_problem(value) == problem
