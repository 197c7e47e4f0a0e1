"""The ordinary life of a household as agencies see it.

Most of what agencies record about most children is unremarkable: GP appointments, health
visitor reviews, a trip to A&E with a fever or a cut chin, a few days off school. Some households
also meet the police, adult services or children's social care, more often the higher their need
level. Rates are per person per year and give roughly 30 events per child over three years.
"""

from __future__ import annotations

import math
from datetime import date
from random import Random

from jigsaw.synth import agencies as A
from jigsaw.synth.agencies import (
    CHILDRENS_SOCIAL_CARE,
    HEALTH_VISITORS,
    HOSPITALS,
    HOUSING_SERVICE,
    MENTAL_HEALTH,
    POLICE_FORCE,
    RECOVERY_SERVICE,
    Agency,
)
from jigsaw.synth.population import Person
from jigsaw.synth.sim import DAY, Sim
from jigsaw.synth.social_care import refer, run_case
from jigsaw.synth.timeline import age_on, day_iso, reception_year, years_to_days


def poisson(rng: Random, lam: float) -> int:
    if lam <= 0:
        return 0
    if lam > 30:
        return max(0, round(rng.gauss(lam, math.sqrt(lam))))
    limit, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def _spread(rng: Random, lo: int, hi: int, per_year: float) -> list[int]:
    """Days in [lo, hi) at a yearly rate."""
    if hi <= lo:
        return []
    n = poisson(rng, per_year * (hi - lo) / 365.25)
    return sorted(rng.randrange(lo, hi) for _ in range(n))


# --- health ---------------------------------------------------------------------------------

_GP_RATE = ((1, 5.0), (5, 2.6), (12, 1.4), (18, 1.6))  # (under this age, contacts a year)
_GP_NOTES = (
    None,
    None,
    None,
    "Viral upper respiratory tract infection; safety-netting advice given.",
    "Eczema review; emollients continued.",
    "Ear infection; antibiotics prescribed.",
    "Asthma review; inhaler technique checked.",
    "Reviewed with parent; no concerns.",
)
_AE_ILLNESS = (
    "fever",
    "breathing difficulty",
    "vomiting and diarrhoea",
    "rash",
    "abdominal pain",
    "asthma attack",
    "allergic reaction",
    "headache and vomiting",
)
_AE_TODDLER = ("fever", "croup", "febrile convulsion", "vomiting and diarrhoea", "rash", "wheeze")
_AE_INFANT = ("fever", "bronchiolitis", "poor feeding", "vomiting", "high temperature", "rash")
# (kind, site, explanation): accidents typical of the age, sites that raise no bruising rule.
_ACCIDENTS_TODDLER = (
    ("laceration", "forehead", "fell against the corner of the coffee table"),
    ("head_injury", "forehead", "fell off the sofa onto a wooden floor"),
    ("bruise", "left shin", "tripped over in the park"),
    ("burn", "right palm", "touched the oven door"),
    ("abrasion", "both knees", "fell on the pavement"),
    ("other", "right ankle", "caught foot in the stair gate"),
)
_ACCIDENTS_CHILD = (
    ("fracture", "left wrist", "fell from the climbing frame at school"),
    ("laceration", "chin", "fell off scooter"),
    ("head_injury", "scalp", "collided with another child in the playground"),
    ("fracture", "right forearm", "fell off the trampoline"),
    ("abrasion", "knees and palms", "fell off bicycle"),
    ("other", "right ankle", "twisted ankle playing football"),
)
_ACCIDENTS_TEEN = (
    ("fracture", "right hand", "punched a wall"),
    ("other", "left knee", "football injury"),
    ("laceration", "left hand", "cut while cooking"),
    ("head_injury", "forehead", "fell off bike"),
    ("fracture", "left clavicle", "fell during a rugby match"),
)


def accident(rng: Random, age: int) -> tuple[str, str, str]:
    menu = _ACCIDENTS_TODDLER if age < 4 else _ACCIDENTS_CHILD if age < 12 else _ACCIDENTS_TEEN
    return rng.choice(menu)


def accidental_attendance(
    sim: Sim, child: Person, minute: int, hospital: Agency, *, signal: bool = False
) -> None:
    """An A&E visit for an accident with a prompt, consistent account (no safeguarding flag)."""
    rng = sim.rng
    day = minute // DAY
    kind, site, explanation = accident(rng, age_on(child.dob, day))
    sim.emit(
        hospital,
        "ae_attendance",
        minute,
        sim.with_carer(child, day, 0.9),
        {
            "reason": explanation,
            "injuries": [{"kind": kind, "site": site}],
            "explanation": explanation,
            "explanation_by": "parent",
            "explanation_consistent": True,
            "child_independently_mobile": True,
            "delay_hours": rng.randint(0, 3),
        },
        author=sim.author(hospital),
        signal=signal,
    )


def _health(sim: Sim, child: Person) -> None:
    cal, rng, hh = sim.cal, sim.rng, sim.hh
    adult_day = child.dob + years_to_days(18)
    lo, hi = max(cal.start, child.dob), min(cal.end, adult_day)
    if lo >= hi:
        return
    # Born in the window: the birth is recorded by the maternity unit, and the baby registered.
    if child.dob >= cal.start:
        minute = child.dob * DAY + rng.randint(6 * 60, 30 * 60)
        subjects = sim.with_carer(child, child.dob)
        sim.emit(
            hh.hospital,
            "health_contact",
            minute,
            subjects,
            {"service": "midwifery", "child_seen": True},
            narrative="Postnatal check before discharge.",
        )
    if child.gp is not None and child.gp_from < hi:
        sim.register(child.gp, child, sim.office(child.gp_from))
        # GP consultations at a rate that falls with age.
        start = max(lo, child.gp_from)
        day = start
        while day < hi:
            nxt = min(hi, day + 365)
            age = age_on(child.dob, (day + nxt) // 2)
            rate = next(r for limit, r in _GP_RATE if age < limit)
            for d in _spread(rng, day, nxt, rate):
                sim.emit(
                    child.gp,
                    "health_contact",
                    sim.office_wd(d),
                    sim.with_carer(child, d, 0.85 if age < 16 else 0.3),
                    {"service": "gp", "child_seen": True},
                    narrative=rng.choice(_GP_NOTES),
                )
            day = nxt
        # Infant immunisations at 8, 12 and 16 weeks and one year.
        for weeks in (8, 12, 16, 52):
            d = child.dob + weeks * 7 + rng.randint(0, 14)
            if not lo <= d < hi or d < child.gp_from:
                continue
            if rng.random() < 0.04 + 0.03 * hh.level:
                sim.emit(
                    child.gp,
                    "appointment_missed",
                    sim.office_wd(d),
                    sim.with_carer(child, d),
                    {"service": "gp"},
                    narrative="Not brought for immunisations.",
                )
                d += rng.randint(10, 30)
            sim.emit(
                child.gp,
                "health_contact",
                sim.office_wd(d),
                sim.with_carer(child, d),
                {"service": "gp", "child_seen": True},
                author=sim.author(child.gp, "practice nurse"),
                narrative="Routine immunisations given.",
            )
    # Health visiting reviews for the under-fives.
    hv = HEALTH_VISITORS
    for age_days, label in (
        (12, "New birth visit"),
        (49, "6-8 week review"),
        (300, "1 year review"),
        (800, "2-2\u00bd year review"),
    ):
        d = child.dob + age_days + rng.randint(0, 10)
        if not lo <= d < hi:
            continue
        if rng.random() < 0.05 + 0.03 * hh.level:
            sim.emit(
                hv,
                "appointment_missed",
                sim.office_wd(d),
                sim.with_carer(child, d),
                {"service": "health_visitor"},
                narrative=f"{label}: no answer at the door.",
            )
            d += rng.randint(10, 25)
            if rng.random() < 0.2:
                continue
        sim.emit(
            hv,
            "health_contact",
            sim.office_wd(d),
            sim.with_carer(child, d),
            {"service": "health_visitor", "child_seen": True},
            narrative=label + ".",
        )
    if hh.level >= 2:
        for d in _spread(rng, lo, min(hi, child.dob + years_to_days(5)), 2.0):
            sim.emit(
                hv,
                "health_contact",
                sim.office_wd(d),
                sim.with_carer(child, d),
                {"service": "health_visitor", "child_seen": rng.random() < 0.9},
                narrative="Targeted support visit.",
            )
    # A&E: illness at any age, accidents once a child gets about (the planted accidental-injury
    # controls have only their planted accidents, so they stay clean negatives).
    accidents = not (hh.pattern == "accidental-injury" and child is hh.target)
    day = lo
    while day < hi:
        nxt = min(hi, day + 365)
        age = age_on(child.dob, (day + nxt) // 2)
        rate = 0.35 if age < 1 else 0.5 if age < 5 else 0.25 if age < 12 else 0.3
        for d in _spread(rng, day, nxt, rate):
            hospital = hh.hospital if rng.random() < 0.85 else rng.choice(HOSPITALS)
            minute = sim.any_time(d)
            age_now = age_on(child.dob, d)
            if accidents and age_now >= 1 and (d - child.dob) > 420 and rng.random() < 0.5:
                accidental_attendance(sim, child, minute, hospital)
            else:
                reasons = _AE_INFANT if age_now < 1 else _AE_TODDLER if age_now < 4 else _AE_ILLNESS
                sim.emit(
                    hospital,
                    "ae_attendance",
                    minute,
                    sim.with_carer(child, d, 0.9),
                    {"reason": rng.choice(reasons)},
                )
        day = nxt
    # Missed appointments ("was not brought").
    for d in _spread(rng, lo, hi, 0.08 + 0.12 * hh.level):
        if rng.random() < 0.6 and child.gp is not None and d >= child.gp_from:
            sim.emit(
                child.gp,
                "appointment_missed",
                sim.office_wd(d),
                sim.with_carer(child, d),
                {"service": "gp"},
            )
        else:
            sim.emit(
                hh.hospital,
                "appointment_missed",
                sim.office_wd(d),
                sim.with_carer(child, d),
                {"service": "paediatrics"},
                narrative="Outpatient appointment: not brought.",
            )


# --- school ---------------------------------------------------------------------------------


def school_spells(sim: Sim, child: Person) -> list[tuple[Agency, int, int]]:
    """(school, first day, end day) for each school year the child is on a roll in the window."""
    cal, hh = sim.cal, sim.hh
    first_year = reception_year(child.dob)
    spells: list[tuple[Agency, int, int]] = []
    stays_on = (child.key * 2_654_435_761) % 100 < 60  # stays for sixth form
    for year in range(cal.start_date.year - 1, cal.end_date.year + 1):
        group = year - first_year
        if 0 <= group <= 6:
            school = hh.primary
        elif 7 <= group <= 11 or (group <= 13 and stays_on and group >= 7):
            school = hh.secondary
        else:
            continue
        lo = max(cal.start, _sept(year))
        hi = min(cal.end, _sept(year + 1))
        if lo < hi:
            spells.append((school, lo, hi))
    return spells


def _sept(year: int) -> int:
    return date(year, 9, 1).toordinal()


def enrolment_day(child: Person, school: Agency) -> int:
    first_year = reception_year(child.dob) + (7 if school.kind == A.SECONDARY else 0)
    return _sept(first_year) + 2


def _school(sim: Sim, child: Person) -> None:
    cal, rng, hh = sim.cal, sim.rng, sim.hh
    spells = school_spells(sim, child)
    if not spells:
        return
    propensity = rng.gammavariate(1.6, 4.5) * (1 + 0.35 * hh.level)
    enrolled: set[str] = set()
    for school, lo, hi in spells:
        if school.code not in enrolled:
            enrolled.add(school.code)
            day = enrolment_day(child, school)
            minute = sim.office(day)
            sim.register(school, child, minute)
            for parent in (hh.mother(), hh.father()):
                if parent is not None and parent.present(max(day, cal.start)):
                    sim.register(school, parent, minute)
        days = cal.school_days_between(lo, hi)
        if not days:
            continue
        n = min(len(days), poisson(rng, propensity * len(days) / 190))
        for i in sorted(rng.sample(range(len(days)), n)):
            absence(sim, school, child, days, i, authorised=rng.random() < 0.72)
        if rng.random() < 0.02 and age_on(child.dob, lo) >= 5:
            d = rng.choice(days)
            kind, site, explanation = accident(rng, age_on(child.dob, d))
            sim.emit(
                school,
                "injury_observed",
                sim.office(d),
                [(child, "child")],
                {
                    "injuries": [{"kind": "bruise" if kind == "other" else kind, "site": site}],
                    "explanation": explanation,
                    "explanation_by": "child",
                    "explanation_consistent": True,
                    "child_independently_mobile": True,
                },
                author=sim.author(school, "designated safeguarding lead"),
            )


def absence(
    sim: Sim,
    school: Agency,
    child: Person,
    days: list[int],
    i: int,
    *,
    authorised: bool,
    signal: bool = False,
) -> None:
    """One spell of absence starting on school day `days[i]`."""
    rng = sim.rng
    r = rng.random()
    length = (
        1
        if r < 0.55
        else 2
        if r < 0.75
        else 3
        if r < 0.85
        else rng.randint(4, 5)
        if r < 0.92
        else 0
    )
    sessions = 1 if length == 0 else 2 * length
    last = days[min(len(days) - 1, i + max(length, 1) - 1)]
    sim.emit(
        school,
        "school_absence",
        days[i] * DAY + rng.randint(8 * 60 + 40, 9 * 60 + 30),
        [(child, "child")],
        {
            "sessions_missed": sessions,
            "period_start": _iso(days[i]),
            "period_end": _iso(last),
            "authorised": authorised,
        },
        author=sim.author(school, "attendance officer"),
        signal=signal,
    )


def _iso(day: int) -> str:
    return day_iso(day)


# --- adults ---------------------------------------------------------------------------------

_SUBSTANCES = (
    "alcohol",
    "alcohol",
    "cannabis",
    "crack cocaine",
    "opiates",
    "cocaine",
    "opiates",
    "ketamine",
)
_MH_SERVICES = ("community mental health team", "talking therapies", "crisis resolution team")
_OFFENCES = (
    ("violence", 35),
    ("drugs", 35),
    ("other", 27),
    ("sexual", 1.5),
    ("child_cruelty", 0.5),
)


def mental_health_episode(
    sim: Sim,
    adult: Person,
    start: int,
    *,
    contacts: int,
    signal: bool = False,
    service: str | None = None,
) -> int:
    """A run of adult mental health contacts; returns the day of the first."""
    rng = sim.rng
    day, first = start, start
    service = service or rng.choice(_MH_SERVICES)
    for _ in range(contacts):
        sim.emit(
            MENTAL_HEALTH,
            "adult_mental_health_contact",
            sim.office_wd(day),
            [(adult, _adult_role(adult))],
            {"service": service, "risk_to_others": rng.random() < 0.04},
            signal=signal,
        )
        day += rng.randint(7, 35)
    return first


def substance_episode(
    sim: Sim, adult: Person, start: int, *, contacts: int, signal: bool = False
) -> int:
    rng = sim.rng
    substance = rng.choice(_SUBSTANCES)
    day = start
    for _ in range(contacts):
        sim.emit(
            RECOVERY_SERVICE,
            "substance_misuse_contact",
            sim.office_wd(day),
            [(adult, _adult_role(adult))],
            {"substance": substance},
            signal=signal,
        )
        day += rng.randint(7, 21)
    return start


def offence(sim: Sim, adult: Person, day: int, category: str, *, signal: bool = False) -> None:
    rng, cal = sim.rng, sim.cal
    details: dict[str, object] = {"offence_category": category}
    convicted = day + rng.randint(45, 300)
    if convicted < cal.end - 1:
        details["conviction_date"] = _iso(convicted)
    sim.emit(
        POLICE_FORCE,
        "offence_record",
        sim.evening(day),
        [(adult, "alleged_perpetrator")],
        details,
        lag=rng.randint(1, 20) * DAY,
        signal=signal,
    )


def _adult_role(adult: Person) -> str:
    return {"parent": "parent", "partner_of_parent": "partner_of_parent"}.get(
        adult.role, "household_member"
    )


def _adults(sim: Sim) -> None:
    cal, rng, hh = sim.cal, sim.rng, sim.hh
    lvl = hh.level
    for adult in hh.adults:
        lo = max(cal.start, adult.joined)
        hi = min(cal.end, adult.left or cal.end)
        if hi - lo < 30:
            continue
        if adult.gp is not None and adult.gp_from < cal.end:
            sim.register(adult.gp, adult, sim.office(adult.gp_from))
        if not sim.risk_routine:
            continue
        if rng.random() < (0.03, 0.06, 0.14, 0.25)[lvl] * (1.3 if adult.sex == "F" else 0.8):
            mental_health_episode(sim, adult, rng.randrange(lo, hi), contacts=rng.randint(2, 10))
        if rng.random() < (0.006, 0.02, 0.08, 0.16)[lvl] * (1.4 if adult.sex == "M" else 0.6):
            substance_episode(sim, adult, rng.randrange(lo, hi), contacts=rng.randint(2, 12))
        if rng.random() < (0.004, 0.015, 0.05, 0.10)[lvl] * (1.5 if adult.sex == "M" else 0.5):
            category = rng.choices([c for c, _ in _OFFENCES], weights=[w for _, w in _OFFENCES])[0]
            offence(sim, adult, rng.randrange(lo, hi), category)
        for d in _spread(rng, lo, hi, (0.002, 0.01, 0.04, 0.08)[lvl]):
            kind = rng.choice(("violence", "drugs", "other"))
            role = "victim" if kind == "violence" and rng.random() < 0.4 else "alleged_perpetrator"
            sim.emit(
                POLICE_FORCE,
                "police_incident",
                sim.evening(d),
                [(adult, role)],
                {"incident_type": kind, "children_present": False},
            )


# --- police and children's social care ------------------------------------------------------

_DA_NARRATIVES = (
    "Neighbour reported shouting and banging. Both parties spoken to; verbal argument only.",
    "Call from victim: partner pushed her during an argument. DASH completed: standard risk.",
    "Argument over money escalated; items thrown. Perpetrator left before police arrival.",
    "Victim reports being threatened; no visible injuries. DASH: medium risk.",
)


def domestic_incident(
    sim: Sim,
    day: int,
    victim: Person,
    perpetrator: Person,
    *,
    children_present: bool,
    signal: bool = False,
    narrative: str | None = None,
) -> int:
    """A domestic abuse call-out to the household; returns its minute."""
    minute = sim.evening(day)
    subjects = [(victim, "victim"), (perpetrator, "alleged_perpetrator")]
    subjects += [(c, "child") for c in sim.hh.children if c.dob <= day < c.dob + years_to_days(18)]
    sim.emit(
        POLICE_FORCE,
        "police_incident",
        minute,
        subjects,
        {"incident_type": "domestic_abuse", "children_present": children_present},
        narrative=narrative or sim.rng.choice(_DA_NARRATIVES),
        signal=signal,
    )
    return minute


def _couple_on(sim: Sim, day: int) -> tuple[Person, Person] | None:
    hh = sim.hh
    mother = hh.mother()
    if mother is None or not mother.present(day):
        return None
    for other in (hh.father(), hh.partner()):
        if other is not None and (
            other.present(day) or (other.left is not None and other.left <= day)
        ):
            return mother, other
    return None


def children_on(sim: Sim, day: int) -> list[Person]:
    return [c for c in sim.hh.children if c.dob <= day < c.dob + years_to_days(18)]


def _police_and_social_care(sim: Sim) -> None:
    cal, rng, hh = sim.cal, sim.rng, sim.hh
    lvl = hh.level
    # Domestic abuse, with a notification to children's social care most times.
    for d in _spread(rng, cal.start, cal.end, (0.003, 0.02, 0.10, 0.35)[lvl]):
        couple = _couple_on(sim, d)
        kids = children_on(sim, d)
        if couple is None or not kids:
            continue
        victim, perpetrator = couple if rng.random() < 0.9 else (couple[1], couple[0])
        minute = domestic_incident(
            sim, d, victim, perpetrator, children_present=rng.random() < 0.55
        )
        if rng.random() < 0.2:
            offence(sim, perpetrator, d, "violence")
        if rng.random() < 0.65:
            _concern(
                sim,
                kids,
                minute + rng.randint(12 * 60, 40 * 60),
                POLICE_FORCE,
                "domestic_abuse",
                "Domestic abuse notification.",
            )
    # Teenagers reported missing.
    if lvl >= 2:
        for child in hh.children:
            lo = max(cal.start, child.dob + years_to_days(12))
            hi = min(cal.end, child.dob + years_to_days(18))
            for d in _spread(rng, lo, hi, 0.25 if lvl == 2 else 0.6):
                minute = sim.evening(d)
                sim.emit(
                    POLICE_FORCE,
                    "police_incident",
                    minute,
                    sim.with_carer(child, d),
                    {"incident_type": "missing_child"},
                    narrative="Reported missing by parent; found safe the next day.",
                )
                if rng.random() < 0.3:
                    _concern(
                        sim,
                        [child],
                        minute + DAY,
                        POLICE_FORCE,
                        "exploitation",
                        "Missing episodes: concern about exploitation.",
                    )
    # Concerns raised by schools, health and housing.
    for d in _spread(rng, cal.start, cal.end, (0.004, 0.03, 0.12, 0.30)[lvl]):
        kids = children_on(sim, d)
        if not kids:
            continue
        focus = rng.choice(kids)
        age = age_on(focus.dob, d)
        options: list[Agency] = [hh.gp, hh.hospital]
        if age < 5:
            options += [HEALTH_VISITORS, HEALTH_VISITORS]
        elif age < 11:
            options += [hh.primary, hh.primary, hh.primary]
        else:
            options += [hh.secondary, hh.secondary, hh.secondary]
        if hh.social_housing:
            options.append(HOUSING_SERVICE)
        referrer = rng.choice(options)
        category = rng.choices(
            (
                "neglect",
                "emotional",
                "physical",
                "domestic_abuse",
                "sexual",
                "exploitation",
                "other",
            ),
            weights=(35, 20, 18, 14, 3, 6 if age >= 11 else 0, 4),
        )[0]
        minute = sim.office_wd(d)
        _concern(
            sim,
            [focus] if rng.random() < 0.5 else kids,
            minute,
            referrer,
            category,
            _describe(category),
        )


def _describe(category: str) -> str:
    return {
        "neglect": "Child frequently arrives hungry and in unwashed clothes.",
        "emotional": "Child withdrawn; says parents argue a lot.",
        "physical": "Child disclosed being smacked with a slipper.",
        "domestic_abuse": "Parent disclosed partner's controlling behaviour.",
        "sexual": "Worrying sexualised behaviour observed at school.",
        "exploitation": "Seen with older youths; new phone and clothes unexplained.",
        "other": "Concern about home conditions.",
    }[category]


def _concern(
    sim: Sim, kids: list[Person], minute: int, referrer: Agency, category: str, text: str
) -> None:
    """A concern, referred to social care unless a case is already open (then shared with it)."""
    rng = sim.rng
    day = minute // DAY
    open_case = day <= sim.csc_open_until
    referred = not open_case and rng.random() < 0.8
    refer(sim, kids, minute, referrer, category, text, referred=referred)
    if referred:
        run_case(sim, kids, minute)


def _household_changes(sim: Sim) -> None:
    """Agencies that hear of an adult joining or leaving a household with children."""
    cal, rng, hh = sim.cal, sim.rng, sim.hh
    relationship = {
        "parent": "parent",
        "partner_of_parent": "partner_of_parent",
        "lodger": "lodger",
        "relative": "relative",
    }
    for adult in hh.adults:
        if hh.pattern == "haringey" and adult.role == "partner_of_parent":
            continue  # the planted trajectory decides exactly who learns of him
        for change, day in (("joined", adult.joined), ("left", adult.left)):
            if day is None or not cal.start <= day < cal.end:
                continue
            kids = [c for c in children_on(sim, day) if c.key != adult.key]
            if not kids:
                continue
            youngest = kids[-1]
            learners: list[Agency] = []
            if hh.social_housing and rng.random() < 0.6:
                learners.append(HOUSING_SERVICE)
            if age_on(youngest.dob, day) < 5 and rng.random() < 0.3:
                learners.append(HEALTH_VISITORS)
            if age_on(youngest.dob, day) >= 5 and rng.random() < 0.15:
                learners.append(hh.primary if age_on(youngest.dob, day) < 11 else hh.secondary)
            if change == "joined" and adult.gp is hh.gp and rng.random() < 0.2:
                learners.append(hh.gp)
            if (
                day <= sim.csc_open_until
                and (CHILDRENS_SOCIAL_CARE.index, adult.key) not in sim.hidden
                and rng.random() < 0.7
            ):
                learners.append(CHILDRENS_SOCIAL_CARE)
            for agency in learners:
                sim.emit(
                    agency,
                    "household_change",
                    sim.office(day),
                    [(adult, "household_member"), (youngest, "child")],
                    {"change": change, "relationship": relationship[adult.role]},
                    lag=rng.randint(1, 30) * DAY,
                )


_HOUSING_NOTES = (
    "Repairs: damp and mould reported in the children's bedroom.",
    "Rent arrears: first letter sent.",
    "Annual tenancy check completed; household composition confirmed.",
    "Neighbour complaint about noise late at night.",
    "Repairs: broken front door lock reported.",
    "Rent arrears: repayment plan agreed.",
)


def _housing(sim: Sim) -> None:
    """A social landlord's tenancy file: the tenant and household, and notes on the tenancy."""
    cal, rng, hh = sim.cal, sim.rng, sim.hh
    if not hh.social_housing:
        return
    tenant = hh.mother() or hh.father()
    if tenant is None:
        return
    start = max(hh.moves[0][0], tenant.joined)
    minute = sim.office(start)
    for p in hh.members:
        if p.present(start) or (p.role == "child" and p.dob <= cal.start and p.present(cal.start)):
            sim.register(HOUSING_SERVICE, p, max(minute, sim.office(p.joined)))
    for d in _spread(rng, cal.start, cal.end, 0.5 + 0.2 * hh.level):
        if tenant.present(d):
            sim.emit(
                HOUSING_SERVICE,
                "note",
                sim.office_wd(d),
                [(tenant, "parent")],
                None,
                narrative=rng.choice(_HOUSING_NOTES),
            )


def routine(sim: Sim) -> None:
    """Everything ordinary that happens to the household in the window."""
    hh = sim.hh
    for child in hh.children:
        _health(sim, child)
        _school(sim, child)
    _adults(sim)
    _housing(sim)
    if sim.risk_routine:
        _police_and_social_care(sim)
    _household_changes(sim)
