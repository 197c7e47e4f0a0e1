"""NHS numbers: ten digits, the last a modulus 11 check digit."""

from __future__ import annotations

_WEIGHTS = (10, 9, 8, 7, 6, 5, 4, 3, 2)


def nhs_check_digit(first_nine: str) -> int | None:
    """The check digit for nine digits, or None where no valid number can end them."""
    total = sum(int(d) * w for d, w in zip(first_nine, _WEIGHTS, strict=True))
    check = 11 - total % 11
    if check == 11:
        return 0
    if check == 10:
        return None
    return check


def nhs_number_problem(value: str) -> str | None:
    """Why `value` (spaces allowed) is not a valid NHS number, or None if it is."""
    digits = value.replace(" ", "")
    if len(digits) != 10 or not digits.isdigit():
        return "must be 10 digits"
    check = nhs_check_digit(digits[:9])
    if check is None or check != int(digits[9]):
        return "fails the modulus 11 check"
    return None
