"""One household's life as the agencies record it.

`Sim` is the recorder for one household: it opens each agency's person record the first time that
agency meets someone (with that agency's version of their details), stamps every event with an
identifier, a recorded time and an author, serialises it at once, and at the end writes out the
person records, including the later versions an agency sends when it learns of a move.

Events are kept as bytes keyed by the month they happened in, each line prefixed with the agency
and time so a month can later be sorted on its own (see `writer`).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from random import Random
from typing import Any

import orjson

from jigsaw.synth import agencies as A
from jigsaw.synth import names as N
from jigsaw.synth.agencies import AGENCIES, Agency
from jigsaw.synth.noise import NoiseConfig, record_identity
from jigsaw.synth.population import Address, Household, Person
from jigsaw.synth.timeline import MINUTES_PER_DAY, Calendar, day_iso, instant_iso

DAY = MINUTES_PER_DAY
_DUPLICATE_KEY_OFFSET = 10**7  # a second record of the same person gets its own key space

# Who works where: (title, role) pairs an event's author is drawn from.
_STAFF_ROLES: dict[str, tuple[tuple[str, str], ...]] = {
    A.HOSPITAL: (
        ("Dr", "paediatric registrar"),
        ("Dr", "emergency department consultant"),
        ("", "emergency department nurse"),
        ("Dr", "paediatric consultant"),
        ("Dr", "emergency department doctor"),
    ),
    A.GP: (("Dr", "GP"), ("Dr", "GP"), ("", "practice nurse")),
    A.HEALTH_VISITING: (
        ("", "health visitor"),
        ("", "health visitor"),
        ("", "community nursery nurse"),
    ),
    A.POLICE: (
        ("PC", "police constable"),
        ("DC", "detective constable"),
        ("PS", "police sergeant"),
    ),
    A.PRIMARY: (
        ("", "designated safeguarding lead"),
        ("", "attendance officer"),
        ("", "class teacher"),
    ),
    A.SECONDARY: (
        ("", "designated safeguarding lead"),
        ("", "attendance officer"),
        ("", "head of year"),
    ),
    A.SOCIAL_CARE: (
        ("", "social worker"),
        ("", "social worker"),
        ("", "senior social worker"),
        ("", "team manager"),
        ("", "MASH social worker"),
        ("", "child protection chair"),
    ),
    A.HOUSING: (("", "housing officer"), ("", "tenancy sustainment officer")),
    A.ADULT_MENTAL_HEALTH: (
        ("", "community psychiatric nurse"),
        ("Dr", "consultant psychiatrist"),
        ("", "psychological wellbeing practitioner"),
    ),
    A.SUBSTANCE_MISUSE: (
        ("", "recovery worker"),
        ("", "recovery worker"),
        ("Dr", "addictions doctor"),
    ),
}

# How an agency hears that someone moved: (chance it ever updates, least and most days to do so).
_LEARNS_MOVES: dict[str, tuple[float, int, int]] = {
    A.GP: (0.9, 7, 120),
    A.HOSPITAL: (0.55, 14, 300),
    A.HEALTH_VISITING: (0.95, 3, 30),
    A.POLICE: (0.35, 30, 400),
    A.PRIMARY: (0.9, 3, 60),
    A.SECONDARY: (0.85, 3, 90),
    A.SOCIAL_CARE: (0.95, 1, 20),
    A.HOUSING: (0.9, 0, 30),
    A.ADULT_MENTAL_HEALTH: (0.8, 7, 90),
    A.SUBSTANCE_MISUSE: (0.7, 7, 60),
}

# How long after an event an agency records it: (least, most) minutes, before any late entry.
_RECORDING_LAG: dict[str, tuple[int, int]] = {
    A.HOSPITAL: (15, 6 * 60),
    A.GP: (5, 26 * 60),
    A.HEALTH_VISITING: (60, 3 * DAY),
    A.POLICE: (30, 14 * 60),
    A.PRIMARY: (10, 28 * 60),
    A.SECONDARY: (10, 28 * 60),
    A.SOCIAL_CARE: (30, 36 * 60),
    A.HOUSING: (60, 5 * DAY),
    A.ADULT_MENTAL_HEALTH: (60, 2 * DAY),
    A.SUBSTANCE_MISUSE: (60, 3 * DAY),
}

# Only routine event types are ever corrected, so a planted signal always reads as planted.
_CORRECTABLE = frozenset(
    {
        "school_absence",
        "health_contact",
        "ae_attendance",
        "appointment_missed",
        "adult_mental_health_contact",
        "substance_misuse_contact",
    }
)


def _staff_for(agency: Agency) -> dict[str, list[dict[str, str]]]:
    rng = Random(1_000 + agency.index * 7_919)  # fixed: staff lists are the same in every run
    pools = (
        N.ENGLISH,
        N.ENGLISH,
        N.IRISH,
        N.WEST_AFRICAN,
        N.SOUTH_ASIAN_MUSLIM,
        N.INDIAN,
        N.CARIBBEAN,
    )
    staff: dict[str, list[dict[str, str]]] = {}
    for title, role in _STAFF_ROLES[agency.kind]:
        people = staff.setdefault(role, [])
        for _ in range(6):
            trad = rng.choice(pools)
            initial = rng.choice(N.FEMALE[trad] + N.MALE[trad])[0]
            surname = rng.choice(N.SURNAMES[trad])
            name = f"{title + ' ' if title else ''}{initial}. {surname}"
            people.append({"name": name, "role": role})
    return staff


class World:
    """Everything shared by the households of one run: the calendar, noise rates and staff."""

    def __init__(self, start: date, noise: NoiseConfig) -> None:
        self.cal = Calendar(start)
        self.noise = noise
        self.staff = [_staff_for(a) for a in AGENCIES]
        self.prefix = [b"%02d " % a.index for a in AGENCIES]


@dataclass(slots=True)
class Rec:
    """An agency's record of a person."""

    agency: Agency
    person: Person
    local_id: str
    first: int  # minute first recorded
    identity: dict[str, Any]
    stale: bool  # first recorded with the address the person had left
    dup_from: int | None = None  # from this minute the agency uses a second record
    dup: Rec | None = None
    learned_at: int | None = None  # the minute the agency saw for itself where they live


@dataclass(slots=True)
class Output:
    """What one household contributes to the files."""

    persons: dict[int, list[bytes]] = field(default_factory=dict)  # agency index -> lines
    events: dict[int, list[bytes]] = field(default_factory=dict)  # month bucket -> lines
    event_counts: list[int] = field(default_factory=lambda: [0] * len(AGENCIES))
    person_counts: list[int] = field(default_factory=lambda: [0] * len(AGENCIES))
    truth_persons: list[list[str]] = field(default_factory=list)
    truth_trajectories: list[list[str]] = field(default_factory=list)


class Sim:
    def __init__(self, world: World, hh: Household, rng: Random) -> None:
        self.world = world
        self.cal: Calendar = world.cal
        self.noise = world.noise
        self.hh = hh
        self.rng = rng
        self.records: dict[tuple[int, int], Rec] = {}
        self.order: list[Rec] = []
        self.hidden: set[tuple[int, int]] = set()  # (agency, person) pairs that must never exist
        self.out = Output()
        self._seq = [0] * len(AGENCIES)
        self.csc_open_until = 0  # children's social care has an open case until this day
        self.risk_routine = hh.pattern is None  # planted households get their risk from the plan
        self.extra_people: list[Person] = []

    # --- time ---------------------------------------------------------------------------------

    def office(self, day: int) -> int:
        """A minute in office hours on a day."""
        return day * DAY + self.rng.randint(8 * 60, 17 * 60 + 30)

    def office_wd(self, day: int) -> int:
        """A minute in office hours on the working day on or after `day`."""
        return self.office(self.cal.next_working_day(day))

    def evening(self, day: int) -> int:
        return (
            day * DAY
            + self.rng.randint(17 * 60, 23 * 60 + 59)
            + (self.rng.randint(0, 3 * 60) if self.rng.random() < 0.3 else 0)
        )

    def any_time(self, day: int) -> int:
        # Emergency departments are busiest from late morning to late evening.
        hour = self.rng.choices(range(24), weights=_AE_HOURS)[0]
        return day * DAY + hour * 60 + self.rng.randint(0, 59)

    def in_window(self, minute: int) -> bool:
        return self.cal.start_min <= minute < self.cal.end_min

    # --- records ------------------------------------------------------------------------------

    def _new_rec(self, agency: Agency, person: Person, key: int, minute: int) -> Rec:
        rng = self.rng
        identity = record_identity(
            rng,
            person,
            agency.sector,
            self.noise,
            salt=key * 31 + agency.index,
            made_on=minute // DAY,
        )
        rec = Rec(
            agency=agency,
            person=person,
            local_id=agency.local_id(key),
            first=minute,
            identity=identity,
            stale=rng.random() < self.noise.old_address_rate,
        )
        self.order.append(rec)
        return rec

    def record(self, agency: Agency, person: Person, minute: int) -> Rec:
        """The agency's record of the person in use at `minute`, opened then if need be."""
        k = (agency.index, person.key)
        if k in self.hidden:
            raise AssertionError(f"{agency.code} must not know {person.pid}")
        before = minute - 2 - person.key % 37  # a record is opened just before the contact
        rec = self.records.get(k)
        if rec is None:
            rec = self._new_rec(agency, person, person.key, before)
            self.records[k] = rec
            if (
                agency.kind in (A.HOSPITAL, A.POLICE)
                and self.rng.random() < self.noise.duplicate_rate
            ):
                rec.dup_from = minute + self.rng.randint(30, 700) * DAY
        elif before < rec.first:
            rec.first = before
        if rec.dup_from is not None and minute >= rec.dup_from:
            if rec.dup is None:
                rec.dup = self._new_rec(agency, person, person.key + _DUPLICATE_KEY_OFFSET, before)
            elif before < rec.dup.first:
                rec.dup.first = before
            return rec.dup
        return rec

    def register(self, agency: Agency, person: Person, minute: int) -> Rec:
        """Open a record the agency holds whether or not anything happens (GP list, school roll)."""
        return self.record(agency, person, minute)

    def local_id(self, agency: Agency, person: Person, minute: int) -> str:
        return self.record(agency, person, minute).local_id

    # --- events -------------------------------------------------------------------------------

    def author(self, agency: Agency, role: str | None = None) -> dict[str, str]:
        staff = self.world.staff[agency.index]
        if role is None:
            role = self.rng.choice(list(staff))
        return self.rng.choice(staff[role])

    def lag(self, agency: Agency, *, may_be_late: bool = True) -> int:
        rng = self.rng
        if rng.random() < self.noise.late_record_rate and may_be_late:
            return rng.randint(14 * DAY, 60 * DAY)
        lo, hi = _RECORDING_LAG[agency.kind]
        return rng.randint(lo, hi)

    def emit(
        self,
        agency: Agency,
        etype: str,
        minute: int,
        subjects: Sequence[tuple[Person, str]],
        details: dict[str, Any] | None = None,
        *,
        author: dict[str, str] | None = None,
        narrative: str | None = None,
        lag: int | None = None,
        signal: bool = False,
    ) -> str | None:
        """Record one event; returns its identifier, or None if it falls outside the window."""
        cal = self.cal
        if not cal.start_min <= minute < cal.end_min:
            return None
        seq = self._seq[agency.index]
        self._seq[agency.index] = seq + 1
        event_id = agency.event_id((self.hh.idx << 14) | seq)
        occurred = instant_iso(minute)
        # Planted signals are recorded in the usual time, so when a risk engine could first have
        # seen them depends on the story, not on a random late entry.
        delay = self.lag(agency, may_be_late=not signal) if lag is None else lag
        recorded_min = min(minute + delay, cal.end_min)
        seen: set[int] = set()
        subs = []
        for person, role in subjects:
            if person.key in seen:
                continue
            seen.add(person.key)
            subs.append({"local_id": self.record(agency, person, minute).local_id, "role": role})
        obj: dict[str, Any] = {
            "kind": "event",
            "agency": agency.code,
            "event_id": event_id,
            "type": etype,
            "occurred_at": occurred,
            "recorded_at": instant_iso(recorded_min),
            "subjects": subs,
            "author": author if author is not None else self.author(agency),
        }
        if details is not None:
            obj["details"] = details
        if narrative:
            obj["narrative"] = narrative
        bucket = cal.bucket(minute // DAY)
        lines = self.out.events.setdefault(bucket, [])
        head = self.world.prefix[agency.index] + occurred.encode() + b" "
        lines.append(head + orjson.dumps(obj) + b"\n")
        self.out.event_counts[agency.index] += 1
        if (
            not signal
            and details is not None
            and etype in _CORRECTABLE
            and self.rng.random() < self.noise.correction_rate
        ):
            corrected_at = recorded_min + self.rng.randint(2 * DAY, 40 * DAY)
            if corrected_at <= cal.end_min:
                obj["details"] = _corrected(self.rng, etype, details)
                obj["recorded_at"] = instant_iso(corrected_at)
                lines.append(head + orjson.dumps(obj) + b"\n")
                self.out.event_counts[agency.index] += 1
        return event_id

    # --- people around a child ----------------------------------------------------------------

    def carer_of(self, child: Person, day: int) -> Person | None:
        """The parent most likely to be with a child on a day (mother first)."""
        hh = self.hh
        for p in (hh.mother(), hh.father()):
            if p is not None and p.present(day):
                return p
        return None

    def with_carer(self, child: Person, day: int, chance: float = 1.0) -> list[tuple[Person, str]]:
        subjects = [(child, "child")]
        carer = self.carer_of(child, day)
        if carer is not None and self.rng.random() < chance:
            subjects.append((carer, "parent"))
        return subjects

    # --- output -------------------------------------------------------------------------------

    def flush(self) -> Output:
        """Person records (with their later address versions) and the truth rows for them."""
        cal, rng, out = self.cal, self.rng, self.out
        for rec in self.order:
            if rec.first >= cal.end_min:
                continue
            agency, person = rec.agency, rec.person
            first_day = rec.first // DAY
            start, addr, i = person.address_on(first_day)
            if rec.stale and i > 0:
                i -= 1  # the agency was given the address the person had already left
                start, addr = person.addresses[i]
            lines = out.persons.setdefault(agency.index, [])
            lines.append(_person_line(rec, addr, start, rec.first))
            out.person_counts[agency.index] += 1
            out.truth_persons.append([agency.code, rec.local_id, person.pid])
            chance, lo, hi = _LEARNS_MOVES[agency.kind]
            last = rec.first
            for move_day, new_addr in person.addresses[i + 1 :]:
                if rec.learned_at is not None and move_day * DAY <= rec.learned_at:
                    when = rec.learned_at + rng.randint(30, 600)
                elif rng.random() >= chance:
                    continue
                else:
                    when = (
                        max(move_day, first_day) * DAY
                        + rng.randint(lo, hi) * DAY
                        + rng.randint(8 * 60, 18 * 60)
                    )
                when = max(when, last + 60)
                if when >= cal.end_min:
                    break
                lines.append(_person_line(rec, new_addr, move_day, when))
                last = when
        return out


_AE_HOURS = (2, 2, 1, 1, 1, 1, 2, 3, 5, 7, 8, 8, 8, 8, 8, 8, 9, 10, 10, 9, 8, 6, 4, 3)


def _person_line(rec: Rec, addr: Address, address_from: int, recorded: int) -> bytes:
    obj: dict[str, Any] = {"kind": "person", "agency": rec.agency.code, "local_id": rec.local_id}
    obj.update(rec.identity)
    obj["address"] = {"line1": addr[0], "line2": addr[1], "town": addr[2], "postcode": addr[3]}
    obj["address_from"] = day_iso(address_from)
    obj["recorded_at"] = instant_iso(recorded)
    return orjson.dumps(obj) + b"\n"


def _corrected(rng: Random, etype: str, details: dict[str, Any]) -> dict[str, Any]:
    """The same event's details as re-sent after a mistake was spotted."""
    fixed = dict(details)
    if etype == "school_absence":
        if rng.random() < 0.5:
            fixed["authorised"] = not details.get("authorised", True)
        else:
            fixed["sessions_missed"] = max(
                1, int(details["sessions_missed"]) + rng.choice((-1, 1, 2))
            )
    elif etype in ("health_contact", "appointment_missed"):
        fixed["service"] = "other" if details.get("service") != "other" else "gp"
    elif etype == "ae_attendance":
        fixed["reason"] = f"{details.get('reason', 'attendance')} (amended)"
        if "delay_hours" in details:
            fixed["delay_hours"] = int(details["delay_hours"]) + 1
    elif etype == "adult_mental_health_contact":
        fixed["risk_to_others"] = False
    else:
        fixed["substance"] = "alcohol" if details.get("substance") != "alcohol" else "cannabis"
    return fixed


def csv_text(rows: list[list[str]]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return buffer.getvalue()
