from jigsaw.risk.engine import Severity
from jigsaw.risk.tests.builders import (
    at,
    conference,
    ev,
    findings,
    member,
    source,
    strategy,
)

PLAN = conference("2024-01-05")


def offence(on="2019-05-01", category="violence", recorded=None):
    return ev(
        "offence_record",
        on,
        agency="PRB",
        role="subject",
        offence_category=category,
        recorded=recorded,
    )


def unknown_adult(*events, household, now="2024-03-01"):
    return findings(now, *events, rule="unknown-adult-in-household", household=household)


# unknown-adult-in-household


def test_adult_placed_by_housing_but_not_by_social_care_is_high():
    found = one_of(unknown_adult(PLAN, household=(member(since="2024-02-01"),)))
    assert found.severity is Severity.HIGH
    assert found.reason == (
        "Jason Doe (partner of parent) is placed in the child's household by Haringey Housing "
        "(since 1 Feb 2024), but children's social care's own records do not have them in the "
        "household; the child is on a child protection plan."
    )
    assert found.key == "unknown-adult-in-household:101:adult/202"
    assert found.raised_at == at("2024-02-01")


def one_of(found):
    assert len(found) == 1, [f.reason for f in found]
    return found[0]


def test_an_adult_known_to_social_care_is_not_flagged():
    assert unknown_adult(PLAN, household=(member(known=True),)) == []


def test_no_flag_without_a_plan_section_47_or_assessment():
    assert unknown_adult(household=(member(),)) == []
    assert one_of(unknown_adult(strategy("2024-02-10"), household=(member(),)))
    assert one_of(
        unknown_adult(ev("assessment", "2024-02-10", stage="started"), household=(member(),))
    )


def test_an_offence_record_makes_it_immediate_and_keeps_the_key():
    plain = one_of(unknown_adult(PLAN, household=(member(),)))
    risky = one_of(
        unknown_adult(PLAN, household=(member(events=(offence(recorded="2024-02-20"),)),))
    )
    assert risky.severity is Severity.IMMEDIATE
    assert risky.key == plain.key
    assert risky.raised_at == plain.raised_at
    assert risky.due_by.date().isoformat() == "2024-02-20"
    assert "an offence record for violence (London Probation, 1 May 2019)" in risky.reason


def test_a_drugs_offence_does_not_make_it_immediate():
    found = one_of(unknown_adult(PLAN, household=(member(events=(offence(category="drugs"),)),)))
    assert found.severity is Severity.HIGH


def test_an_adult_placed_only_by_a_record_made_later_is_not_known_yet():
    late = member(sources=(source(since="2024-01-10", recorded="2024-04-01"),))
    assert unknown_adult(PLAN, household=(late,)) == []
    assert one_of(unknown_adult(PLAN, household=(late,), now="2024-04-02"))


def test_an_adult_who_has_left_is_not_flagged():
    assert unknown_adult(PLAN, household=(member(until="2024-02-01"),)) == []


def test_children_are_not_adults():
    assert unknown_adult(PLAN, household=(member(adult=False, relationship="relative"),)) == []


# adult-risk-in-household


def adult_risk(*events, household, now="2024-03-01"):
    return findings(now, *events, rule="adult-risk-in-household", household=household)


def test_adult_with_a_violence_record_in_any_household_is_high():
    found = one_of(adult_risk(household=(member(events=(offence(),)),)))
    assert found.severity is Severity.HIGH
    assert found.owner == "mash_practitioner"  # not open to social care
    assert "Jason Doe (partner of parent), who lives in the child's household" in found.reason
    assert found.raised_at == at("2024-01-10")  # when housing placed him there


def test_open_case_goes_to_the_social_worker():
    found = one_of(adult_risk(PLAN, household=(member(events=(offence(category="sexual"),)),)))
    assert found.owner == "social_worker"


def test_other_offences_and_unrecorded_ones_do_not_count():
    assert adult_risk(household=(member(events=(offence(category="other"),)),)) == []
    late = offence(recorded="2024-06-01")
    assert adult_risk(household=(member(events=(late,)),)) == []


# domestic-abuse-child-present


def da(on, role="child", **kw):
    return ev("police_incident", on, agency="MPS", role=role, incident_type="domestic_abuse", **kw)


def domestic(*events, household=(), now="2024-12-01"):
    return findings(now, *events, rule="domestic-abuse-child-present", household=household)


def test_one_incident_is_medium_and_goes_to_the_school():
    found = one_of(domestic(da("2024-03-02", children_present=True)))
    assert found.severity is Severity.MEDIUM
    assert found.owner == "school_dsl"
    assert found.reason.startswith(
        "Police domestic abuse incident recorded by Metropolitan Police on 2 Mar 2024"
    )
    assert "children were present" in found.reason


def test_second_incident_within_six_months_raises_severity_same_key():
    march = da("2024-03-02")
    first = one_of(domestic(march))
    both = one_of(domestic(march, da("2024-09-02")))
    assert both.severity is Severity.HIGH
    assert both.key == first.key
    apart = domestic(da("2024-03-02"), da("2024-09-03"))
    assert [f.severity for f in apart] == [Severity.MEDIUM, Severity.MEDIUM]


def test_incident_on_a_household_adults_record_counts_while_they_live_there():
    adult = member(events=(da("2024-03-02", role="alleged_perpetrator"),), since="2024-01-10")
    assert one_of(domestic(household=(adult,)))
    earlier = member(events=(da("2023-03-02", role="alleged_perpetrator"),), since="2024-01-10")
    assert domestic(household=(earlier,)) == []


def test_other_incidents_do_not_count():
    assert domestic(ev("police_incident", "2024-03-02", agency="MPS", incident_type="drugs")) == []


# toxic-trio


def test_toxic_trio_within_twelve_months_is_medium_context():
    adult = member(
        events=(
            ev("adult_mental_health_contact", "2024-02-01", agency="AMH", role="subject"),
            ev("substance_misuse_contact", "2024-05-01", agency="SMS", role="subject"),
        )
    )
    found = one_of(findings("2024-12-01", da("2024-04-01"), rule="toxic-trio", household=(adult,)))
    assert found.severity is Severity.MEDIUM
    assert "never raises another flag" in found.reason
    assert found.raised_at == at("2024-05-01T13:00")  # when the third strand was recorded


def test_toxic_trio_needs_all_three_within_the_window():
    adult = member(
        since="2022-01-01",
        events=(
            ev("adult_mental_health_contact", "2023-02-01", agency="AMH", role="subject"),
            ev("substance_misuse_contact", "2024-05-01", agency="SMS", role="subject"),
        ),
    )
    assert findings("2024-12-01", da("2024-04-01"), rule="toxic-trio", household=(adult,)) == []


def test_toxic_trio_never_changes_other_flags():
    adult = member(
        events=(
            ev("adult_mental_health_contact", "2024-02-01", agency="AMH", role="subject"),
            ev("substance_misuse_contact", "2024-05-01", agency="SMS", role="subject"),
        )
    )
    incident = da("2024-04-01")
    with_trio = findings("2024-12-01", incident, household=(adult,))
    without = findings("2024-12-01", incident)
    assert [f for f in with_trio if f.rule_id != "toxic-trio"] == without
