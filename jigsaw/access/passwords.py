"""A password check in the NCSC's spirit: no composition rules, but refuse the predictable.

Django's common-password list is mostly passwords shorter than our 12-character minimum, so on
its own it refuses little. This also refuses what a guesser tries first at any length: a common
password or the service's name padded with digits and symbols, a repeated chunk, a run along
the keyboard or the alphabet, or a handful of distinct characters.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from django.contrib.auth.password_validation import CommonPasswordValidator
from django.core.exceptions import ValidationError

SERVICE_WORDS = ("jigsaw", "safeguarding", "children", "social", "council", "northfield")
RUNS = ("1234567890", "abcdefghijklmnopqrstuvwxyz", "qwertyuiop[]", "asdfghjkl;'", "zxcvbnm,./")
MESSAGE = "This password is too easy to guess. Try three or four unrelated words."


@cache
def _common_words() -> tuple[str, ...]:
    words = CommonPasswordValidator().passwords
    return tuple(sorted((w for w in words if len(w) >= 5 and w.isalpha()), key=len, reverse=True))


def _is_run(text: str) -> bool:
    for run in RUNS:
        for line in (run * 3, run[::-1] * 3):
            if text in line:
                return True
    return False


def _is_repeat(text: str) -> bool:
    return re.fullmatch(r"(.+?)\1+", text) is not None


def predictable(password: str) -> bool:
    text = password.lower()
    if len(set(text)) < 5 or _is_repeat(text) or _is_run(text):
        return True
    # What is left once known words and the padding of digits and symbols are taken away.
    core = text
    for word in SERVICE_WORDS:
        core = core.replace(word, "")
    core = re.sub(r"[\W\d_]+", "", core)
    if len(core) < 4:
        return True
    return core in set(_common_words()) or _is_repeat(core)


class PredictablePasswordValidator:
    def validate(self, password: str, user: Any = None) -> None:
        if predictable(password):
            raise ValidationError(MESSAGE, code="password_predictable")

    def get_help_text(self) -> str:
        return "Your password cannot be a common password, a pattern or the service's name."
