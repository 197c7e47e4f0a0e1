"""Households and the people in them: who lives where, with whom, and from when.

Generation is two-step. `plan_population` runs once, sequentially, from the master seed: it fixes
how many households there are, each one's children (dates of birth, sex, twins) and which
households carry a planted trajectory, so the total is exactly the number of children asked for
and every pattern is present. `build_household` then realises one household from its own seed
(names, adults, addresses, moves, partners coming and going) independently of every other, so
households can be generated in any order or in parallel and still give the same bytes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from random import Random

from jigsaw.synth import names as N
from jigsaw.synth.agencies import (
    GPS,
    HOSPITALS,
    PRIMARIES,
    SECONDARIES,
    Agency,
    nhs_number_for,
    serving,
)
from jigsaw.synth.timeline import Calendar, years_to_days

Address = tuple[str, str | None, str, str]  # line1, line2, town, postcode

# Household member slots: a person's key is household index * 16 + slot.
SLOT_MOTHER, SLOT_FATHER, SLOT_FIRST_CHILD = 0, 1, 2
SLOT_PARTNER, SLOT_LODGER, SLOT_RELATIVE, SLOT_CARER = 9, 10, 11, 12
SLOTS = 16
MAX_CHILDREN = 7

PATTERNS: tuple[str, ...] = (
    "injury-non-mobile",
    "haringey",
    "neglect",
    "domestic-abuse",
    "toxic-trio",
    "unassessed-carer",
    "accidental-injury",
)
# Share of children with each planted trajectory (a household carries at most one).
PATTERN_RATES: dict[str, float] = {
    "injury-non-mobile": 0.002,
    "haringey": 0.002,
    "neglect": 0.004,
    "domestic-abuse": 0.004,
    "toxic-trio": 0.003,
    "unassessed-carer": 0.002,
    "accidental-injury": 0.005,
}

# DfE ethnicity codes with an England-like distribution for an inner-city borough.
ETHNICITIES: tuple[tuple[str, float], ...] = (
    ("WBRI", 66.0),
    ("WIRI", 0.6),
    ("WOTH", 7.5),
    ("MWBC", 1.8),
    ("MWBA", 0.8),
    ("MWAS", 1.4),
    ("MOTH", 2.0),
    ("AIND", 3.0),
    ("APKN", 3.6),
    ("ABAN", 1.6),
    ("AOTH", 1.6),
    ("BCRB", 1.4),
    ("BAFR", 4.2),
    ("BOTH", 0.6),
    ("CHNE", 0.6),
    ("OOTH", 2.2),
    ("REFU", 0.9),
    ("NOBT", 0.2),
)
_ETHNICITY_CODES = tuple(code for code, _ in ETHNICITIES)
_ETHNICITY_WEIGHTS = tuple(w for _, w in ETHNICITIES)

# (mother's tradition options, father's tradition options) for each code.
_TRADITIONS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "WBRI": ((N.ENGLISH,), (N.ENGLISH,)),
    "WIRI": ((N.IRISH, N.ENGLISH), (N.IRISH,)),
    "WOTH": (
        (N.EAST_EUROPEAN, N.EAST_EUROPEAN, N.TURKISH),
        (N.EAST_EUROPEAN, N.EAST_EUROPEAN, N.TURKISH),
    ),
    "MWBC": ((N.ENGLISH,), (N.CARIBBEAN,)),
    "MWBA": ((N.ENGLISH,), (N.WEST_AFRICAN,)),
    "MWAS": ((N.ENGLISH,), (N.SOUTH_ASIAN_MUSLIM, N.INDIAN)),
    "MOTH": ((N.ENGLISH, N.OTHER), (N.OTHER, N.CARIBBEAN, N.TURKISH)),
    "AIND": ((N.INDIAN,), (N.INDIAN,)),
    "APKN": ((N.SOUTH_ASIAN_MUSLIM,), (N.SOUTH_ASIAN_MUSLIM,)),
    "ABAN": ((N.SOUTH_ASIAN_MUSLIM,), (N.SOUTH_ASIAN_MUSLIM,)),
    "AOTH": ((N.INDIAN, N.SOUTH_ASIAN_MUSLIM), (N.INDIAN, N.SOUTH_ASIAN_MUSLIM)),
    "BCRB": ((N.CARIBBEAN,), (N.CARIBBEAN,)),
    "BAFR": (
        (N.WEST_AFRICAN, N.WEST_AFRICAN, N.SOMALI),
        (N.WEST_AFRICAN, N.WEST_AFRICAN, N.SOMALI),
    ),
    "BOTH": ((N.WEST_AFRICAN, N.CARIBBEAN), (N.WEST_AFRICAN, N.CARIBBEAN)),
    "CHNE": ((N.CHINESE,), (N.CHINESE,)),
    "OOTH": ((N.OTHER, N.TURKISH), (N.OTHER, N.TURKISH)),
    "REFU": ((N.ENGLISH, N.OTHER, N.WEST_AFRICAN), (N.ENGLISH, N.OTHER, N.CARIBBEAN)),
    "NOBT": ((N.ENGLISH, N.OTHER), (N.ENGLISH, N.OTHER)),
}

# Index of Multiple Deprivation deciles (1 = most deprived) for the borough's households, and
# for families whose lives go badly wrong (planted trajectories), which skew further towards 1.
_DECILE_WEIGHTS = (15, 14, 13, 12, 10, 9, 8, 7, 6, 6)
_DEPRIVED_DECILE_WEIGHTS = (30, 22, 15, 10, 8, 5, 4, 3, 2, 1)
_DECILES = tuple(range(1, 11))


@dataclass(slots=True)
class ChildPlan:
    dob: int
    sex: str


@dataclass(slots=True)
class HouseholdPlan:
    idx: int
    seed: int
    children: list[ChildPlan]
    structure: str  # "couple", "single_mother" or "single_father"
    twins: bool = False
    same_name: bool = False  # a parent and child share given and family name
    pattern: str | None = None
    target: int = 0  # index of the trajectory's child in `children`


@dataclass(slots=True)
class Person:
    pid: str
    key: int
    given: str
    middle: str | None
    family: str
    alt_families: tuple[str, ...]
    sex: str
    dob: int
    nhs: str
    role: str  # parent, partner_of_parent, child, lodger, relative
    joined: int  # first day in the household
    left: int | None = None  # first day no longer in the household
    addresses: list[tuple[int, Address]] = field(default_factory=list)  # (from day, address)
    gp: Agency | None = None
    gp_from: int = 0
    traits: set[str] = field(default_factory=set)

    @property
    def is_child(self) -> bool:
        return self.role == "child"

    def present(self, day: int) -> bool:
        return self.joined <= day and (self.left is None or day < self.left)

    def address_on(self, day: int) -> tuple[int, Address, int]:
        """(from day, address, index in the timeline) of the address on a day."""
        found = 0
        for i, (start, _addr) in enumerate(self.addresses):
            if start <= day:
                found = i
            else:
                break
        start, addr = self.addresses[found]
        return start, addr, found


@dataclass(slots=True)
class Household:
    idx: int
    hid: str
    ethnicity: str
    decile: int
    level: int  # 0 (no concerns) to 3 (high need): drives how often things go wrong
    structure: str
    moves: list[tuple[int, Address]]  # the household's address from each day
    members: list[Person]
    hospital: Agency
    gp: Agency
    primary: Agency
    secondary: Agency
    social_housing: bool
    pattern: str | None = None
    target: Person | None = None
    extra_households: list[tuple[str, Person, str, int, int | None]] = field(default_factory=list)

    @property
    def children(self) -> list[Person]:
        return [p for p in self.members if p.role == "child"]

    @property
    def adults(self) -> list[Person]:
        return [p for p in self.members if p.role != "child"]

    def mother(self) -> Person | None:
        return next((p for p in self.members if p.key % SLOTS == SLOT_MOTHER), None)

    def father(self) -> Person | None:
        return next((p for p in self.members if p.key % SLOTS == SLOT_FATHER), None)

    def partner(self) -> Person | None:
        return next((p for p in self.members if p.key % SLOTS == SLOT_PARTNER), None)

    def address_on(self, day: int) -> Address:
        addr = self.moves[0][1]
        for start, a in self.moves:
            if start <= day:
                addr = a
            else:
                break
        return addr

    def present_on(self, day: int) -> list[Person]:
        return [p for p in self.members if p.present(day)]


def make_person(
    hh_idx: int, slot: int, given: str, family: str, sex: str, dob: int, role: str, joined: int
) -> Person:
    key = hh_idx * SLOTS + slot
    return Person(
        pid=f"P{key:08d}",
        key=key,
        given=given,
        middle=None,
        family=family,
        alt_families=(),
        sex=sex,
        dob=dob,
        nhs=nhs_number_for(key),
        role=role,
        joined=joined,
    )


def household_seed(seed: int, idx: int) -> int:
    return (seed * 0x9E3779B97F4A7C15 + idx * 0xBF58476D1CE4E5B9) % (1 << 63)


# --- the plan ---------------------------------------------------------------------------------


def _children_count(rng: Random, remaining: int) -> int:
    k = rng.choices((1, 2, 3, 4, 5, 6), weights=(40, 37, 15, 5.5, 1.8, 0.7))[0]
    return min(k, remaining)


def _plan_children(rng: Random, k: int, cal: Calendar, twins: bool) -> list[ChildPlan]:
    lo = cal.end - years_to_days(18) + 1  # under 18 at some point in the window
    hi = cal.end - 14
    dobs = [rng.randint(lo, hi)]
    while len(dobs) < k:
        if twins and len(dobs) == 1:
            dobs.append(dobs[0])
            continue
        if rng.random() < 0.06:
            gap = rng.randint(300, 450)  # close-age siblings, a year or so apart
        else:
            gap = int(365 * min(9.0, max(1.1, rng.gammavariate(2.2, 1.2))))
        older, younger = min(dobs) - gap, max(dobs) + gap
        options = [d for d in (older, younger) if lo <= d <= hi]
        dobs.append(rng.choice(options) if options else rng.randint(lo, hi))
    dobs.sort()
    children = [ChildPlan(dob=d, sex="M" if rng.random() < 0.512 else "F") for d in dobs]
    pair = [c for c in children if dobs.count(c.dob) > 1]
    if len(pair) >= 2 and rng.random() < 0.35:  # same-sex (some identical) twins
        pair[1].sex = pair[0].sex
    return children


def _eligible(pattern: str, dob: int, cal: Calendar) -> bool:
    s, e = cal.start, cal.end
    if pattern == "injury-non-mobile":
        return s + 30 <= dob <= e - 260
    if pattern == "haringey":
        return s + 90 - years_to_days(3) <= dob <= s + 90 - 200
    if pattern == "neglect":
        return s - years_to_days(12) <= dob <= s - 365
    if pattern in ("domestic-abuse", "toxic-trio"):
        return s - years_to_days(13) <= dob <= e - 1000
    if pattern == "unassessed-carer":
        return s - years_to_days(11) <= dob <= e - 500
    if pattern == "accidental-injury":
        return s + 180 - years_to_days(11) <= dob <= s + 180 - years_to_days(1.5)
    raise ValueError(pattern)


def _eligible_range(pattern: str, cal: Calendar) -> tuple[int, int]:
    lo = next(
        d for d in range(cal.start - years_to_days(18), cal.end) if _eligible(pattern, d, cal)
    )
    hi = next(d for d in range(cal.end, lo, -1) if _eligible(pattern, d, cal))
    return lo, hi


def pattern_count(pattern: str, children: int) -> int:
    floor = 3 if children >= 1000 else 1
    return max(floor, round(PATTERN_RATES[pattern] * children))


def plan_population(children: int, seed: int, cal: Calendar) -> list[HouseholdPlan]:
    """Every household with its children, structure and any planted trajectory."""
    if children < 1:
        raise ValueError("at least one child is needed")
    rng = Random(seed)
    plans: list[HouseholdPlan] = []
    remaining = children
    while remaining:
        k = _children_count(rng, remaining)
        twins = k >= 2 and rng.random() < 0.03
        structure = rng.choices(("couple", "single_mother", "single_father"), weights=(64, 31, 5))[
            0
        ]
        plan = HouseholdPlan(
            idx=len(plans),
            seed=household_seed(seed, len(plans)),
            children=_plan_children(rng, k, cal, twins),
            structure=structure,
            twins=twins,
        )
        has_son = any(c.sex == "M" for c in plan.children)
        plan.same_name = structure != "single_mother" and has_son and rng.random() < 0.03
        plans.append(plan)
        remaining -= k
    _assign_patterns(plans, children, rng, cal)
    _guarantee_traps(plans, rng)
    return plans


def _guarantee_traps(plans: list[HouseholdPlan], rng: Random) -> None:
    """Even a small population has a pair of twins and a father and son with the same name."""
    multi = [p for p in plans if len(p.children) >= 2 and p.pattern is None]
    if multi and not any(p.twins for p in plans):
        plan = rng.choice(multi)
        plan.twins = True
        plan.children[1].dob = plan.children[0].dob
        plan.children.sort(key=lambda c: c.dob)
    free = [p for p in plans if p.pattern is None]
    if free and not any(p.same_name for p in plans):
        plan = rng.choice(free)
        plan.same_name = True
        if plan.structure == "single_mother":
            plan.structure = "couple"
        if not any(c.sex == "M" for c in plan.children):
            plan.children[0].sex = "M"


def _assign_patterns(plans: list[HouseholdPlan], children: int, rng: Random, cal: Calendar) -> None:
    # Patterns with the narrowest age windows choose first.
    for pattern in PATTERNS:
        candidates = [
            (p.idx, i)
            for p in plans
            if p.pattern is None
            for i, c in enumerate(p.children)
            if _eligible(pattern, c.dob, cal)
        ]
        rng.shuffle(candidates)
        for _ in range(pattern_count(pattern, children)):
            while candidates and plans[candidates[-1][0]].pattern is not None:
                candidates.pop()
            if candidates:
                idx, target = candidates.pop()
                plan = plans[idx]
            else:
                # No child of the right age is free: make one (small populations only).
                free = [p for p in plans if p.pattern is None and not p.twins] or [
                    p for p in plans if p.pattern is None
                ]
                if not free:
                    return
                plan = rng.choice(free)
                lo, hi = _eligible_range(pattern, cal)
                plan.children[0].dob = rng.randint(lo, hi)
                plan.children.sort(key=lambda c: c.dob)
                target = next(
                    i for i, c in enumerate(plan.children) if _eligible(pattern, c.dob, cal)
                )
            plan.pattern = pattern
            plan.target = target
            if pattern in ("domestic-abuse", "toxic-trio"):
                plan.structure = "couple"
            elif pattern == "haringey":
                plan.structure = "single_mother"
                plan.same_name = False


# --- one household ----------------------------------------------------------------------------


def _postcode(rng: Random, district: str) -> str:
    letters = N.INWARD_LETTERS
    return f"{district} {rng.randint(1, 9)}{rng.choice(letters)}{rng.choice(letters)}"


def new_address(rng: Random, *, local: bool = True) -> Address:
    if local:
        district = rng.choices(
            [d for d, _ in N.LA_DISTRICTS], weights=[w for _, w in N.LA_DISTRICTS]
        )[0]
        town = "London"
    else:
        district, town = rng.choice(N.NEIGHBOUR_DISTRICTS)
    street = f"{rng.choice(N.STREET_STEMS)} {rng.choice(N.STREET_SUFFIXES)}"
    if rng.random() < 0.35:
        line1 = f"Flat {rng.randint(1, 60)}, {rng.choice(N.BLOCK_NAMES)}"
        line2: str | None = street
    else:
        number = rng.randint(1, 180)
        if rng.random() < 0.12:
            line1 = f"Flat {rng.choice('ABCD')}, {number} {street}"
        else:
            line1 = f"{number} {street}"
        line2 = None
    return (line1, line2, town, _postcode(rng, district))


def district_of(addr: Address) -> str:
    return addr[3].split(" ")[0]


def _level(rng: Random, decile: int) -> int:
    # Interpolate between the most and least deprived deciles' need profiles.
    t = (decile - 1) / 9
    deprived, affluent = (0.55, 0.28, 0.12, 0.05), (0.86, 0.11, 0.025, 0.005)
    weights = [d + (a - d) * t for d, a in zip(deprived, affluent, strict=True)]
    return rng.choices((0, 1, 2, 3), weights=weights)[0]


def _pick_name(rng: Random, pool: tuple[str, ...], taken: set[str]) -> str:
    for _ in range(20):
        name = rng.choice(pool)
        if name not in taken:
            return name
    return rng.choice(pool)


def build_household(plan: HouseholdPlan, cal: Calendar) -> tuple[Household, Random]:
    """Realise a planned household: people, names, addresses, moves and comings and goings."""
    rng = Random(plan.seed)
    pattern = plan.pattern
    ethnicity = rng.choices(_ETHNICITY_CODES, weights=_ETHNICITY_WEIGHTS)[0]
    if pattern and pattern != "accidental-injury":
        decile = rng.choices(_DECILES, weights=_DEPRIVED_DECILE_WEIGHTS)[0]
        level = (
            3 if pattern in ("haringey", "toxic-trio", "domestic-abuse", "unassessed-carer") else 2
        )
    else:
        decile = rng.choices(_DECILES, weights=_DECILE_WEIGHTS)[0]
        level = 0 if pattern == "accidental-injury" else _level(rng, decile)
    m_opts, f_opts = _TRADITIONS[ethnicity]
    trad_m, trad_f = rng.choice(m_opts), rng.choice(f_opts)
    hid = f"HH{plan.idx:06d}"

    def person(
        slot: int, given: str, family: str, sex: str, dob: int, role: str, joined: int
    ) -> Person:
        return make_person(plan.idx, slot, given, family, sex, dob, role, joined)

    eldest = plan.children[0].dob
    mother_age = min(44.0, max(16.5, rng.gauss(28.5, 6.0)))
    mother_dob = eldest - years_to_days(mother_age)
    father_dob = mother_dob - years_to_days(min(14.0, max(-6.0, rng.gauss(2.5, 3.5))))
    if father_dob > eldest - years_to_days(17):
        father_dob = eldest - years_to_days(17 + rng.random() * 4)
    formed = min(eldest, cal.start) - rng.randint(200, 3000)  # household formed (before window)

    members: list[Person] = []
    mother_maiden = rng.choice(N.SURNAMES[trad_m])
    if ethnicity == "ABAN" and rng.random() < 0.4:
        mother_maiden = "Begum"
    father_family = rng.choice(N.SURNAMES[trad_f])
    mother: Person | None = None
    father: Person | None = None
    taken: set[str] = set()
    if plan.structure in ("couple", "single_mother"):
        married = plan.structure == "couple" and rng.random() < 0.55
        mother = person(
            SLOT_MOTHER,
            _pick_name(rng, N.FEMALE[trad_m], taken),
            father_family if married else mother_maiden,
            "F",
            mother_dob,
            "parent",
            formed,
        )
        if married:
            mother.alt_families = (mother_maiden,)
        taken.add(mother.given)
        members.append(mother)
    if plan.structure in ("couple", "single_father"):
        father = person(
            SLOT_FATHER,
            _pick_name(rng, N.MALE[trad_f], taken),
            father_family,
            "M",
            father_dob,
            "parent",
            formed,
        )
        taken.add(father.given)
        members.append(father)

    # Children's surname: father's (mostly), mother's, or both joined.
    child_alts: tuple[str, ...]
    if mother and father:
        if mother.family == father.family:
            child_family, child_alts = (
                father.family,
                (mother_maiden,) if rng.random() < 0.15 else (),
            )
        else:
            r = rng.random()
            if r < 0.72:
                child_family, child_alts = father.family, (mother.family,)
            elif r < 0.84:
                a, b = (
                    (mother.family, father.family)
                    if rng.random() < 0.5
                    else (father.family, mother.family)
                )
                child_family, child_alts = f"{a}-{b}", (a, b, f"{a} {b}")
            else:
                child_family, child_alts = mother.family, (father.family,)
    elif mother:
        if rng.random() < 0.7:
            child_family, child_alts = mother.family, ()
        else:
            absent = rng.choice(N.SURNAMES[trad_f])
            child_family, child_alts = absent, (mother.family,)
    else:
        assert father is not None
        child_family, child_alts = father.family, ()

    children: list[Person] = []
    for i, cp in enumerate(plan.children):
        trad = rng.choice((trad_m, trad_f))
        pool = N.MALE[trad] if cp.sex == "M" else N.FEMALE[trad]
        given = _pick_name(rng, pool, taken)
        twin = children[-1] if children and children[-1].dob == cp.dob else None
        if twin is not None and rng.random() < 0.5:
            # Twins often get matching initials, which is what makes them easy to confuse.
            same_initial = [n for n in pool if n[0] == twin.given[0] and n not in taken]
            if same_initial:
                given = rng.choice(same_initial)
        taken.add(given)
        child = person(
            SLOT_FIRST_CHILD + i, given, child_family, cp.sex, cp.dob, "child", max(cp.dob, formed)
        )
        child.alt_families = child_alts
        if rng.random() < 0.55:
            child.middle = _pick_name(rng, pool, taken | {given})
        children.append(child)
    if plan.same_name and father is not None:
        son = next((c for c in children if c.sex == "M"), None)
        if son is not None:
            son.given, son.family, son.alt_families = father.given, father.family, ()
            son.traits.add("same_name_as_parent")
            father.traits.add("same_name_as_child")
    elif mother is not None and rng.random() < 0.005:
        daughter = next((c for c in children if c.sex == "F"), None)
        if daughter is not None and daughter.family == mother.family:
            daughter.given = mother.given
            daughter.traits.add("same_name_as_parent")
            mother.traits.add("same_name_as_child")
    for c in children:
        if sum(1 for o in children if o.dob == c.dob) > 1:
            c.traits.add("twin")
    for p in (mother, father):
        if p is not None and rng.random() < 0.35:
            pool = N.FEMALE[trad_m] if p.sex == "F" else N.MALE[trad_f]
            p.middle = _pick_name(rng, pool, {p.given})
    members.extend(children)

    # Addresses: where the household lives, and when it moves (more often when life is harder).
    moves: list[tuple[int, Address]] = [(formed, new_address(rng))]
    n_moves = sum(1 for _ in range(3) if rng.random() < 0.07 + 0.04 * level)
    for day in sorted(rng.randint(cal.start + 20, cal.end - 20) for _ in range(n_moves)):
        if day - moves[-1][0] > 120:
            moves.append((day, new_address(rng, local=rng.random() < 0.85)))

    hh = Household(
        idx=plan.idx,
        hid=hid,
        ethnicity=ethnicity,
        decile=decile,
        level=level,
        structure=plan.structure,
        moves=moves,
        members=members,
        hospital=HOSPITALS[0],
        gp=GPS[0],
        primary=PRIMARIES[0],
        secondary=SECONDARIES[0],
        social_housing=rng.random() < 0.12 + 0.05 * (10 - decile) or pattern == "haringey",
        pattern=pattern,
    )
    district = district_of(moves[0][1])
    local_hospitals = serving(HOSPITALS, district)
    hh.hospital = rng.choice(local_hospitals) if rng.random() < 0.8 else rng.choice(HOSPITALS)
    hh.gp = rng.choice(serving(GPS, district))
    hh.primary = rng.choice(serving(PRIMARIES, district))
    hh.secondary = rng.choice(serving(SECONDARIES, district))

    # Other adults: a grandparent living in, a lodger, a parent's new partner, a parent leaving.
    if rng.random() < 0.04 and mother is not None:
        gran_joined = formed if rng.random() < 0.7 else rng.randint(cal.start, cal.end - 60)
        gran = person(
            SLOT_RELATIVE,
            _pick_name(rng, N.FEMALE[trad_m], taken),
            mother_maiden,
            "F",
            mother.dob - years_to_days(rng.uniform(20, 34)),
            "relative",
            gran_joined,
        )
        members.append(gran)
    if rng.random() < 0.02 + 0.01 * level:
        sex = "M" if rng.random() < 0.6 else "F"
        trad = rng.choice((trad_m, trad_f, N.ENGLISH))
        lodger = person(
            SLOT_LODGER,
            rng.choice(N.MALE[trad] if sex == "M" else N.FEMALE[trad]),
            rng.choice(N.SURNAMES[trad]),
            sex,
            cal.start - years_to_days(rng.uniform(20, 55)),
            "lodger",
            rng.randint(cal.start - 400, cal.end - 90),
        )
        if rng.random() < 0.5:
            lodger.left = lodger.joined + rng.randint(60, 700)
        members.append(lodger)
    partner_chance = 0.13 + 0.05 * level
    if pattern == "haringey" or (
        pattern is None and plan.structure == "single_mother" and rng.random() < partner_chance
    ):
        assert mother is not None
        trad = rng.choice((trad_f, N.ENGLISH))
        if pattern == "haringey":
            joined = rng.randint(cal.start + 30, cal.start + 120)
        elif rng.random() < 0.3:
            joined = rng.randint(cal.start - 700, cal.start - 30)
        else:
            joined = rng.randint(cal.start, cal.end - 60)
        partner = person(
            SLOT_PARTNER,
            rng.choice(N.MALE[trad]),
            rng.choice(N.SURNAMES[trad]),
            "M",
            mother.dob + years_to_days(rng.uniform(-8, 4)),
            "partner_of_parent",
            joined,
        )
        if pattern is None and rng.random() < 0.35:
            partner.left = joined + rng.randint(90, 800)
        members.append(partner)
    if (
        pattern is None
        and father is not None
        and mother is not None
        and rng.random() < 0.03 + 0.02 * level
    ):
        father.left = rng.randint(cal.start + 30, cal.end - 30)

    _address_timelines(rng, hh, cal)
    _registrations(rng, hh, cal)
    if pattern:
        hh.target = children[plan.target]
    return hh, rng


def _address_timelines(rng: Random, hh: Household, cal: Calendar) -> None:
    for p in hh.members:
        timeline: list[tuple[int, Address]] = []
        if p.joined > hh.moves[0][0] and p.role != "child":
            # An adult who joined later lived somewhere else before.
            timeline.append(
                (p.joined - rng.randint(200, 2500), new_address(rng, local=rng.random() < 0.7))
            )
        first = max(p.joined, hh.moves[0][0]) if p.role != "child" else max(p.dob, hh.moves[0][0])
        timeline.append((first, hh.address_on(first)))
        for start, addr in hh.moves[1:]:
            if start > first and (p.left is None or start < p.left):
                timeline.append((start, addr))
        if p.left is not None:
            timeline.append((p.left, new_address(rng, local=rng.random() < 0.6)))
        p.addresses = timeline


def _registrations(rng: Random, hh: Household, cal: Calendar) -> None:
    """Which GP practice holds each person's record, and from when."""
    for p in hh.members:
        if p.role == "child":
            p.gp = hh.gp
            p.gp_from = (
                p.dob + rng.randint(10, 45) if p.dob > cal.start - 60 else max(p.dob + 30, p.joined)
            )
        elif p.role == "parent":
            p.gp = hh.gp if rng.random() < 0.95 else None
            p.gp_from = p.joined + rng.randint(0, 300)
        elif hh.pattern == "haringey" and p.role == "partner_of_parent":
            # The concealed partner is known to the family's GP at the family's address.
            p.gp = hh.gp
            p.gp_from = p.joined + rng.randint(14, 45)
        else:
            # Partners, lodgers and relatives: some register with the family's practice once
            # they move in, some stay with a practice elsewhere (not one of ours), some with none.
            r = rng.random()
            if r < 0.6:
                p.gp = hh.gp
                p.gp_from = max(p.joined, cal.start - 2000) + rng.randint(7, 120)
            elif r < 0.8:
                p.gp = rng.choice(GPS)
                p.gp_from = p.addresses[0][0] + rng.randint(10, 100)
            else:
                p.gp = None
