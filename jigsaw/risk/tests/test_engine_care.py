from datetime import UTC, datetime

from jigsaw.core.workdays import end_of_uk_day
from jigsaw.risk.engine import Severity
from jigsaw.risk.tests.builders import (
    child,
    conference,
    d,
    ev,
    findings,
    injury,
    one,
    strategy,
    visit,
)

# cp-child-unscheduled-care


def unscheduled(*events, now="2024-06-01"):
    return findings(now, *events, rule="cp-child-unscheduled-care")


def ae(on, **kw):
    return ev("ae_attendance", on, agency="WHH", reason="fever", **kw)


def test_child_on_a_plan_at_a_and_e():
    found = one(unscheduled(conference("2024-01-05"), ae("2024-03-02")))
    assert found.severity is Severity.HIGH
    assert found.reason == (
        "A 9-month-old on a child protection plan attended Whittington Hospital on 2 Mar 2024 "
        "(fever)."
    )
    assert found.owner == "social_worker"


def test_attendance_before_the_plan_or_after_it_ended_is_not_flagged():
    assert unscheduled(ae("2024-01-02"), conference("2024-01-05")) == []
    ended = conference("2024-02-01", kind="review", outcome="end_plan")
    assert unscheduled(conference("2024-01-05"), ended, ae("2024-03-02")) == []


def test_child_in_care_but_not_placed_with_a_parent():
    foster = ev("placement", "2024-01-05", carer_type="foster")
    assert one(unscheduled(foster, ae("2024-03-02")))
    home = ev("placement", "2024-02-01", carer_type="parent")
    assert unscheduled(foster, home, ae("2024-03-02")) == []


# child-not-seen

PLAN = conference("2024-03-14")
SEEN = visit("2024-03-21")  # a Thursday; 10 working days later, over Easter, is Mon 8 April


def not_seen(*events, now):
    return findings(now, *events, rule="child-not-seen")


def test_not_seen_fires_only_after_ten_working_days_over_easter():
    assert not_seen(PLAN, SEEN, now="2024-04-08T20:00") == []
    found = one(not_seen(PLAN, SEEN, now="2024-04-09T09:00"))
    assert found.raised_at == end_of_uk_day(d("2024-04-08"))
    assert found.due_by == end_of_uk_day(d("2024-04-09"))
    assert "since a visit on 21 Mar 2024" in found.reason


def test_replay_later_gives_the_same_raised_time_and_key():
    early = one(not_seen(PLAN, SEEN, now="2024-04-09"))
    later = one(not_seen(PLAN, SEEN, now="2024-05-20"))
    assert (early.key, early.raised_at, early.due_by) == (later.key, later.raised_at, later.due_by)
    assert "since a visit on 21 Mar 2024" in later.reason


def test_unseen_visits_and_health_visits_do_not_count():
    unseen = visit("2024-04-02", seen=False)
    health = visit("2024-04-03", agency="HV")
    assert one(not_seen(PLAN, SEEN, unseen, health, now="2024-04-09"))


def test_no_visit_since_the_plan_started_counts_from_the_conference():
    found = one(not_seen(PLAN, now="2024-04-09"))
    assert "since the plan started on 14 Mar 2024" in found.reason


def test_a_visit_recorded_late_is_not_seen_until_recorded():
    late = visit("2024-04-05", recorded="2024-04-10T12:00")
    assert one(not_seen(PLAN, SEEN, late, now="2024-04-09"))
    assert not_seen(PLAN, SEEN, late, now="2024-04-10T13:00") == []


def test_no_plan_no_flag():
    assert not_seen(SEEN, now="2024-06-01") == []


# no-access-visit


def no_access(*events, now="2024-06-01"):
    return findings(now, *events, rule="no-access-visit")


def test_no_access_under_section_47_is_high_then_immediate_on_the_second():
    s47 = strategy("2024-03-01")
    first = visit("2024-03-05", seen=False)
    second = visit("2024-03-07", seen=False, agency="HV")
    one_visit = one(no_access(s47, first))
    two = one(no_access(s47, first, second))
    assert one_visit.severity is Severity.HIGH
    assert two.severity is Severity.IMMEDIATE
    assert two.key == one_visit.key
    assert two.due_by == end_of_uk_day(d("2024-03-07"))
    assert two.reason.startswith("2 home visits in a row without seeing the child")


def test_a_seen_visit_ends_the_run():
    s47 = strategy("2024-03-01")
    found = no_access(
        s47,
        visit("2024-03-05", seen=False),
        visit("2024-03-06"),
        visit("2024-03-08", seen=False),
    )
    assert [f.severity for f in found] == [Severity.HIGH, Severity.HIGH]
    assert len({f.key for f in found}) == 2


def test_no_access_without_a_plan_or_section_47_is_not_flagged():
    assert no_access(visit("2024-03-05", seen=False)) == []


# not-seen-alone

FOUR = child("2020-01-01")


def alone(*events, now, kid=FOUR):
    return findings(now, *events, rule="not-seen-alone", kid=kid)


def test_three_visits_not_seen_alone_is_medium_then_high_after_six_weeks():
    visits = [visit(x) for x in ("2024-01-15", "2024-01-29", "2024-02-12")]
    assert alone(PLAN_JAN, *visits[:2], now="2024-02-13") == []
    medium = one(alone(PLAN_JAN, *visits, now="2024-02-13"))
    assert medium.severity is Severity.MEDIUM
    assert medium.raised_at == visits[2].recorded_at
    high = one(alone(PLAN_JAN, *visits, now="2024-03-26"))
    assert high.severity is Severity.HIGH
    assert high.key == medium.key
    assert high.raised_at == medium.raised_at
    assert high.due_by == end_of_uk_day(d("2024-03-26"))  # the 6-week mark was 25 March


PLAN_JAN = conference("2024-01-05")


def test_one_visit_not_seen_alone_with_no_reason():
    found = one(alone(PLAN_JAN, visit("2024-01-15", seen_alone=False), now="2024-01-20"))
    assert "with no reason given" in found.reason
    with_reason = visit("2024-01-15", seen_alone=False, not_seen_alone_reason="child asleep")
    assert alone(PLAN_JAN, with_reason, now="2024-01-20") == []


def test_seen_alone_resets_and_under_twos_are_not_flagged():
    visits = [
        visit("2024-01-15"),
        visit("2024-01-29"),
        visit("2024-02-12", seen_alone=True),
        visit("2024-02-20"),
    ]
    assert alone(PLAN_JAN, *visits, now="2024-03-01") == []
    three = [visit(x) for x in ("2024-01-15", "2024-01-29", "2024-02-12")]
    assert alone(PLAN_JAN, *three, now="2024-03-01", kid=child("2022-06-01")) == []
    assert alone(PLAN_JAN, *three, now="2024-03-01", kid=child(None)) == []


# unassessed-carer

KINSHIP = ev("placement", "2024-05-03", carer_type="family_friends")  # a Friday


def carer(*events, now):
    return findings(now, *events, rule="unassessed-carer")


def test_unassessed_family_placement_after_five_working_days_with_a_bank_holiday():
    assert carer(KINSHIP, now="2024-05-13T20:00") == []  # 6 May was a bank holiday
    found = one(carer(KINSHIP, now="2024-05-14"))
    assert found.severity is Severity.HIGH
    assert found.raised_at == end_of_uk_day(d("2024-05-13"))


def test_viability_assessment_clears_it():
    done = ev("placement", "2024-05-03", carer_type="family_friends", viability_assessed=True)
    assert carer(done, now="2024-06-01") == []


def test_section_47_into_an_injury_makes_it_immediate():
    bruised = injury("2024-04-28", agency="SCH")
    found = one(carer(bruised, strategy("2024-05-01"), KINSHIP, now="2024-05-20"))
    assert found.severity is Severity.IMMEDIATE
    assert "section 47 enquiry into an injury (28 Apr 2024)" in found.reason
    assert found.due_by == end_of_uk_day(d("2024-05-13"))  # immediate: that same day


def test_placement_ended_or_foster_is_not_flagged():
    ended = ev("placement", "2024-05-20", carer_type="family_friends", ended=True)
    assert carer(KINSHIP, ended, now="2024-06-01") == []
    assert carer(ev("placement", "2024-05-03", carer_type="foster"), now="2024-06-01") == []


def test_due_dates_are_aware():
    found = one(carer(KINSHIP, now="2024-05-14"))
    assert found.due_by.tzinfo is not None
    assert found.due_by > datetime(2024, 5, 13, tzinfo=UTC)
