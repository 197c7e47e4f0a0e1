"""Records stored column-wise as small integers, so millions of pairs compare in numpy.

Strings are interned once in a `Vocab` shared by every table that will be compared (the records
being linked, a search index, a query), and each distinct name carries its derived features
(variant groups, sound-alike code) once, however many records hold it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

import numpy as np
import numpy.typing as npt

from jigsaw.identity.matching.nicknames import name_groups
from jigsaw.identity.matching.normalise import Norm, phonetic

I32 = npt.NDArray[np.int32]
I64 = npt.NDArray[np.int64]
I8 = npt.NDArray[np.int8]

_SEX = {"": 0, "M": 1, "F": 2}
SEX_LABEL = ("", "M", "F")


class Vocab:
    """Interned strings and name signatures, with per-name features computed once."""

    def __init__(self) -> None:
        self.strings: list[str] = []
        self._string_ids: dict[str, int] = {}
        # A given-name signature is the tuple (given, *other names); a family one its tokens.
        self.given_sigs: list[tuple[str, ...]] = []
        self._given_ids: dict[tuple[str, ...], int] = {}
        self.family_sigs: list[tuple[str, ...]] = []
        self._family_ids: dict[tuple[str, ...], int] = {}
        # Blocking features of each signature, as string ids (or group numbers).
        self.given_phon: list[int] = []
        self.given_initial: list[int] = []
        self.given_groups: list[tuple[int, ...]] = []
        self.family_phon: list[int] = []
        self.family_prefix: list[int] = []
        self.family_token_phon: list[tuple[int, ...]] = []

    def string(self, text: str) -> int:
        found = self._string_ids.get(text)
        if found is None:
            found = len(self.strings)
            self._string_ids[text] = found
            self.strings.append(text)
        return found

    def lookup(self, text: str) -> int:
        """The id of a string already interned, or -2 (which equals nothing)."""
        return self._string_ids.get(text, -2)

    def given(self, names: tuple[str, ...]) -> int:
        if not names:
            return -1
        found = self._given_ids.get(names)
        if found is None:
            found = len(self.given_sigs)
            self._given_ids[names] = found
            self.given_sigs.append(names)
            first = names[0]
            self.given_phon.append(self.string("g:" + phonetic(first)))
            self.given_initial.append(ord(first[0]))
            groups = name_groups(first)
            # A name in no variant group blocks with itself (as a negative "group" number).
            self.given_groups.append(tuple(sorted(groups)) or (-1 - self.string(first),))
        return found

    def family(self, tokens: tuple[str, ...]) -> int:
        if not tokens:
            return -1
        found = self._family_ids.get(tokens)
        if found is None:
            found = len(self.family_sigs)
            self._family_ids[tokens] = found
            self.family_sigs.append(tokens)
            joined = "".join(tokens)
            self.family_phon.append(self.string("f:" + phonetic(joined)))
            self.family_prefix.append(self.string("p:" + joined[:3]))
            self.family_token_phon.append(
                tuple(sorted({self.string("f:" + phonetic(t)) for t in tokens if len(t) > 1}))
            )
        return found


def _swapped(born: date) -> int:
    if born.day > 12 or born.day == born.month:
        return 0
    return born.replace(month=born.day, day=born.month).toordinal()


class Columns:
    """A growable table of cleaned records, one numpy column per field."""

    FIELDS = (
        ("source", np.int32, -1),
        ("gsig", np.int32, -1),
        ("fsig", np.int32, -1),
        ("dob", np.int32, 0),  # date ordinal
        ("dob_swap", np.int32, 0),  # ordinal of the day-month swapped date, where valid
        ("ymd", np.int32, 0),  # YYYYMMDD
        ("sex", np.int8, 0),
        ("nhs", np.int64, 0),
        ("unit", np.int32, -1),
        ("sector", np.int32, -1),
        ("district", np.int32, -1),
        ("addr", np.int32, -1),
    )

    def __init__(self, vocab: Vocab, capacity: int = 1024) -> None:
        self.vocab = vocab
        self.ids: list[str] = []
        self._cap = max(16, capacity)
        self._arrays: dict[str, np.ndarray] = {
            name: np.full(self._cap, fill, dtype=dtype) for name, dtype, fill in self.FIELDS
        }

    def __len__(self) -> int:
        return len(self.ids)

    def col(self, name: str) -> np.ndarray:
        return self._arrays[name][: len(self.ids)]

    def _grow(self, need: int) -> None:
        if need <= self._cap:
            return
        cap = max(need, self._cap * 2)
        for name, dtype, fill in self.FIELDS:
            bigger = np.full(cap, fill, dtype=dtype)
            bigger[: self._cap] = self._arrays[name]
            self._arrays[name] = bigger
        self._cap = cap

    def extend(self, norms: Iterable[Norm]) -> range:
        """Append records; the row numbers they were given."""
        start = len(self.ids)
        rows: dict[str, list[int]] = {name: [] for name, _, _ in self.FIELDS}
        v = self.vocab
        for n in norms:
            self.ids.append(n.id)
            rows["source"].append(v.string(n.source))
            rows["gsig"].append(v.given(n.given_all))
            rows["fsig"].append(v.family(n.family_tokens))
            if n.dob is not None:
                rows["dob"].append(n.dob.toordinal())
                rows["dob_swap"].append(_swapped(n.dob))
                rows["ymd"].append(n.dob.year * 10000 + n.dob.month * 100 + n.dob.day)
            else:
                rows["dob"].append(0)
                rows["dob_swap"].append(0)
                rows["ymd"].append(0)
            rows["sex"].append(_SEX.get(n.sex, 0))
            rows["nhs"].append(int(n.nhs) if n.nhs else 0)
            pc = n.postcode
            rows["unit"].append(v.string(pc.unit) if pc else -1)
            rows["sector"].append(v.string(pc.sector) if pc else -1)
            rows["district"].append(v.string(pc.district) if pc else -1)
            rows["addr"].append(v.string(n.address) if n.address else -1)
        end = len(self.ids)
        self._grow(end)
        for name, dtype, _ in self.FIELDS:
            self._arrays[name][start:end] = np.asarray(rows[name], dtype=dtype)
        return range(start, end)

    # Display, for explanations: the cleaned values a reviewer compares.
    def given_text(self, row: int) -> str:
        sig = int(self.col("gsig")[row])
        if sig < 0:
            return ""
        names = self.vocab.given_sigs[sig]
        return names[0] + (f" ({' '.join(names[1:])})" if len(names) > 1 else "")

    def family_text(self, row: int) -> str:
        sig = int(self.col("fsig")[row])
        return " ".join(self.vocab.family_sigs[sig]) if sig >= 0 else ""

    def dob_text(self, row: int) -> str:
        ordinal = int(self.col("dob")[row])
        return date.fromordinal(ordinal).isoformat() if ordinal else ""

    def string_text(self, name: str, row: int) -> str:
        sid = int(self.col(name)[row])
        return self.vocab.strings[sid] if sid >= 0 else ""

    def nhs_text(self, row: int) -> str:
        value = int(self.col("nhs")[row])
        return f"{value:010d}" if value else ""

    def sex_text(self, row: int) -> str:
        return SEX_LABEL[int(self.col("sex")[row])]
