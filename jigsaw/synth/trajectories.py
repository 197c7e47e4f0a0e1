"""Planted trajectories: children who come to serious harm, and the signals that came first.

Each pattern is a story drawn from serious case reviews, told in the events the agencies would
have recorded. Every signal precedes the harm date, so a risk engine working only from what was
recorded at the time could have flagged the child before it. `accidental-injury` is the control:
mobile children with accidents that are promptly presented and consistently explained, and no
harm. One row per target child goes to `truth/trajectories.csv`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

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
from jigsaw.synth.routine import (
    absence,
    accidental_attendance,
    domestic_incident,
    mental_health_episode,
    offence,
    school_spells,
    substance_episode,
)
from jigsaw.synth.sim import DAY, Sim
from jigsaw.synth.social_care import (
    ASSESSMENT,
    EARLY_HELP,
    NFA,
    STRATEGY,
    CaseSpec,
    connected_person,
    refer,
    run_case,
)
from jigsaw.synth.timeline import age_on, day_iso

TRAJECTORY_COLUMNS = (
    "child_person_id",
    "pattern",
    "harm_date",
    "household_id",
    "first_signal_date",
    "signal_count",
    "signal_agencies",
    "siblings",
    "description",
)


class Track:
    """The planted signals of one trajectory, for the truth file."""

    def __init__(self, sim: Sim) -> None:
        self.sim = sim
        self.first: int | None = None
        self.count = 0
        self.agencies: set[str] = set()

    def mark(self, agency: Agency, minute: int) -> None:
        if not self.sim.in_window(minute):
            return
        self.count += 1
        self.agencies.add(agency.code)
        if self.first is None or minute < self.first:
            self.first = minute

    def emit(
        self,
        agency: Agency,
        etype: str,
        minute: int,
        subjects: list[tuple[Person, str]],
        details: dict[str, Any],
        **kw: Any,
    ) -> None:
        if self.sim.emit(agency, etype, minute, subjects, details, signal=True, **kw):
            self.mark(agency, minute)


def _other_hospital(hospital: Agency) -> Agency:
    return next(h for h in HOSPITALS if h is not hospital)


def _harm_case(
    sim: Sim,
    child: Person,
    minute: int,
    hospital: Agency,
    text: str,
    category: str = "physical",
    *,
    on_plan: bool = False,
) -> None:
    """What follows serious harm: a referral, a section 47 enquiry, and often foster care.

    A child already on a plan gets a strategy discussion and enquiry, not a second initial
    conference.
    """
    refer(sim, [child], minute + 3 * 60, hospital, category, text, signal=True)
    res = run_case(
        sim,
        [child],
        minute + 3 * 60,
        CaseSpec(
            decision=STRATEGY,
            section47=True,
            conference=not on_plan,
            s47_outcome="substantiated" if on_plan else None,
            plan=True,
            categories=(category,),
            prompt=True,
        ),
    )
    if res.strategy_day is not None and sim.rng.random() < 0.7:
        day = sim.cal.add_working_days(res.strategy_day, 1)
        sim.emit(
            CHILDRENS_SOCIAL_CARE,
            "placement",
            sim.office(day),
            [(child, "child")],
            {"carer_type": "foster"},
            narrative="Placed with local authority foster carers.",
            signal=True,
        )


# --- 1. bruising in a non-mobile infant -----------------------------------------------------


def _injury_non_mobile(sim: Sim, t: Track) -> tuple[int, str]:
    rng, hh = sim.rng, sim.hh
    child = hh.target
    assert child is not None
    day = child.dob + rng.randint(60, 150)
    mobile: bool | None = False if rng.random() < 0.55 else None
    explanation = rng.choice(
        (
            None,
            None,
            "may have rolled against the cot bars",
            "older sibling may have poked her",
            "bumped against my shoulder when I picked the baby up",
        )
    )
    injuries = [
        {
            "kind": "bruise",
            "site": rng.choice(
                ("L cheek", "right ear", "left ear", "R cheek", "forehead and cheek")
            ),
        }
    ]
    if rng.random() < 0.3:
        injuries.append({"kind": "bruise", "site": "left upper arm", "pattern": "hand"})
    details: dict[str, Any] = {"injuries": injuries, "child_independently_mobile": mobile}
    if explanation:
        details.update(
            explanation=explanation, explanation_by="mother", explanation_consistent=False
        )
    channel = rng.random()
    subjects = sim.with_carer(child, day)
    if channel < 0.5:
        agency = hh.hospital
        minute = sim.any_time(day)
        t.emit(
            agency,
            "ae_attendance",
            minute,
            subjects,
            {"reason": "bruise noticed on face", **details, "delay_hours": rng.randint(2, 48)},
        )
    elif channel < 0.85:
        agency = HEALTH_VISITORS
        minute = sim.office_wd(day)
        sim.emit(
            agency,
            "health_contact",
            minute,
            subjects,
            {"service": "health_visitor", "child_seen": True},
        )
        t.emit(
            agency,
            "injury_observed",
            minute + 5,
            subjects,
            details,
            narrative="Bruise seen at a routine visit.",
        )
    else:
        agency = hh.gp
        minute = sim.office_wd(day)
        t.emit(agency, "injury_observed", minute, subjects, details)
    # The missed opportunity: not referred, or referred and closed.
    r = rng.random()
    if r < 0.35:
        refer(
            sim,
            [child],
            minute + 2 * 60,
            agency,
            "physical",
            "Bruise on a baby; parent's account accepted.",
            signal=True,
        )
        t.mark(agency, minute + 2 * 60)
        run_case(sim, [child], minute + 2 * 60, CaseSpec(decision=NFA, prompt=True))
    elif r < 0.6:
        refer(
            sim,
            [child],
            minute + 2 * 60,
            agency,
            "physical",
            "Discussed with safeguarding lead; no referral.",
            referred=False,
            signal=True,
        )
        t.mark(agency, minute + 2 * 60)
    last = day
    if rng.random() < 0.5:
        day2 = day + rng.randint(7, 28)
        second = rng.choice(
            (
                (hh.gp, {"kind": "oral_injury", "site": "torn frenulum"}),
                (HEALTH_VISITORS, {"kind": "bruise", "site": "left ear"}),
                (hh.gp, {"kind": "petechiae", "site": "neck"}),
            )
        )
        t.emit(
            second[0],
            "injury_observed",
            sim.office_wd(day2),
            sim.with_carer(child, day2),
            {
                "injuries": [second[1]],
                "explanation": "no idea how it happened",
                "explanation_by": "mother",
                "child_independently_mobile": mobile,
            },
        )
        last = day2
    harm = last + rng.randint(10, 60)
    minute = sim.any_time(harm)
    sim.emit(
        hh.hospital,
        "ae_attendance",
        minute,
        sim.with_carer(child, harm),
        {
            "reason": "floppy and unresponsive; brought by ambulance",
            "injuries": [
                {"kind": "head_injury", "site": "skull"},
                {"kind": "fracture", "site": "posterior ribs"},
            ],
            "explanation": "no history of any fall",
            "explanation_consistent": False,
            "child_independently_mobile": False,
            "delay_hours": rng.randint(6, 30),
        },
        signal=True,
    )
    _harm_case(
        sim,
        child,
        minute,
        hh.hospital,
        "Infant with head injury and rib fractures; no explanation.",
    )
    return (
        harm,
        "Bruising to a baby under six months, not acted on; serious head injury weeks later.",
    )


# --- 2. Haringey: a concealed partner, escalating injuries, a child not seen ----------------


def _haringey(sim: Sim, t: Track) -> tuple[int, str]:
    rng, hh, cal = sim.rng, sim.hh, sim.cal
    child, mother, partner = hh.target, hh.mother(), hh.partner()
    assert child is not None
    assert mother is not None
    assert partner is not None
    joined = partner.joined
    # The police already know him for violence, at his old address.
    when = rng.randint(cal.start + 1, max(cal.start + 2, joined - 10))
    offence(sim, partner, when, "violence", signal=True)
    t.mark(POLICE_FORCE, when * DAY)
    # Police called to the family's address find him living there.
    day = joined + rng.randint(20, 60)
    minute = sim.evening(day)
    t.emit(
        POLICE_FORCE,
        "police_incident",
        minute,
        [(mother, "other"), (partner, "other"), (child, "child")],
        {"incident_type": "other", "children_present": True},
        narrative=(
            f"Noise complaint. A man at the address gave his name as {partner.given} "
            f"{partner.family} and said he lives there with his partner."
        ),
    )
    t.emit(
        POLICE_FORCE,
        "household_change",
        minute + 10,
        [(partner, "household_member"), (child, "child")],
        {"change": "joined", "relationship": "partner_of_parent"},
    )
    sim.records[(POLICE_FORCE.index, partner.key)].learned_at = minute
    # Housing adds him to the tenancy file; the GP registers him at the same address.
    day = joined + rng.randint(7, 90)
    t.emit(
        HOUSING_SERVICE,
        "household_change",
        sim.office_wd(day),
        [(partner, "household_member"), (child, "child")],
        {"change": "joined", "relationship": "partner_of_parent"},
        narrative="Tenant reports her partner has moved in.",
    )
    if rng.random() < 0.5 and partner.gp is not None:
        t.emit(
            partner.gp,
            "household_change",
            sim.office_wd(partner.gp_from),
            [(partner, "household_member"), (child, "child")],
            {"change": "joined", "relationship": "partner_of_parent"},
            narrative="New patient registered at the same address as an existing family.",
        )
    # Injuries, more of them and worse, with explanations that do not fit.
    i1 = joined + rng.randint(40, 80)
    mobile = i1 - child.dob > 300
    t.emit(
        hh.gp,
        "injury_observed",
        sim.office_wd(i1),
        sim.with_carer(child, i1),
        {
            "injuries": [{"kind": "bruise", "site": "forehead"}],
            "explanation": "fell off the sofa",
            "explanation_by": "mother",
            "child_independently_mobile": mobile,
        },
    )
    i2 = i1 + rng.randint(10, 25)
    t.emit(
        hh.hospital,
        "ae_attendance",
        sim.any_time(i2),
        [(child, "child"), (mother, "parent"), (partner, "partner_of_parent")],
        {
            "reason": "bruising to face",
            "injuries": [
                {"kind": "bruise", "site": "right ear"},
                {"kind": "bruise", "site": "L cheek"},
            ],
            "explanation": "fell against the coffee table",
            "explanation_by": "mother's partner",
            "explanation_consistent": False,
            "child_independently_mobile": mobile,
            "delay_hours": rng.randint(20, 40),
        },
        narrative="Brought in by mother and her partner, who did most of the talking.",
    )
    i3 = i2 + rng.randint(7, 21)
    other = _other_hospital(hh.hospital)
    injury, explanation = rng.choice(
        (
            ({"kind": "scald", "site": "right hand"}, "pulled the kettle over"),
            ({"kind": "fracture", "site": "left finger"}, "caught it in a door"),
            ({"kind": "bruise", "site": "back", "pattern": "implement"}, "fell down the stairs"),
        )
    )
    minute = sim.any_time(i3)
    t.emit(
        other,
        "ae_attendance",
        minute,
        sim.with_carer(child, i3),
        {
            "reason": "injury at home",
            "injuries": [injury],
            "explanation": explanation,
            "explanation_consistent": False,
            "child_independently_mobile": True if mobile else None,
            "delay_hours": rng.randint(12, 30),
        },
    )
    harm = i3 + rng.randint(100, 200)
    refer(
        sim,
        [child],
        minute + 120,
        other,
        "physical",
        "Third injury in six weeks at two hospitals; explanations vary.",
        signal=True,
    )
    t.mark(other, minute + 120)
    res = run_case(
        sim,
        [child],
        minute + 120,
        CaseSpec(
            decision=STRATEGY,
            section47=True,
            conference=True,
            plan=True,
            categories=("physical",),
            p_seen=0.7,
            p_seen_alone=0.1,
            worried=True,
            stop_day=harm,
            prompt=True,
        ),
    )
    start = res.conference_day or i3 + 30
    for _ in range(rng.randint(1, 2)):
        d = rng.randint(start + 10, max(start + 11, harm - 10))
        agency, injury, explanation = rng.choice(
            (
                (hh.gp, {"kind": "abrasion", "site": "face"}, "scratched by the neighbour's cat"),
                (HEALTH_VISITORS, {"kind": "bruise", "site": "left shin"}, "bumped into the table"),
                (hh.gp, {"kind": "bruise", "site": "chest"}, "fell in the bath"),
            )
        )
        t.emit(
            agency,
            "injury_observed",
            sim.office_wd(d),
            sim.with_carer(child, d),
            {
                "injuries": [injury],
                "explanation": explanation,
                "explanation_by": "mother",
                "child_independently_mobile": True,
            },
        )
    minute = sim.any_time(harm)
    sim.emit(
        hh.hospital,
        "ae_attendance",
        minute,
        [(child, "child"), (mother, "parent"), (partner, "partner_of_parent")],
        {
            "reason": "brought in by ambulance, unresponsive",
            "injuries": [
                {"kind": "head_injury", "site": "skull"},
                {"kind": "fracture", "site": "ribs"},
                {"kind": "bruise", "site": "back"},
            ],
            "explanation": "fell down the stairs",
            "explanation_consistent": False,
            "child_independently_mobile": True,
            "delay_hours": rng.randint(10, 20),
        },
        signal=True,
    )
    _harm_case(
        sim,
        child,
        minute,
        hh.hospital,
        "Grave injuries to a child on a child protection plan.",
        on_plan=res.plan_start is not None,
    )
    return (
        harm,
        (
            "Child on a plan; mother's partner (violence record) known to police, housing and "
            "health but not to social care; escalating injuries; child rarely seen alone."
        ),
    )


# --- 3. neglect -----------------------------------------------------------------------------


def _neglect(sim: Sim, t: Track) -> tuple[int, str]:
    rng, hh, cal = sim.rng, sim.hh, sim.cal
    child = hh.target
    assert child is not None
    s0 = cal.start + rng.randint(30, 300)
    harm = s0 + rng.randint(300, 420)
    # Not brought to appointments.
    for d in sorted(rng.randint(s0, harm - 20) for _ in range(rng.randint(3, 5))):
        if age_on(child.dob, d) < 5 and rng.random() < 0.5:
            t.emit(
                HEALTH_VISITORS,
                "appointment_missed",
                sim.office_wd(d),
                sim.with_carer(child, d),
                {"service": "health_visitor"},
                narrative="No answer at the door.",
            )
        else:
            service = rng.choice(("gp", "paediatrics"))
            agency = hh.gp if service == "gp" else hh.hospital
            t.emit(
                agency,
                "appointment_missed",
                sim.office_wd(d),
                sim.with_carer(child, d),
                {"service": service},
            )
    if age_on(child.dob, s0) < 5:
        d = rng.randint(s0, harm - 30)
        t.emit(
            HEALTH_VISITORS,
            "health_contact",
            sim.office_wd(d),
            sim.with_carer(child, d),
            {"service": "health_visitor", "child_seen": False},
            narrative="Visit: mother said the child was asleep; home cluttered and cold.",
        )
    # School absence that rises month by month.
    for school, lo, hi in school_spells(sim, child):
        lo, hi = max(lo, s0), min(hi, harm)
        if lo >= hi:
            continue
        days = sim.cal.school_days_between(lo, hi)
        for month in range((hi - lo) // 30 + 1):
            block = [i for i, d in enumerate(days) if lo + 30 * month <= d < lo + 30 * (month + 1)]
            if not block:
                continue
            n = min(len(block), round(0.5 + 0.45 * month + rng.random()))
            for i in sorted(rng.sample(block, n)):
                absence(sim, school, child, days, i, authorised=rng.random() < 0.2, signal=True)
                t.mark(school, days[i] * DAY + 9 * 60)
    # Concerns about neglect, each closed without anything changing.
    referrers: list[Agency] = []
    for d in (s0 + 40, s0 + 140, s0 + 240):
        age = age_on(child.dob, d)
        if age < 5:
            referrers.append(HEALTH_VISITORS)
        elif age < 11:
            referrers.append(hh.primary)
        else:
            referrers.append(hh.secondary)
    texts = (
        "Child often hungry and in dirty clothes; head lice untreated.",
        "Child not brought to appointments; home conditions poor.",
        "Child says there is no food at home; same clothes all week.",
    )
    decisions: tuple[str | None, ...] = (None, EARLY_HELP, ASSESSMENT)
    for k, (base, referrer) in enumerate(
        zip((s0 + 40, s0 + 140, s0 + 240), referrers, strict=True)
    ):
        d = base + rng.randint(0, 40)
        minute = sim.office_wd(d)
        decision = decisions[k]
        refer(
            sim,
            [child],
            minute,
            referrer,
            "neglect",
            texts[k],
            referred=decision is not None,
            signal=True,
        )
        t.mark(referrer, minute)
        if decision is not None:
            run_case(
                sim,
                [child],
                minute,
                CaseSpec(decision=decision, escalate=False, stop_day=harm, prompt=True),
            )
    age = age_on(child.dob, harm)
    reason, injuries = (
        ("faltering growth and dehydration", [])
        if age < 2
        else ("scald from a kettle while left alone", [{"kind": "scald", "site": "chest"}])
        if age < 8
        else ("dental abscess and infection untreated for weeks", [])
    )
    details: dict[str, Any] = {"reason": reason}
    if injuries:
        details.update(
            injuries=injuries,
            explanation="left alone in the kitchen",
            explanation_consistent=True,
            child_independently_mobile=True,
            delay_hours=rng.randint(8, 30),
        )
    minute = sim.any_time(harm)
    sim.emit(
        hh.hospital, "ae_attendance", minute, sim.with_carer(child, harm), details, signal=True
    )
    _harm_case(sim, child, minute, hh.hospital, f"Neglect: {reason}.", "neglect")
    return (
        harm,
        "Missed appointments, rising school absence; neglect concerns closed without change.",
    )


# --- 4. domestic abuse ----------------------------------------------------------------------


def _domestic_abuse(sim: Sim, t: Track) -> tuple[int, str]:
    rng, hh, cal = sim.rng, sim.hh, sim.cal
    child, mother, father = hh.target, hh.mother(), hh.father()
    assert child is not None
    assert mother is not None
    assert father is not None
    day = max(cal.start + 30, child.dob + 30) + rng.randint(0, 300)
    for k in range(rng.randint(3, 5)):
        minute = domestic_incident(sim, day, mother, father, children_present=True, signal=True)
        t.mark(POLICE_FORCE, minute)
        if k == 1:
            offence(sim, father, day, "violence", signal=True)
            t.mark(POLICE_FORCE, sim.evening(day))
        if k in (0, 2):
            kids = [c for c in hh.children if c.dob <= day]
            refer(
                sim,
                kids,
                minute + DAY,
                POLICE_FORCE,
                "domestic_abuse",
                "Domestic abuse: children present.",
                signal=True,
            )
            t.mark(POLICE_FORCE, minute + DAY)
            run_case(
                sim,
                kids,
                minute + DAY,
                CaseSpec(decision=rng.choice((NFA, EARLY_HELP)), prompt=True),
            )
        day += rng.randint(30, 90)
    harm = day
    minute = sim.evening(harm)
    sim.emit(
        POLICE_FORCE,
        "police_incident",
        minute,
        [(mother, "victim"), (father, "alleged_perpetrator"), (child, "victim")],
        {"incident_type": "violence", "children_present": True},
        narrative="Child injured by a thrown object during an assault on mother.",
        signal=True,
    )
    sim.emit(
        hh.hospital,
        "ae_attendance",
        minute + 60,
        sim.with_carer(child, harm),
        {
            "reason": "head wound",
            "injuries": [{"kind": "laceration", "site": "scalp"}],
            "explanation": "hit by a plate thrown during a fight between the adults",
            "explanation_consistent": True,
            "child_independently_mobile": True,
            "delay_hours": 1,
        },
        signal=True,
    )
    _harm_case(sim, child, minute + 60, hh.hospital, "Child injured during domestic abuse.")
    return (
        harm,
        "Repeated domestic abuse call-outs with the children present; notifications closed.",
    )


# --- 5. the "toxic trio" --------------------------------------------------------------------


def _toxic_trio(sim: Sim, t: Track) -> tuple[int, str]:
    rng, hh, cal = sim.rng, sim.hh, sim.cal
    child, mother, father = hh.target, hh.mother(), hh.father()
    assert child is not None
    assert mother is not None
    assert father is not None
    s0 = max(cal.start + 30, child.dob + 30) + rng.randint(0, 300)
    d_da, d_mh, d_sm = (s0 + rng.randint(0, 150) for _ in range(3))
    minute = domestic_incident(
        sim, d_da, mother, father, children_present=rng.random() < 0.7, signal=True
    )
    t.mark(POLICE_FORCE, minute)
    kids = [c for c in hh.children if c.dob <= d_da]
    refer(
        sim,
        kids,
        minute + DAY,
        POLICE_FORCE,
        "domestic_abuse",
        "Domestic abuse notification.",
        signal=True,
    )
    t.mark(POLICE_FORCE, minute + DAY)
    run_case(sim, kids, minute + DAY, CaseSpec(decision=rng.choice((NFA, EARLY_HELP)), prompt=True))
    if rng.random() < 0.5:
        d = d_da + rng.randint(60, 120)
        t.mark(
            POLICE_FORCE,
            domestic_incident(sim, d, mother, father, children_present=True, signal=True),
        )
    service = "perinatal mental health" if age_on(child.dob, d_mh) < 1 else None
    mental_health_episode(
        sim, mother, d_mh, contacts=rng.randint(4, 10), signal=True, service=service
    )
    t.mark(MENTAL_HEALTH, d_mh * DAY + 12 * 60)
    substance_episode(sim, father, d_sm, contacts=rng.randint(4, 12), signal=True)
    t.mark(RECOVERY_SERVICE, d_sm * DAY + 12 * 60)
    harm = max(d_da, d_mh, d_sm) + rng.randint(30, 150)
    age = age_on(child.dob, harm)
    minute = sim.any_time(harm)
    if age < 5:
        details: dict[str, Any] = {
            "reason": "drowsy after swallowing methadone found in the flat",
            "delay_hours": rng.randint(3, 12),
        }
    else:
        details = {
            "reason": "assaulted at home",
            "injuries": [{"kind": "bruise", "site": "upper arms", "pattern": "hand"}],
            "explanation": "says dad grabbed them when he was drunk",
            "explanation_by": "child",
            "explanation_consistent": True,
            "child_independently_mobile": True,
            "delay_hours": rng.randint(2, 20),
        }
    sim.emit(
        hh.hospital, "ae_attendance", minute, sim.with_carer(child, harm), details, signal=True
    )
    _harm_case(
        sim,
        child,
        minute,
        hh.hospital,
        "Harm in a household with domestic abuse, mental ill-health and substance misuse.",
    )
    return (
        harm,
        "Domestic abuse, one parent's mental ill-health, the other's substance misuse.",
    )


# --- 6. an unassessed family-and-friends carer ----------------------------------------------


def _unassessed_carer(sim: Sim, t: Track) -> tuple[int, str]:
    rng, hh, cal = sim.rng, sim.hh, sim.cal
    child = hh.target
    assert child is not None
    lo = max(cal.start + 30, child.dob + 120)
    day = rng.randint(lo, max(lo, min(cal.start + 600, cal.end - 100)))
    age = age_on(child.dob, day)
    if age >= 4:
        referrer = hh.primary if age < 11 else hh.secondary
        minute = sim.office_wd(day)
    else:
        referrer = hh.hospital
        minute = sim.any_time(day)
    day = minute // DAY
    t.emit(
        referrer,
        "injury_observed",
        minute,
        [(child, "child")],
        {
            "injuries": [{"kind": "bruise", "site": "upper arm", "pattern": "hand"}],
            "explanation": "child says dad grabbed them",
            "explanation_by": "child",
            "explanation_consistent": True,
            "child_independently_mobile": True,
        },
    )
    refer(
        sim,
        [child],
        minute + 60,
        referrer,
        "physical",
        "Finger-mark bruising; child's account implicates a parent.",
        signal=True,
    )
    t.mark(referrer, minute + 60)
    harm = day + rng.randint(25, 70)
    res = run_case(
        sim,
        [child],
        minute + 60,
        CaseSpec(
            decision=STRATEGY,
            section47=True,
            categories=("physical",),
            stop_day=harm,
            prompt=True,
        ),
    )
    strategy = res.strategy_day or day + 2
    placed = strategy + rng.randint(1, 2)  # the day after the strategy discussion or the next
    # A friend of the family takes the child in an emergency; nobody assesses or checks them.
    carer = connected_person(sim, child, placed)
    details: dict[str, Any] = rng.choice(
        (
            {
                "carer_type": "family_friends",
                "viability_assessed": False,
                "checks_completed": False,
            },
            {"carer_type": "family_friends"},
            {"carer_type": "family_friends", "viability_assessed": False},
        )
    )
    t.emit(
        CHILDRENS_SOCIAL_CARE,
        "placement",
        sim.office_wd(placed),
        [(child, "child"), (carer, "carer")],
        dict(details),
        narrative=(
            f"Placed with family friend {carer.given} {carer.family} as an emergency "
            "arrangement during the section 47 enquiry; assessment to follow."
        ),
    )
    minute = sim.any_time(harm)
    sim.emit(
        hh.hospital,
        "ae_attendance",
        minute,
        [(child, "child"), (carer, "carer")],
        {
            "reason": "burns to both hands",
            "injuries": [{"kind": "burn", "site": "both hands", "pattern": "immersion"}],
            "explanation": "put hands in the bath when it was too hot",
            "explanation_by": "carer",
            "explanation_consistent": False,
            "child_independently_mobile": True,
            "delay_hours": rng.randint(12, 36),
        },
        signal=True,
    )
    sim.emit(
        CHILDRENS_SOCIAL_CARE,
        "placement",
        minute + rng.randint(2 * 60, 6 * 60),
        [(child, "child"), (carer, "carer")],
        {**details, "ended": True},
        signal=True,
    )
    _harm_case(
        sim,
        child,
        minute,
        hh.hospital,
        "Child injured in an unassessed family-and-friends placement.",
        on_plan=res.plan_start is not None,
    )
    return (
        harm,
        "Placed with a family friend during a section 47 enquiry; no assessment or checks.",
    )


# --- 7. the control: accidents, well explained ----------------------------------------------


def _accidental_injury(sim: Sim, t: Track) -> tuple[int | None, str]:
    rng, hh, cal = sim.rng, sim.hh, sim.cal
    child = hh.target
    assert child is not None
    day = cal.start + rng.randint(30, 500)
    for k in range(1 if rng.random() < 0.5 else 2):
        hospital = hh.hospital
        minute = sim.any_time(day)
        accidental_attendance(sim, child, minute, hospital, signal=True)
        t.mark(hospital, minute)
        follow = day + rng.randint(3, 10)
        sim.emit(
            hh.gp,
            "health_contact",
            sim.office_wd(follow),
            sim.with_carer(child, follow),
            {"service": "gp", "child_seen": True},
            narrative="Follow-up after A&E: healing well.",
        )
        day += rng.randint(150, 400) if k == 0 else 0
    return (
        None,
        "Accidents in a mobile child, presented promptly with a consistent account (no harm).",
    )


_PLANTERS: dict[str, Callable[[Sim, Track], tuple[int | None, str]]] = {
    "injury-non-mobile": _injury_non_mobile,
    "haringey": _haringey,
    "neglect": _neglect,
    "domestic-abuse": _domestic_abuse,
    "toxic-trio": _toxic_trio,
    "unassessed-carer": _unassessed_carer,
    "accidental-injury": _accidental_injury,
}


def prepare(sim: Sim) -> None:
    """Before anything is recorded: who must stay unknown to whom."""
    if sim.hh.pattern == "haringey":
        partner = sim.hh.partner()
        assert partner is not None
        sim.hidden.add((CHILDRENS_SOCIAL_CARE.index, partner.key))


def plant(sim: Sim) -> None:
    """Record the household's planted trajectory and its truth row."""
    hh = sim.hh
    if hh.pattern is None or hh.target is None:
        return
    track = Track(sim)
    harm, description = _PLANTERS[hh.pattern](sim, track)
    if harm is not None and not sim.cal.start <= harm < sim.cal.end:
        raise AssertionError(f"{hh.hid}: harm date outside the window")
    if harm is not None and (track.first is None or track.first // DAY >= harm):
        raise AssertionError(f"{hh.hid}: no signal before harm")
    siblings = ";".join(c.pid for c in hh.children if c is not hh.target)
    sim.out.truth_trajectories.append(
        [
            hh.target.pid,
            hh.pattern,
            day_iso(harm) if harm is not None else "",
            hh.hid,
            day_iso(track.first // DAY) if track.first is not None else "",
            str(track.count),
            ";".join(sorted(track.agencies)),
            siblings,
            description,
        ]
    )
