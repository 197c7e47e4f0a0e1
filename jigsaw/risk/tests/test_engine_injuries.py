from datetime import UTC, datetime

from jigsaw.risk.engine import Severity
from jigsaw.risk.tests.builders import (
    at,
    bruise,
    child,
    conference,
    findings,
    injury,
    one,
)

BABY = child("2023-06-01")
TODDLER = child("2021-03-01")  # 2 years 7 months in October 2023


def non_mobile(*events, now="2024-02-01", kid=BABY):
    return findings(now, *events, rule="injury-non-mobile", kid=kid)


# injury-non-mobile


def test_bruise_on_a_four_month_old_is_immediate_with_a_plain_reason():
    found = one(non_mobile(injury("2023-10-11T21:15", bruise("face"))))
    assert found.severity is Severity.IMMEDIATE
    assert found.reason == (
        "Bruise to the face of a 4-month-old recorded by North Middlesex A&E on 11 Oct 2023; "
        "a child this age is not independently mobile."
    )
    assert found.owner == "health_practitioner"
    assert found.due_by == datetime(2023, 10, 11, 22, 59, 59, 999999, tzinfo=UTC)  # BST
    assert [e.type for e in found.evidence] == ["ae_attendance"]


def test_a_child_turning_six_months_that_day_is_presumed_mobile():
    assert non_mobile(injury("2023-12-01")) == []
    assert one(non_mobile(injury("2023-11-30")))


def test_recorded_not_mobile_wins_over_age():
    found = one(non_mobile(injury("2024-01-20", child_independently_mobile=False)))
    assert "the child is recorded as not independently mobile" in found.reason
    assert "a 7-month-old" in found.reason


def test_recorded_mobile_young_baby_does_not_fire():
    assert non_mobile(injury("2023-08-01", child_independently_mobile=True)) == []


def test_no_date_of_birth_and_no_mobility_says_nothing():
    assert non_mobile(injury("2023-08-01"), kid=child(None)) == []
    found = one(non_mobile(injury("2023-08-01", child_independently_mobile=False), kid=child(None)))
    assert "of a child recorded by" in found.reason


def test_abrasion_is_not_one_of_the_listed_injuries():
    assert non_mobile(injury("2023-08-01", {"kind": "abrasion", "site": "knee"})) == []


def test_disputed_date_of_birth_is_said_and_the_value_used_named():
    kid = child("2023-06-01", ("2023-06-01", "CSC"), ("2023-01-06", "NMUH"))
    found = one(non_mobile(injury("2023-10-11"), kid=kid))
    assert found.reason.endswith(
        "Agencies disagree on the date of birth: 6 Jan 2023 (North Middlesex A&E); "
        "1 Jun 2023 (Haringey Children's Social Care); 1 Jun 2023 was used."
    )


def test_evidence_recorded_late_is_not_seen_before_it_was_recorded():
    late = injury("2023-10-11", recorded="2023-10-20")
    assert non_mobile(late, now="2023-10-15") == []
    found = one(non_mobile(late, now="2023-10-21"))
    assert found.raised_at == at("2023-10-20")
    assert found.due_by.date().isoformat() == "2023-10-20"


def test_two_agencies_reporting_the_same_day_make_one_flag_with_the_same_key():
    first = injury("2023-10-11T10:00", bruise("L cheek"))
    alone = one(non_mobile(first))
    second = injury("2023-10-11T16:00", bruise("cheek"), agency="CSC", recorded="2023-10-12")
    both = one(non_mobile(first, second))
    assert both.key == alone.key == "injury-non-mobile:101:NMUH/" + first.event_id
    assert len(both.evidence) == 2
    assert both.raised_at == alone.raised_at
    assert "recorded by Haringey Children's Social Care and North Middlesex A&E" in both.reason


def test_injury_before_birth_is_ignored_without_failing():
    assert non_mobile(injury("2023-01-01")) == []


# bruise-high-risk-site


def high_risk(*events, kid=TODDLER, now="2024-02-01"):
    return findings(now, *events, rule="bruise-high-risk-site", kid=kid)


def test_bruise_to_the_ear_of_a_toddler_is_high():
    found = one(high_risk(injury("2023-10-11", bruise("behind L ear"))))
    assert found.severity is Severity.HIGH
    assert found.reason.startswith("Bruise to the behind L ear of a 2-year-old")
    assert "paediatric review" in found.action.lower()


def test_bruise_to_the_shin_is_not_a_high_risk_site():
    assert high_risk(injury("2023-10-11", bruise("shin"))) == []


def test_patterned_bruise_anywhere_counts():
    found = one(high_risk(injury("2023-10-11", bruise("thigh", pattern="hand"))))
    assert "a hand-patterned bruise" in found.reason


def test_four_year_old_on_their_birthday_is_out_of_range():
    four = child("2019-10-11")
    assert high_risk(injury("2023-10-11", bruise("torso")), kid=four) == []
    assert one(high_risk(injury("2023-10-10", bruise("torso")), kid=four))


def test_torso_bruise_in_a_non_mobile_baby_is_immediate():
    found = one(high_risk(injury("2023-09-01", bruise("abdomen")), kid=BABY))
    assert found.severity is Severity.IMMEDIATE
    assert "not independently mobile" in found.reason


# fracture-young-child


def fracture(on, site="left forearm", **kw):
    return injury(on, {"kind": "fracture", "site": site}, **kw)


def fractures(*events, kid):
    return findings("2025-01-01", *events, rule="fracture-young-child", kid=kid)


def test_fracture_under_eighteen_months_is_immediate():
    found = one(fractures(fracture("2024-11-30"), kid=child("2023-06-01")))  # 17 months
    assert found.severity is Severity.IMMEDIATE
    assert "a 17-month-old" in found.reason
    assert fractures(fracture("2024-12-01"), kid=child("2023-06-01")) == []  # 18 months


def test_rib_fracture_under_two():
    kid = child("2023-03-01")
    assert "rib fracture" in one(fractures(fracture("2024-11-01", site="ribs"), kid=kid)).reason
    assert fractures(fracture("2024-11-01"), kid=kid) == []
    assert fractures(fracture("2025-03-01", site="ribs"), kid=kid) == []


def test_fracture_in_an_older_child_recorded_as_not_mobile():
    kid = child("2021-03-01")
    found = one(fractures(fracture("2024-06-01", child_independently_mobile=False), kid=kid))
    assert "not independently mobile" in found.reason


# injury-unexplained


OLDER = child("2020-01-01")


def unexplained(*events, kid=OLDER):
    return findings("2024-06-01", *events, rule="injury-unexplained", kid=kid)


def test_no_explanation_is_high_for_an_older_child():
    found = one(unexplained(injury("2024-05-01", explanation=None)))
    assert found.severity is Severity.HIGH
    assert found.reason.endswith(": no explanation recorded.")


def test_inconsistent_explanation_under_two_is_immediate():
    found = one(unexplained(injury("2024-05-01", explanation_consistent=False), kid=TODDLER))
    assert found.severity is Severity.HIGH  # TODDLER is over two by then
    found = one(unexplained(injury("2024-05-01", explanation_consistent=False), kid=BABY))
    assert found.severity is Severity.IMMEDIATE
    assert "explanation recorded as inconsistent by North Middlesex A&E" in found.reason


def test_differing_explanations_between_agencies():
    a = injury("2024-05-01T09:00", explanation="Fell off the sofa.", explanation_by="mother")
    b = injury("2024-05-01T15:00", agency="CSC", explanation="rolled off the bed")
    found = one(unexplained(a, b))
    assert "explanations differ" in found.reason
    assert "(mother, North Middlesex A&E)" in found.reason
    assert found.raised_at == b.recorded_at


def test_the_same_explanation_written_differently_is_not_a_difference():
    a = injury("2024-05-01T09:00", explanation="Fell off the sofa.")
    b = injury("2024-05-01T15:00", agency="CSC", explanation="fell off the  sofa")
    assert unexplained(a, b) == []


def test_delayed_presentation_boundary():
    assert unexplained(injury("2024-05-01", delay_hours=24)) == []
    assert (
        "presented 25 hours after" in one(unexplained(injury("2024-05-01", delay_hours=25))).reason
    )


def test_odd_details_do_not_fail():
    odd = injury("2024-05-01", delay_hours="a day", explanation=7, explanation_consistent="no")
    assert one(unexplained(odd)).reason.endswith("no explanation recorded.")


# repeated-injury


def repeated(*events, kid=TODDLER, now="2024-06-01"):
    return findings(now, *events, rule="repeated-injury", kid=kid)


def test_two_injuries_exactly_twelve_weeks_apart():
    first = injury("2023-10-02", bruise("shin"))
    assert one(repeated(first, injury("2023-12-25", bruise("arm"))))
    assert repeated(first, injury("2023-12-26", bruise("arm"))) == []


def test_a_third_injury_escalates_the_same_flag():
    a = injury("2023-10-02", bruise("shin"))
    b = injury("2023-10-20", bruise("arm"), agency="SCH")
    c = injury("2023-11-10", bruise("back"), agency="CSC")
    two = one(repeated(a, b))
    three = one(repeated(a, b, c))
    assert two.severity is Severity.HIGH
    assert three.severity is Severity.IMMEDIATE
    assert three.key == two.key
    assert three.raised_at == two.raised_at == b.recorded_at
    assert three.due_by.date() == c.recorded_at.date()
    assert three.reason.startswith("3 injuries to a 2-year-old recorded between 2 Oct 2023")
    assert "3 within 12 weeks" in three.reason


def test_same_day_reports_count_as_one_injury():
    a = injury("2023-10-02T09:00")
    b = injury("2023-10-02T17:00", agency="CSC")
    assert repeated(a, b) == []


def test_children_five_and_over_need_a_plan():
    older = child("2015-01-01")
    events = [injury("2023-10-02"), injury("2023-10-20")]
    assert repeated(*events, kid=older) == []
    on_plan = one(repeated(conference("2023-09-01"), *events, kid=older))
    assert "on a child protection plan or under section 47" in on_plan.reason


def test_any_injury_on_a_plan_is_flagged():
    found = one(repeated(conference("2023-09-01"), injury("2023-10-02")))
    assert found.severity is Severity.HIGH
    assert {e.type for e in found.evidence} == {"ae_attendance", "cp_conference"}
