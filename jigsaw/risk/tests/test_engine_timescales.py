from jigsaw.core.workdays import end_of_uk_day
from jigsaw.risk.engine import Severity
from jigsaw.risk.tests.builders import (
    conference,
    d,
    ev,
    findings,
    injury,
    one,
    strategy,
)

# referral-decision-overdue


def referral(on, **kw):
    return ev(
        "concern_raised", on, agency="SCH", category="neglect", referred_to_social_care=True, **kw
    )


def decision(on, outcome="assessment"):
    return ev("referral_decision", on, decision=outcome)


def overdue_referrals(*events, now):
    return findings(now, *events, rule="referral-decision-overdue")


def test_referral_on_a_friday_is_due_by_the_end_of_monday():
    friday = referral("2024-03-08T15:00")
    assert overdue_referrals(friday, now="2024-03-11T23:00") == []
    found = one(overdue_referrals(friday, now="2024-03-12T08:00"))
    assert found.severity is Severity.HIGH
    assert found.owner == "mash_practitioner"
    assert found.raised_at == end_of_uk_day(d("2024-03-11"))
    assert found.reason == (
        "A neglect concern referred to children's social care by Tiverton Primary School on "
        "8 Mar 2024 has no referral decision recorded within 1 working day."
    )


def test_a_decision_clears_it_even_when_late():
    friday = referral("2024-03-08T15:00")
    assert overdue_referrals(friday, decision("2024-03-13"), now="2024-03-14") == []


def test_a_concern_not_referred_is_not_timed():
    note = ev("concern_raised", "2024-03-08", agency="SCH", category="neglect")
    assert overdue_referrals(note, now="2024-04-01") == []


def test_clock_starts_when_the_referral_was_recorded():
    late = referral("2024-03-08T15:00", recorded="2024-03-12T10:00")
    assert overdue_referrals(late, now="2024-03-13T12:00") == []
    assert one(overdue_referrals(late, now="2024-03-14T08:00"))


# assessment-overdue


def test_assessment_not_completed_in_45_working_days():
    started = ev("assessment", "2024-03-01", stage="started")
    # 45 working days from Fri 1 March 2024 skip Good Friday, Easter Monday and Mon 6 May:
    # day 45 is Wed 8 May.
    assert findings("2024-05-08T20:00", started, rule="assessment-overdue") == []
    found = one(findings("2024-05-09", started, rule="assessment-overdue"))
    assert found.severity is Severity.MEDIUM
    assert found.raised_at == end_of_uk_day(d("2024-05-08"))
    completed = ev("assessment", "2024-05-07", stage="completed")
    assert findings("2024-06-01", started, completed, rule="assessment-overdue") == []


# conference-overdue


def conferences(*events, now):
    return findings(now, *events, rule="conference-overdue")


def test_initial_conference_within_15_working_days_of_the_strategy_discussion():
    sd = strategy("2024-03-21")  # 15 WD over Easter: Mon 15 April
    assert conferences(sd, now="2024-04-15T20:00") == []
    found = one(conferences(sd, now="2024-04-16"))
    assert "strategy discussion on 21 Mar 2024" in found.reason
    assert found.raised_at == end_of_uk_day(d("2024-04-15"))
    assert conferences(sd, conference("2024-04-12"), now="2024-04-16") == []
    unsubstantiated = ev("section47_outcome", "2024-04-01", outcome="unsubstantiated")
    assert conferences(sd, unsubstantiated, now="2024-04-16") == []


def test_outcome_conference_keeps_the_initial_conference_due():
    sd = strategy("2024-03-21")
    outcome = ev("section47_outcome", "2024-04-01", outcome="conference")
    assert one(conferences(sd, outcome, now="2024-04-16"))


def test_review_within_three_months_then_every_six():
    icpc = conference("2024-01-10")
    assert conferences(icpc, now="2024-04-10T20:00") == []
    first = one(conferences(icpc, now="2024-04-11"))
    assert "within 3 months of the initial conference on 10 Jan 2024" in first.reason
    review = conference("2024-04-05", kind="review")
    assert conferences(icpc, review, now="2024-10-05T20:00") == []
    later = one(conferences(icpc, review, now="2024-10-06"))
    assert "within 6 months of the last review conference on 5 Apr 2024" in later.reason
    assert later.key != first.key


def test_no_review_due_once_the_plan_has_ended():
    ended = conference("2024-03-01", kind="review", outcome="end_plan")
    assert conferences(conference("2024-01-10"), ended, now="2024-12-01") == []


# core-group-overdue


def test_core_group_within_10_working_days_of_the_plan():
    icpc = conference("2024-03-21")  # 10 WD over Easter: Mon 8 April
    assert findings("2024-04-08T20:00", icpc, rule="core-group-overdue") == []
    found = one(findings("2024-04-09", icpc, rule="core-group-overdue"))
    assert found.owner == "social_worker"
    core = ev("core_group_meeting", "2024-04-04")
    assert findings("2024-04-09", icpc, core, rule="core-group-overdue") == []


def test_core_group_before_the_plan_does_not_count():
    core = ev("core_group_meeting", "2024-03-01")
    assert one(findings("2024-04-09", core, conference("2024-03-21"), rule="core-group-overdue"))


# drift


def drift(*events, now):
    return findings(now, *events, rule="drift")


ICPC = conference("2023-01-10")
REVIEW = conference("2023-12-01", kind="review")


def test_drift_after_twelve_months_with_new_concerns_since_the_last_review():
    concern = ev("concern_raised", "2024-01-03", agency="SCH", category="neglect")
    assert drift(ICPC, REVIEW, concern, now="2024-01-09T20:00") == []  # plan not 12 months yet
    found = one(drift(ICPC, REVIEW, concern, now="2024-01-11"))
    assert found.severity is Severity.MEDIUM
    assert found.raised_at.date().isoformat() == "2024-01-10"  # the 12-month mark, UK midnight
    again = one(drift(ICPC, REVIEW, concern, now="2024-03-01"))
    assert (again.key, again.raised_at) == (found.key, found.raised_at)


def test_drift_needs_concerns_in_the_last_three_months_and_no_review_since():
    concern = ev("concern_raised", "2024-01-03", agency="SCH", category="neglect")
    assert drift(ICPC, REVIEW, concern, now="2024-04-04") == []  # over 3 months old
    review = conference("2024-02-01", kind="review")
    assert drift(ICPC, REVIEW, concern, review, now="2024-02-10") == []
    bruise = injury("2024-03-01", agency="SCH")
    assert one(drift(ICPC, REVIEW, concern, review, bruise, now="2024-03-10"))
