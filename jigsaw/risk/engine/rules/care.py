"""Children children's social care is working with: seen, seen alone, safe where they are placed,
and noticed when they turn up at A&E."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from jigsaw.core.workdays import working_days_between
from jigsaw.risk.engine.findings import Flag, Severity, episode_of, knowable
from jigsaw.risk.engine.model import EvaluationContext, Event, Period
from jigsaw.risk.engine.rules.base import (
    INJURY_TYPES,
    SOCIAL_WORKER,
    STATUS_TYPES,
    TEAM_MANAGER,
    Rule,
    RuleSettings,
    agencies_phrase,
    first_knowable,
    status_phrase,
    status_stretch,
    until_day,
    until_deadline,
    with_dob_note,
)
from jigsaw.risk.engine.timing import (
    add_months,
    day_phrase,
    deadline_after_working_days,
    years_old,
)

# cp-child-unscheduled-care


@dataclass(frozen=True)
class UnscheduledCareSettings(RuleSettings):
    event_types: tuple[str, ...] = ("ae_attendance",)


def _unscheduled_care(
    context: EvaluationContext, settings: UnscheduledCareSettings
) -> Iterator[Flag]:
    for e in context.of_type(*settings.event_types):
        period = context.plan_at(e.occurred_at) or context.care_at(e.occurred_at)
        if period is None:
            continue
        why = e.text("reason")
        reason = (
            f"{context.child.age_phrase(e.day)[:1].upper()}{context.child.age_phrase(e.day)[1:]} "
            f"{status_phrase(context, e.occurred_at)} attended {e.agency_name} on "
            f"{day_phrase(e.day)}"
        )
        if why:
            reason += f" ({why})"
        yield Flag(
            severity=Severity.HIGH,
            evidence=[e, period.start],
            reason=with_dob_note(context, reason),
            episode=f"{e.agency}/{e.event_id}",
            raised_at=knowable([e, period.start]),
        )


cp_child_unscheduled_care = Rule(
    id="cp-child-unscheduled-care",
    title="Child on a plan or in care attends A&E or unscheduled care",
    basis="NHS Child Protection - Information Sharing (CP-IS)",
    action="Lead social worker told the same day; attendance reviewed",
    owner=SOCIAL_WORKER,
    settings=UnscheduledCareSettings,
    check=_unscheduled_care,
    reads=lambda settings: (*settings.event_types, *STATUS_TYPES),
    needs=lambda settings: (settings.event_types, ("cp_conference", "placement")),
)


def visits(context: EvaluationContext, sectors: tuple[str, ...] | None = None) -> list[Event]:
    return [e for e in context.of_type("home_visit") if sectors is None or e.sector in sectors]


# child-not-seen


@dataclass(frozen=True)
class ChildNotSeenSettings(RuleSettings):
    working_days: int = 10
    visiting_sectors: tuple[str, ...] = ("social_care",)


def _last_seen(
    context: EvaluationContext, settings: ChildNotSeenSettings
) -> tuple[Period, list[Event], Event, datetime] | None:
    """The plan, the visits that saw the child during it, the one the clock runs from, and the
    deadline for the next."""
    plan = context.plan_at()
    if plan is None:
        return None
    seen = [
        e
        for e in visits(context, settings.visiting_sectors)
        if e.flag("child_seen") is True and e.occurred_at >= plan.start.occurred_at
    ]
    anchor = seen[-1] if seen else plan.start
    return (
        plan,
        seen,
        anchor,
        deadline_after_working_days(anchor.occurred_at, settings.working_days),
    )


def _child_not_seen(context: EvaluationContext, settings: ChildNotSeenSettings) -> Iterator[Flag]:
    found = _last_seen(context, settings)
    if found is None:
        return
    plan, seen, anchor, deadline = found
    if context.now <= deadline:
        return
    since = (
        f"since a visit on {day_phrase(anchor.day)}"
        if seen
        else f"since the plan started on {day_phrase(anchor.day)}"
    )
    days = working_days_between(anchor.day, context.today)
    reason = (
        f"{context.child.age_phrase(context.today)} on a child protection plan has not been seen "
        f"by children's social care {since}: {days} working days, more than the "
        f"{settings.working_days} allowed"
    )
    yield Flag(
        severity=Severity.HIGH,
        evidence=[plan.start, *seen[-1:]],
        reason=with_dob_note(context, reason[:1].upper() + reason[1:]),
        episode=f"{anchor.agency}/{anchor.event_id}",
        raised_at=max(deadline, knowable([plan.start, anchor])),
    )


child_not_seen = Rule(
    id="child-not-seen",
    title="Child on a plan not seen",
    basis="Local child protection visiting standards (commonly 10 working days)",
    action="Visit and see the child",
    owner=SOCIAL_WORKER,
    settings=ChildNotSeenSettings,
    check=_child_not_seen,
    reads=lambda settings: ("cp_conference", "home_visit"),
    needs=lambda settings: (("cp_conference",),),
    steady_until=lambda context, settings: (
        None
        if (found := _last_seen(context, settings)) is None
        else until_deadline(context, found[3])
    ),
    dated_wording=True,
)


# no-access-visit


@dataclass(frozen=True)
class NoAccessVisitSettings(RuleSettings):
    immediate_from_in_a_row: int = 2


def _no_access_visit(context: EvaluationContext, settings: NoAccessVisitSettings) -> Iterator[Flag]:
    streaks: list[list[Event]] = []
    current: list[Event] = []
    for e in visits(context):
        seen = e.flag("child_seen")
        protected = context.on_plan(e.occurred_at) or context.under_section47(e.occurred_at)
        if seen is False and protected:
            current.append(e)
            continue
        if seen is None:
            continue  # a visit that does not say either way neither starts nor ends a run
        if current:
            streaks.append(current)
        current = []
    if current:
        streaks.append(current)
    for streak in streaks:
        in_a_row = len(streak)
        immediate = in_a_row >= settings.immediate_from_in_a_row
        last = streak[-1]
        status = status_phrase(context, last.occurred_at)
        if in_a_row == 1:
            reason = (
                f"Home visit by {last.agency_name} on {day_phrase(last.day)}: the child was not "
                f"seen; the child is {status}"
            )
        else:
            dates = ", ".join(day_phrase(e.day) for e in streak)
            reason = (
                f"{in_a_row} home visits in a row without seeing the child "
                f"({agencies_phrase(streak)}: {dates}); the child is {status}"
            )
        yield Flag(
            severity=Severity.IMMEDIATE if immediate else Severity.HIGH,
            evidence=streak,
            reason=reason + ".",
            episode=episode_of(streak),
            raised_at=min(e.knowable_at for e in streak),
            severity_at=(
                first_knowable(streak, lambda k: len(k) >= settings.immediate_from_in_a_row)
                if immediate
                else None
            ),
        )


no_access_visit = Rule(
    id="no-access-visit",
    title="Home visit where the child was not seen",
    basis="No-access / unseen-child procedures",
    action="Manager decides the next step the same day",
    owner=TEAM_MANAGER,
    settings=NoAccessVisitSettings,
    check=_no_access_visit,
    reads=lambda settings: ("home_visit", *STATUS_TYPES),
    needs=lambda settings: (("home_visit",), ("cp_conference", "strategy_discussion")),
)


# not-seen-alone


@dataclass(frozen=True)
class NotSeenAloneSettings(RuleSettings):
    from_age_years: int = 2
    visits: int = 3
    high_after_weeks: int = 6
    visiting_sectors: tuple[str, ...] = ("social_care",)


def _not_seen_alone_grounds(
    context: EvaluationContext, settings: NotSeenAloneSettings, stretch: list[Period]
) -> tuple[list[Event], list[str], list[datetime]]:
    """The visits since the child was last seen alone, what is wrong with them, and when each
    ground became known."""
    start = stretch[0].start.occurred_at
    seen = [
        e
        for e in visits(context, settings.visiting_sectors)
        if e.flag("child_seen") is True and e.occurred_at >= start
    ]
    alone = [i for i, e in enumerate(seen) if e.flag("seen_alone") is True]
    since = seen[alone[-1] + 1 :] if alone else seen
    grounds: list[str] = []
    moments: list[datetime] = []
    if not since:
        return since, grounds, moments
    if len(since) >= settings.visits:
        grounds.append(
            f"not seen alone at the last {len(since)} visits ("
            + ", ".join(day_phrase(e.day) for e in since)
            + ")"
        )
        moments.append(sorted(e.knowable_at for e in since)[settings.visits - 1])
    unexplained = [
        e for e in since if e.flag("seen_alone") is False and not e.text("not_seen_alone_reason")
    ]
    if unexplained:
        grounds.append(
            f"the visit on {day_phrase(unexplained[0].day)} records that the child was not seen "
            "alone, with no reason given"
        )
        moments.append(min(e.knowable_at for e in unexplained))
    return since, grounds, moments


def _not_seen_alone(context: EvaluationContext, settings: NotSeenAloneSettings) -> Iterator[Flag]:
    stretch = status_stretch(context, [*context.plan_periods, *context.section47_periods])
    dob = context.child.date_of_birth
    if not stretch or dob is None:
        return
    age = years_old(dob, context.today)
    if age is None or age < settings.from_age_years:
        return
    since, grounds, moments = _not_seen_alone_grounds(context, settings, stretch)
    if not grounds:
        return
    raised = min(moments)
    escalates = raised + timedelta(weeks=settings.high_after_weeks)
    high = context.now >= escalates
    reason = (
        f"{context.child.age_phrase(context.today)} {status_phrase(context)} has been "
        + "; ".join(grounds)
    )
    yield Flag(
        severity=Severity.HIGH if high else Severity.MEDIUM,
        evidence=since,
        reason=with_dob_note(context, reason[:1].upper() + reason[1:]),
        episode=f"{since[0].agency}/{since[0].event_id}",
        raised_at=raised,
        severity_at=escalates if high else None,
    )


def _not_seen_alone_steady(
    context: EvaluationContext, settings: NotSeenAloneSettings
) -> datetime | None:
    stretch = status_stretch(context, [*context.plan_periods, *context.section47_periods])
    dob = context.child.date_of_birth
    if not stretch or dob is None:
        return None
    # `years_old` reaches the age on this day.
    old_enough = add_months(dob, settings.from_age_years * 12)
    if context.today < old_enough:
        return until_day(context, old_enough)
    _since, grounds, moments = _not_seen_alone_grounds(context, settings, stretch)
    if not grounds:
        return None
    escalates = min(moments) + timedelta(weeks=settings.high_after_weeks)
    return escalates - timedelta(microseconds=1) if context.now < escalates else None


not_seen_alone = Rule(
    id="not-seen-alone",
    title="Child not seen alone",
    basis="Haringey Joint Area Review 2008; Working Together 2023 (the child's voice)",
    action="See the child alone; record the child's words",
    owner=SOCIAL_WORKER,
    settings=NotSeenAloneSettings,
    check=_not_seen_alone,
    reads=lambda settings: ("home_visit", *STATUS_TYPES),
    needs=lambda settings: (("home_visit",), ("cp_conference", "strategy_discussion")),
    steady_until=_not_seen_alone_steady,
    dated_wording=True,
)


# unassessed-carer


@dataclass(frozen=True)
class UnassessedCarerSettings(RuleSettings):
    working_days: int = 5
    # The catalogue asks for "a viability assessment or checks": either one clears the flag
    # unless a local authority requires both.
    require_both: bool = False
    # An injury this many days before the strategy discussion (or since) makes the section 47
    # enquiry one "into an injury".
    injury_before_enquiry_days: int = 30


def _unassessed_placement(
    context: EvaluationContext, settings: UnassessedCarerSettings
) -> tuple[Event, datetime] | None:
    """The current placement with family or friends without an assessment or checks, and when
    they were due."""
    placements = context.of_type("placement")
    if not placements:
        return None
    current = placements[-1]
    if current.text("carer_type") != "family_friends" or current.flag("ended") is True:
        return None
    done = [current.flag("viability_assessed") is True, current.flag("checks_completed") is True]
    if all(done) if settings.require_both else any(done):
        return None
    return current, deadline_after_working_days(current.occurred_at, settings.working_days)


def _unassessed_carer(
    context: EvaluationContext, settings: UnassessedCarerSettings
) -> Iterator[Flag]:
    found = _unassessed_placement(context, settings)
    if found is None:
        return
    current, deadline = found
    if context.now <= deadline:
        return
    raised = max(deadline, current.knowable_at)
    reason = (
        f"{context.child.age_phrase(context.today)} placed with family or friends "
        f"({current.agency_name}, {day_phrase(current.day)}) without a viability assessment or "
        f"checks recorded within {settings.working_days} working days"
    )
    evidence = [current]
    severity, severity_at = Severity.HIGH, None
    enquiry = context.section47_at()
    if enquiry is not None:
        lookback = timedelta(days=settings.injury_before_enquiry_days)

        def recent(e: Event) -> bool:
            return enquiry.start.occurred_at - e.occurred_at <= lookback

        injuries = [e for e in context.injury_events if recent(e)] + [
            e
            for e in context.of_type("concern_raised")
            if e.text("category") == "physical" and recent(e)
        ]
        if injuries:
            first = min(injuries, key=Event.sort_key)
            severity = Severity.IMMEDIATE
            severity_at = knowable([enquiry.start, first])
            evidence += [enquiry.start, first]
            reason += (
                f"; a section 47 enquiry into an injury ({day_phrase(first.day)}) is under way"
            )
    yield Flag(
        severity=severity,
        evidence=evidence,
        reason=with_dob_note(context, reason[:1].upper() + reason[1:]),
        episode=f"{current.agency}/{current.event_id}",
        raised_at=raised,
        severity_at=severity_at,
    )


unassessed_carer = Rule(
    id="unassessed-carer",
    title="Child placed with family or friends without assessment or checks",
    basis="Baby P first review; Care Planning Regulations 2010 reg. 24",
    action="Assess the carer or place the child with an approved carer",
    owner=SOCIAL_WORKER,
    settings=UnassessedCarerSettings,
    check=_unassessed_carer,
    reads=lambda settings: ("placement", "concern_raised", *INJURY_TYPES, *STATUS_TYPES),
    needs=lambda settings: (("placement",),),
    steady_until=lambda context, settings: (
        None
        if (found := _unassessed_placement(context, settings)) is None
        else until_deadline(context, found[1])
    ),
    dated_wording=True,
)

RULES = (
    cp_child_unscheduled_care,
    child_not_seen,
    no_access_visit,
    not_seen_alone,
    unassessed_carer,
)
