"""Timescales: decisions, assessments, conferences and core groups that are late, and plans that
drift. Each fires only once its deadline has passed, and is raised at the deadline itself, so a
replay at any later clock gives the same raised time."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from jigsaw.core.dates import uk_date
from jigsaw.core.workdays import working_days_between
from jigsaw.risk.engine.findings import Flag, Severity, episode_of, knowable
from jigsaw.risk.engine.model import EvaluationContext, Event, Period
from jigsaw.risk.engine.rules.base import (
    MASH_PRACTITIONER,
    SOCIAL_WORKER,
    STATUS_TYPES,
    TEAM_MANAGER,
    Rule,
    RuleSettings,
    earliest,
    until_deadline,
    with_dob_note,
)
from jigsaw.risk.engine.timing import (
    add_months,
    day_phrase,
    deadline_after_months,
    deadline_after_working_days,
    end_of_uk_day,
    months_old,
    start_of_uk_day,
)


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


# referral-decision-overdue


@dataclass(frozen=True)
class ReferralDecisionSettings(RuleSettings):
    working_days: int = 1


def _unanswered(
    context: EvaluationContext, settings: ReferralDecisionSettings
) -> Iterator[tuple[Event, datetime]]:
    """Each referral with no decision on or after it, and when its decision was due."""
    decisions = context.of_type("referral_decision")
    for referral in context.of_type("concern_raised"):
        if referral.flag("referred_to_social_care") is not True:
            continue
        if any(d.occurred_at >= referral.occurred_at for d in decisions):
            continue
        # The clock starts when the referral could be known, not before it was recorded.
        yield referral, deadline_after_working_days(referral.knowable_at, settings.working_days)


def _referral_decision(
    context: EvaluationContext, settings: ReferralDecisionSettings
) -> Iterator[Flag]:
    for referral, deadline in _unanswered(context, settings):
        if context.now <= deadline:
            continue
        category = referral.text("category").replace("_", " ")
        what = f"{category} concern" if category else "concern"
        reason = (
            f"A {what} referred to children's social care by {referral.agency_name} on "
            f"{day_phrase(referral.day)} has no referral decision recorded within "
            f"{settings.working_days} working day{'s' if settings.working_days != 1 else ''}"
        )
        yield Flag(
            severity=Severity.HIGH,
            evidence=[referral],
            reason=reason + ".",
            episode=f"{referral.agency}/{referral.event_id}",
            raised_at=deadline,
        )


referral_decision_overdue = Rule(
    id="referral-decision-overdue",
    title="Referral decision overdue",
    basis="Working Together 2023 (decision within one working day)",
    action="Decide and record",
    owner=MASH_PRACTITIONER,
    settings=ReferralDecisionSettings,
    check=_referral_decision,
    reads=lambda settings: ("concern_raised", "referral_decision"),
    needs=lambda settings: (("concern_raised",),),
    steady_until=lambda context, settings: earliest(
        *(until_deadline(context, deadline) for _r, deadline in _unanswered(context, settings))
    ),
)


# assessment-overdue


@dataclass(frozen=True)
class AssessmentOverdueSettings(RuleSettings):
    working_days: int = 45


def _assessment_overdue(
    context: EvaluationContext, settings: AssessmentOverdueSettings
) -> Iterator[Flag]:
    period = context.assessment_at()
    if period is None:
        return
    start = period.start
    deadline = _assessment_due(start, settings)
    if context.now <= deadline:
        return
    days = working_days_between(start.day, context.today)
    reason = (
        f"Assessment started by {start.agency_name} on {day_phrase(start.day)} is not completed "
        f"after {days} working days (the timescale is {settings.working_days})"
    )
    yield Flag(
        severity=Severity.MEDIUM,
        evidence=[start],
        reason=reason + ".",
        episode=f"{start.agency}/{start.event_id}",
        raised_at=max(deadline, start.knowable_at),
    )


def _assessment_due(start: Event, settings: AssessmentOverdueSettings) -> datetime:
    return deadline_after_working_days(start.occurred_at, settings.working_days)


assessment_overdue = Rule(
    id="assessment-overdue",
    title="Assessment overdue",
    basis="Working Together 2023",
    action="Manager review",
    owner=TEAM_MANAGER,
    settings=AssessmentOverdueSettings,
    check=_assessment_overdue,
    reads=lambda settings: ("assessment",),
    steady_until=lambda context, settings: (
        None
        if (period := context.assessment_at()) is None
        else until_deadline(context, _assessment_due(period.start, settings))
    ),
    dated_wording=True,
)


# conference-overdue


@dataclass(frozen=True)
class ConferenceOverdueSettings(RuleSettings):
    initial_within_working_days: int = 15
    first_review_within_months: int = 3
    later_reviews_within_months: int = 6


def _initial_due(
    context: EvaluationContext, settings: ConferenceOverdueSettings
) -> tuple[Event, datetime] | None:
    """The strategy discussion of the section 47 enquiry under way, and when the initial
    conference is due."""
    enquiry = context.section47_at()
    if enquiry is None or enquiry.end is not None:
        return None
    strategy = enquiry.start
    return strategy, deadline_after_working_days(
        strategy.occurred_at, settings.initial_within_working_days
    )


def _review_due(
    context: EvaluationContext, settings: ConferenceOverdueSettings
) -> tuple[Period, Event, bool, int, datetime] | None:
    """For a plan under way: its last conference, whether the next is the first review, the
    months allowed, and when it is due."""
    plan = context.plan_at()
    if plan is None:
        return None
    held = [e for e in context.of_type("cp_conference") if e.occurred_at >= plan.start.occurred_at]
    last = held[-1] if held else plan.start
    first_review = last is plan.start
    months = (
        settings.first_review_within_months
        if first_review
        else settings.later_reviews_within_months
    )
    return plan, last, first_review, months, deadline_after_months(last.occurred_at, months)


def _conference_steady(
    context: EvaluationContext, settings: ConferenceOverdueSettings
) -> datetime | None:
    initial = _initial_due(context, settings)
    review = _review_due(context, settings)
    return earliest(
        until_deadline(context, initial[1]) if initial else None,
        until_deadline(context, review[4]) if review else None,
    )


def _conference_overdue(
    context: EvaluationContext, settings: ConferenceOverdueSettings
) -> Iterator[Flag]:
    initial = _initial_due(context, settings)
    if initial is not None:
        strategy, deadline = initial
        if context.now > deadline:
            reason = (
                f"No initial child protection conference within "
                f"{settings.initial_within_working_days} working days of the strategy "
                f"discussion on {day_phrase(strategy.day)} that started section 47 "
                f"(due by {day_phrase(deadline_day(deadline))})"
            )
            yield Flag(
                severity=Severity.MEDIUM,
                evidence=[strategy],
                reason=reason + ".",
                episode=f"initial/{strategy.agency}/{strategy.event_id}",
                raised_at=max(deadline, strategy.knowable_at),
            )
    review = _review_due(context, settings)
    if review is None:
        return
    plan, last, first_review, months, deadline = review
    if context.now <= deadline:
        return
    after = "the initial conference" if first_review else "the last review conference"
    reason = (
        f"No review child protection conference within {months} months of {after} on "
        f"{day_phrase(last.day)} (due by {day_phrase(deadline_day(deadline))})"
    )
    yield Flag(
        severity=Severity.MEDIUM,
        evidence=[plan.start, last],
        reason=reason + ".",
        episode=f"review/{last.agency}/{last.event_id}",
        raised_at=max(deadline, last.knowable_at),
    )


def deadline_day(deadline: datetime) -> date:
    return uk_date(deadline)


conference_overdue = Rule(
    id="conference-overdue",
    title="Child protection conference overdue",
    basis="Working Together 2023",
    action="Hold the conference",
    owner=TEAM_MANAGER,
    settings=ConferenceOverdueSettings,
    check=_conference_overdue,
    reads=lambda settings: STATUS_TYPES,
    needs=lambda settings: (("strategy_discussion", "cp_conference"),),
    steady_until=_conference_steady,
)


# core-group-overdue


@dataclass(frozen=True)
class CoreGroupOverdueSettings(RuleSettings):
    working_days: int = 10


def _core_group_due(
    context: EvaluationContext, settings: CoreGroupOverdueSettings
) -> tuple[Event, datetime] | None:
    """The conference that started the plan under way, when no core group has met since, and
    when the first was due."""
    plan = context.plan_at()
    if plan is None:
        return None
    start = plan.start
    if any(e.occurred_at >= start.occurred_at for e in context.of_type("core_group_meeting")):
        return None
    return start, deadline_after_working_days(start.occurred_at, settings.working_days)


def _core_group_overdue(
    context: EvaluationContext, settings: CoreGroupOverdueSettings
) -> Iterator[Flag]:
    found = _core_group_due(context, settings)
    if found is None:
        return
    start, deadline = found
    if context.now <= deadline:
        return
    reason = (
        f"No core group meeting within {settings.working_days} working days of the conference on "
        f"{day_phrase(start.day)} that started the child protection plan"
    )
    yield Flag(
        severity=Severity.MEDIUM,
        evidence=[start],
        reason=reason + ".",
        episode=f"{start.agency}/{start.event_id}",
        raised_at=max(deadline, start.knowable_at),
    )


core_group_overdue = Rule(
    id="core-group-overdue",
    title="Core group overdue",
    basis="Working Together 2023",
    action="Hold the core group",
    owner=SOCIAL_WORKER,
    settings=CoreGroupOverdueSettings,
    check=_core_group_overdue,
    reads=lambda settings: ("cp_conference", "core_group_meeting"),
    needs=lambda settings: (("cp_conference",),),
    steady_until=lambda context, settings: (
        None
        if (found := _core_group_due(context, settings)) is None
        else until_deadline(context, found[1])
    ),
)


# drift


@dataclass(frozen=True)
class DriftSettings(RuleSettings):
    plan_months: int = 12
    recent_months: int = 3
    concern_types: tuple[str, ...] = ("concern_raised", "injury_observed", "ae_attendance")


@dataclass(frozen=True)
class _Drift:
    plan: Period
    mark: datetime  # the plan's 12-month mark
    last: Event  # the last conference of the plan
    run: list[Event]  # the concerns of the last run, in the order they became known
    start: datetime | None  # when the run began to count
    end: datetime | None  # when its last concern stops being recent


def _drift_run(context: EvaluationContext, settings: DriftSettings) -> _Drift | None:
    """The plan, its mark, and the last run of recent concerns since its last conference."""
    plan = context.plan_at()
    if plan is None:
        return None
    mark = start_of_uk_day(add_months(plan.start.day, settings.plan_months))
    conferences = [
        e for e in context.of_type("cp_conference") if e.occurred_at >= plan.start.occurred_at
    ]
    last = conferences[-1] if conferences else plan.start

    def is_concern(e: Event) -> bool:
        return e.type != "ae_attendance" or bool(e.injuries)

    concerns = [
        e
        for e in context.of_type(*settings.concern_types)
        if e.occurred_at > last.occurred_at and is_concern(e)
    ]
    # Each concern keeps the condition true from when it was known (and the plan was old enough)
    # until it is `recent_months` old; the flag is the run of these that reaches now.
    # Two concerns can share both times: the tie is broken on the event, never by comparing
    # Events (which have no order).
    spans = sorted(
        (
            (
                max(e.knowable_at, mark),
                end_of_uk_day(add_months(e.day, settings.recent_months)),
                e,
            )
            for e in concerns
        ),
        key=lambda span: (span[0], span[1], span[2].sort_key()),
    )
    run: list[Event] = []
    run_start = run_end = None
    for begin, end, e in spans:
        if begin > end:
            continue
        if run_end is not None and begin <= run_end:
            run.append(e)
            run_end = max(run_end, end)
        else:
            run, run_start, run_end = [e], begin, end
    return _Drift(plan, mark, last, run, run_start, run_end)


def _drift(context: EvaluationContext, settings: DriftSettings) -> Iterator[Flag]:
    found = _drift_run(context, settings)
    if found is None or context.now < found.mark:
        return
    plan, last, run, run_start, run_end = found.plan, found.last, found.run, found.start, found.end
    if not run or run_start is None or run_end is None or context.now > run_end:
        return
    months = months_old(plan.start.day, context.today) or 0
    listed = ", ".join(f"{e.agency_name} {day_phrase(e.day)}" for e in run)
    reason = (
        f"On a child protection plan since {day_phrase(plan.start.day)} ({months} months), with "
        f"new concerns or injuries since the last conference on {day_phrase(last.day)} ({listed}) "
        "and no review conference since them"
    )
    yield Flag(
        severity=Severity.MEDIUM,
        evidence=[plan.start, *run],
        reason=with_dob_note(context, _capital(reason)),
        episode=episode_of(run),
        raised_at=max(run_start, knowable([plan.start])),
    )


def _drift_steady(context: EvaluationContext, settings: DriftSettings) -> datetime | None:
    found = _drift_run(context, settings)
    if found is None:
        return None
    if context.now < found.mark:
        return found.mark - timedelta(microseconds=1)
    if found.end is None or context.now > found.end:
        return None
    return found.end


drift = Rule(
    id="drift",
    title="Drift on a child protection plan",
    basis="Serious case reviews (drift, start-again syndrome)",
    action="Manager review; consider legal planning",
    owner=TEAM_MANAGER,
    settings=DriftSettings,
    check=_drift,
    reads=lambda settings: ("cp_conference", *settings.concern_types),
    needs=lambda settings: (("cp_conference",), settings.concern_types),
    steady_until=_drift_steady,
    dated_wording=True,
)

RULES = (
    referral_decision_overdue,
    assessment_overdue,
    conference_overdue,
    core_group_overdue,
    drift,
)
