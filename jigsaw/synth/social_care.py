"""Children's social care's statutory process, from referral to the end of a plan.

A concern referred to children's social care gets a decision (mostly within a working day); an
assessment may follow, or a strategy discussion and a section 47 enquiry, an initial child
protection conference, a plan with core groups, visits every couple of weeks and review
conferences, until the plan ends. Timings follow Working Together 2023 with a realistic share
running late. Planted trajectories steer the same process through `CaseSpec`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from jigsaw.synth import names as N
from jigsaw.synth.agencies import CHILDRENS_SOCIAL_CARE as CSC
from jigsaw.synth.agencies import HEALTH_VISITORS, POLICE_FORCE, Agency
from jigsaw.synth.population import SLOT_CARER, Person, make_person, new_address
from jigsaw.synth.sim import DAY, Sim
from jigsaw.synth.timeline import age_on, years_to_days

NFA, EARLY_HELP, ASSESSMENT, STRATEGY = (
    "no_further_action",
    "early_help",
    "assessment",
    "strategy_discussion",
)

# Referral decisions by household need level 0..3.
_DECISIONS = (
    (0.60, 0.30, 0.10, 0.00),
    (0.45, 0.30, 0.23, 0.02),
    (0.30, 0.25, 0.40, 0.05),
    (0.15, 0.15, 0.50, 0.20),
)
_ESCALATE = (0.02, 0.05, 0.15, 0.35)  # an assessment that turns into a strategy discussion
_CONFERENCE = (0.2, 0.3, 0.45, 0.65)  # a section 47 enquiry that leads to a conference

_VIEWS_GOOD = (
    "Said they like school and their teacher.",
    "Talked about their friends and football at the weekend.",
    "Said things are calmer at home now.",
    "Showed me their bedroom and drawings; said they feel safe.",
    "Said mum has been doing nice things with them.",
    "Said they want to see their dad more.",
)
_VIEWS_WORRIED = (
    "Was quiet and would not say much about home.",
    "Said they do not like it when the grown-ups shout.",
    "Said they are hungry when they get home from school.",
    "Did not want to talk about mum's friend.",
    "Said they sometimes stay in their room all evening.",
)
_NOT_SEEN = (
    "No answer at the door; card left.",
    "Mother said the child was asleep upstairs and did not want them woken.",
    "Mother said the child was staying with their grandmother.",
    "Child was said to be at a friend's house.",
)
_SUPERVISION = (
    "Progress against the plan reviewed; visits to continue fortnightly.",
    "Chronology to be updated; seek health and school views before the next review.",
    "Continue with the plan; consider a parenting assessment.",
    "Case discussed: risks remain; next steps agreed with the worker.",
)


@dataclass(slots=True)
class CaseSpec:
    """Choices that would otherwise be random (planted trajectories set some of them)."""

    decision: str | None = None
    escalate: bool | None = None
    section47: bool | None = None
    conference: bool | None = None
    s47_outcome: str | None = None  # when there is no conference: substantiated or not
    plan: bool | None = None
    plan_days: int | None = None
    categories: tuple[str, ...] = ()
    p_seen: float = 0.94
    p_seen_alone: float = 0.75
    worried: bool = False
    stop_day: int | None = None  # nothing more is generated from this day (e.g. harm)
    prompt: bool = False  # the referral decision is made within the working day


@dataclass(slots=True)
class CaseResult:
    decision: str = NFA
    decision_day: int = 0
    strategy_day: int | None = None
    section47: bool = False
    conference_day: int | None = None
    plan_start: int | None = None
    plan_end: int | None = None
    closed: int = 0
    visits: list[int] = field(default_factory=list)


def case_subjects(sim: Sim, child: Person, day: int) -> list[tuple[Person, str]]:
    """A child and the adults children's social care knows to be in their household."""
    subjects: list[tuple[Person, str]] = [(child, "child")]
    for p in sim.hh.members:
        if p.role == "child" or not p.present(day) or (CSC.index, p.key) in sim.hidden:
            continue
        if p.role == "parent":
            subjects.append((p, "parent"))
        elif p.role == "partner_of_parent":
            subjects.append((p, "partner_of_parent"))
    return subjects


def refer(
    sim: Sim,
    children: Sequence[Person],
    minute: int,
    referrer: Agency,
    category: str,
    description: str,
    *,
    referred: bool = True,
    signal: bool = False,
) -> None:
    """A concern raised by an agency (one event per child), possibly referred to social care."""
    day = minute // DAY
    for child in children:
        subjects = sim.with_carer(child, day, 0.8)
        sim.emit(
            referrer,
            "concern_raised",
            minute,
            subjects,
            {"category": category, "description": description, "referred_to_social_care": referred},
            signal=signal,
        )


def run_case(
    sim: Sim,
    children: Sequence[Person],
    referral_minute: int,
    spec: CaseSpec | None = None,
) -> CaseResult:
    """Children's social care's response to a referral about these children."""
    spec = spec or CaseSpec()
    cal, rng, level = sim.cal, sim.rng, sim.hh.level
    res = CaseResult()
    stop = min(cal.end, spec.stop_day or cal.end)
    children = [c for c in children if c.dob <= referral_minute // DAY]
    if not children:
        return res
    mash = sim.author(CSC, "MASH social worker")
    worker = sim.author(CSC, "social worker")
    manager = sim.author(CSC, "team manager")
    chair = sim.author(CSC, "child protection chair")

    clock = referral_minute  # each step of the statutory chain happens after the one before

    def each(
        etype: str,
        day: int,
        details: dict[str, object],
        author: dict[str, str],
        *,
        chain: bool = True,
    ) -> bool:
        nonlocal clock
        if day >= stop:
            return False
        minute = max(sim.office(day), referral_minute + 30)
        if chain:
            if minute <= clock:
                minute = clock + rng.randint(20, 90)
            clock = minute
        for child in children:
            sim.emit(
                CSC, etype, minute, case_subjects(sim, child, day), dict(details), author=author
            )
        return True

    # Referral decision: within one working day, a few late.
    ref_day = referral_minute // DAY
    after_hours = (referral_minute % DAY) > 16 * 60
    if spec.prompt or rng.random() < 0.95:
        dec_day = cal.next_working_day(ref_day + 1 if after_hours else ref_day)
    else:
        dec_day = cal.add_working_days(ref_day, rng.randint(2, 4))
    decision = (
        spec.decision
        or rng.choices((NFA, EARLY_HELP, ASSESSMENT, STRATEGY), weights=_DECISIONS[level])[0]
    )
    res.decision, res.decision_day = decision, dec_day
    res.closed = dec_day
    each("referral_decision", dec_day, {"decision": decision}, mash)
    if decision in (NFA, EARLY_HELP):
        sim.csc_open_until = max(sim.csc_open_until, dec_day)
        return res

    assessment_day: int | None = None
    if decision == ASSESSMENT:
        assessment_day = cal.add_working_days(dec_day, rng.randint(0, 2))
        each("assessment", assessment_day, {"stage": "started"}, worker)
        escalate = spec.escalate if spec.escalate is not None else rng.random() < _ESCALATE[level]
        if not escalate:
            late = rng.random() < 0.08
            done = cal.add_working_days(
                assessment_day, rng.randint(46, 70) if late else rng.randint(10, 45)
            )
            cin = rng.random() < 0.5
            outcome = "child in need plan" if cin else "no further action"
            each("assessment", done, {"stage": "completed", "outcome": outcome}, worker)
            res.closed = done
            if cin:
                res.closed = _cin_visits(sim, children, done, stop, worker)
            sim.csc_open_until = max(sim.csc_open_until, res.closed)
            return res
        strategy_day = cal.add_working_days(assessment_day, rng.randint(2, 12))
    else:
        strategy_day = cal.add_working_days(dec_day, rng.randint(0, 1))

    # Strategy discussion and section 47 enquiry.
    res.strategy_day = strategy_day
    section47 = spec.section47 if spec.section47 is not None else rng.random() < 0.85
    present = sorted({CSC.code, POLICE_FORCE.code, sim.hh.gp.code, sim.hh.hospital.code})
    if any(age_on(c.dob, strategy_day) >= 4 for c in children):
        present.append(
            sim.hh.primary.code
            if age_on(children[0].dob, strategy_day) < 11
            else sim.hh.secondary.code
        )
    each(
        "strategy_discussion",
        strategy_day,
        {"outcome": "section47" if section47 else "no_section47", "agencies_present": present},
        manager,
    )
    res.section47 = section47
    end_day = outcome_day = strategy_day
    conference = False
    if section47:
        s47_day = cal.add_working_days(strategy_day, rng.randint(5, 12))
        conference = (
            spec.conference if spec.conference is not None else rng.random() < _CONFERENCE[level]
        )
        outcome = (
            "conference"
            if conference
            else spec.s47_outcome or rng.choice(("substantiated", "unsubstantiated"))
        )
        each("section47_outcome", s47_day, {"outcome": outcome}, worker)
        end_day = outcome_day = s47_day
    if assessment_day is not None:
        done = max(end_day, cal.add_working_days(assessment_day, rng.randint(10, 30)))
        each(
            "assessment",
            done,
            {"stage": "completed", "outcome": "section 47 enquiry"},
            worker,
            chain=False,
        )
        end_day = max(end_day, done)
    each(
        "supervision",
        cal.add_working_days(strategy_day, 3),
        {"decisions": rng.choice(_SUPERVISION), "supervisor": manager["name"]},
        manager,
        chain=False,
    )
    if not conference:
        res.closed = end_day
        sim.csc_open_until = max(sim.csc_open_until, end_day)
        return res

    # Initial child protection conference within 15 working days of the strategy discussion.
    late = rng.random() < 0.1
    icpc = cal.add_working_days(strategy_day, rng.randint(16, 24) if late else rng.randint(9, 15))
    icpc = max(icpc, cal.add_working_days(outcome_day, 1))  # after the enquiry's outcome
    plan = spec.plan if spec.plan is not None else rng.random() < 0.85
    categories = list(spec.categories) or [
        rng.choice(("neglect", "emotional", "physical", "neglect"))
    ]
    res.conference_day = icpc
    if not each(
        "cp_conference",
        icpc,
        {
            "conference": "initial",
            "outcome": "plan" if plan else "no_plan",
            "categories": categories,
        },
        chair,
    ):
        sim.csc_open_until = max(sim.csc_open_until, stop)
        return res
    if not plan:
        res.closed = icpc
        sim.csc_open_until = max(sim.csc_open_until, icpc)
        return res
    res.plan_start = icpc
    plan_days = spec.plan_days or rng.randint(200, 560)
    plan_end_target = icpc + plan_days

    # Core groups: the first within 10 working days, then every six weeks or so.
    day = cal.add_working_days(
        icpc, rng.randint(11, 15) if rng.random() < 0.05 else rng.randint(3, 10)
    )
    agencies = sorted({CSC.code, sim.hh.gp.code, sim.hh.primary.code, HEALTH_VISITORS.code})
    while day < min(stop, plan_end_target):
        each("core_group_meeting", day, {"attended_by": agencies}, worker, chain=False)
        day = cal.add_working_days(day, rng.randint(25, 32))

    # Review conferences: within three months, then every six months; the plan ends at one.
    review = icpc + rng.randint(70, 88)
    ended: int | None = None
    while review < stop:
        review = cal.next_working_day(review)
        end_now = review >= plan_end_target
        outcome = "end_plan" if end_now else "plan"
        each(
            "cp_conference",
            review,
            {"conference": "review", "outcome": outcome, "categories": categories},
            chair,
            chain=False,
        )
        if end_now:
            ended = review
            break
        review += rng.randint(160, 178)
    res.plan_end = ended
    last = ended if ended is not None else stop

    # Visits every ten working days or so (some late), and monthly supervision.
    day = cal.add_working_days(icpc, rng.randint(2, 8))
    while day < last:
        res.visits.append(day)
        minute = sim.office(day)
        for child in children:
            _visit(sim, child, minute, spec, worker, "statutory child protection visit")
        late = rng.random() < 0.08
        day = cal.add_working_days(day, rng.randint(11, 16) if late else rng.randint(6, 10))
    if sim.risk_routine and level >= 2 and rng.random() < 0.12 and len(res.visits) > 4:
        _routine_placement(sim, children, res.visits[rng.randrange(2, len(res.visits) - 1)], last)
    day = cal.add_working_days(icpc, 15)
    while day < last:
        minute = sim.office(day)
        sim.emit(
            CSC,
            "supervision",
            minute,
            [(c, "child") for c in children],
            {"decisions": rng.choice(_SUPERVISION), "supervisor": manager["name"]},
            author=manager,
        )
        day = cal.add_working_days(day, rng.randint(18, 24))
    res.closed = last
    sim.csc_open_until = max(sim.csc_open_until, last)
    return res


def _visit(
    sim: Sim, child: Person, minute: int, spec: CaseSpec, worker: dict[str, str], purpose: str
) -> None:
    rng = sim.rng
    day = minute // DAY
    subjects = case_subjects(sim, child, day)
    adults = [
        sim.local_id(CSC, p, minute)
        for p, role in subjects
        if role != "child" and rng.random() < 0.85
    ]
    details: dict[str, object] = {"purpose": purpose}
    seen = rng.random() < spec.p_seen
    details["child_seen"] = seen
    age = age_on(child.dob, day)
    narrative = None
    if seen:
        if age >= 2:
            alone = rng.random() < spec.p_seen_alone
            details["seen_alone"] = alone
            if alone and age >= 4:
                details["childs_views"] = rng.choice(
                    _VIEWS_WORRIED if spec.worried and rng.random() < 0.5 else _VIEWS_GOOD
                )
            elif not alone and rng.random() < 0.5:
                narrative = "Child seen with mother present throughout; not possible to see alone."
    else:
        narrative = rng.choice(_NOT_SEEN)
    if adults:
        details["adults_present"] = adults
    sim.emit(CSC, "home_visit", minute, subjects, details, author=worker, narrative=narrative)


def _cin_visits(
    sim: Sim, children: Sequence[Person], start: int, stop: int, worker: dict[str, str]
) -> int:
    """Child in need visits, roughly monthly for a few months; returns the day the case closed."""
    rng, cal = sim.rng, sim.cal
    end = min(stop, start + rng.randint(90, 270))
    day = cal.add_working_days(start, rng.randint(5, 15))
    spec = CaseSpec()
    while day < end:
        minute = sim.office(day)
        for child in children:
            _visit(sim, child, minute, spec, worker, "child in need visit")
        day = cal.add_working_days(day, rng.randint(15, 25))
    return end


def connected_person(sim: Sim, child: Person, day: int, until: int | None = None) -> Person:
    """A family friend or relative who takes a child in; they join the truth as a household."""
    rng, hh = sim.rng, sim.hh
    sex = "F" if rng.random() < 0.7 else "M"
    trad = N.ENGLISH if rng.random() < 0.5 else rng.choice(tuple(N.SURNAMES))
    carer = make_person(
        hh.idx,
        SLOT_CARER,
        rng.choice(N.FEMALE[trad] if sex == "F" else N.MALE[trad]),
        rng.choice(N.SURNAMES[trad]),
        sex,
        child.dob - years_to_days(rng.uniform(22, 40)),
        "relative",
        day,
    )
    since = day - rng.randint(300, 4000)
    carer.addresses = [(since, new_address(rng))]
    sim.extra_people.append(carer)
    carer_hid = f"{hh.hid}C"
    hh.extra_households.append((carer_hid, carer, "relative", since, None))
    hh.extra_households.append((carer_hid, child, "child", day, until))
    return carer


def _routine_placement(sim: Sim, children: Sequence[Person], day: int, last: int) -> None:
    """A child on a plan who comes into care: foster carers, or assessed family and friends."""
    rng, cal = sim.rng, sim.cal
    child = rng.choice(list(children))
    ends = day + rng.randint(60, 300)
    if rng.random() < 0.6:
        details: dict[str, object] = {"carer_type": "foster"}
        subjects = [(child, "child")]
    else:
        carer = connected_person(sim, child, day, ends if ends < min(last, cal.end) else None)
        details = {
            "carer_type": "family_friends",
            "viability_assessed": True,
            "checks_completed": True,
        }
        subjects = [(child, "child"), (carer, "carer")]
    worker = sim.author(CSC, "social worker")
    sim.emit(CSC, "placement", sim.office(day), subjects, details, author=worker)
    if ends < min(last, cal.end):
        sim.emit(
            CSC, "placement", sim.office(ends), subjects, {**details, "ended": True}, author=worker
        )
