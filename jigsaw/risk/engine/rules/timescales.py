"""Timescales: decisions, assessments, conferences and core groups that are late, and plans that
drift. Each fires only once its deadline has passed, and is raised at the deadline itself, so a
replay at any later clock gives the same raised time."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime

from jigsaw.core.dates import uk_date
from jigsaw.core.workdays import working_days_between
from jigsaw.risk.engine.findings import Flag, Severity, episode_of, knowable
from jigsaw.risk.engine.model import EvaluationContext, Event
from jigsaw.risk.engine.rules.base import (
    MASH_PRACTITIONER,
    SOCIAL_WORKER,
    TEAM_MANAGER,
    Rule,
    RuleSettings,
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


def _referral_decision(
    context: EvaluationContext, settings: ReferralDecisionSettings
) -> Iterator[Flag]:
    decisions = context.of_type("referral_decision")
    for referral in context.of_type("concern_raised"):
        if referral.flag("referred_to_social_care") is not True:
            continue
        if any(d.occurred_at >= referral.occurred_at for d in decisions):
            continue
        # The clock starts when the referral could be known, not before it was recorded.
        deadline = deadline_after_working_days(referral.knowable_at, settings.working_days)
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
    deadline = deadline_after_working_days(start.occurred_at, settings.working_days)
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


assessment_overdue = Rule(
    id="assessment-overdue",
    title="Assessment overdue",
    basis="Working Together 2023",
    action="Manager review",
    owner=TEAM_MANAGER,
    settings=AssessmentOverdueSettings,
    check=_assessment_overdue,
)


# conference-overdue


@dataclass(frozen=True)
class ConferenceOverdueSettings(RuleSettings):
    initial_within_working_days: int = 15
    first_review_within_months: int = 3
    later_reviews_within_months: int = 6


def _conference_overdue(
    context: EvaluationContext, settings: ConferenceOverdueSettings
) -> Iterator[Flag]:
    enquiry = context.section47_at()
    if enquiry is not None and enquiry.end is None:
        strategy = enquiry.start
        deadline = deadline_after_working_days(
            strategy.occurred_at, settings.initial_within_working_days
        )
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
    plan = context.plan_at()
    if plan is None:
        return
    held = [e for e in context.of_type("cp_conference") if e.occurred_at >= plan.start.occurred_at]
    last = held[-1] if held else plan.start
    first_review = last is plan.start
    months = (
        settings.first_review_within_months
        if first_review
        else settings.later_reviews_within_months
    )
    deadline = deadline_after_months(last.occurred_at, months)
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
)


# core-group-overdue


@dataclass(frozen=True)
class CoreGroupOverdueSettings(RuleSettings):
    working_days: int = 10


def _core_group_overdue(
    context: EvaluationContext, settings: CoreGroupOverdueSettings
) -> Iterator[Flag]:
    plan = context.plan_at()
    if plan is None:
        return
    start = plan.start
    if any(e.occurred_at >= start.occurred_at for e in context.of_type("core_group_meeting")):
        return
    deadline = deadline_after_working_days(start.occurred_at, settings.working_days)
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
)


# drift


@dataclass(frozen=True)
class DriftSettings(RuleSettings):
    plan_months: int = 12
    recent_months: int = 3
    concern_types: tuple[str, ...] = ("concern_raised", "injury_observed", "ae_attendance")


def _drift(context: EvaluationContext, settings: DriftSettings) -> Iterator[Flag]:
    plan = context.plan_at()
    if plan is None:
        return
    mark = start_of_uk_day(add_months(plan.start.day, settings.plan_months))
    if context.now < mark:
        return
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


drift = Rule(
    id="drift",
    title="Drift on a child protection plan",
    basis="Serious case reviews (drift, start-again syndrome)",
    action="Manager review; consider legal planning",
    owner=TEAM_MANAGER,
    settings=DriftSettings,
    check=_drift,
)

RULES = (
    referral_decision_overdue,
    assessment_overdue,
    conference_overdue,
    core_group_overdue,
    drift,
)
