from jigsaw.risk.engine import Severity
from jigsaw.risk.tests.builders import conference, ev, findings, injury, member, one


def concern(on, agency="SCH", **kw):
    return ev("concern_raised", on, agency=agency, category="neglect", **kw)


def police(on, role="child", **kw):
    return ev("police_incident", on, agency="MPS", role=role, incident_type="other", **kw)


# multi-agency-concerns


def multi(*events, household=(), now="2024-12-01"):
    return findings(now, *events, rule="multi-agency-concerns", household=household)


def test_three_agencies_within_exactly_90_days():
    a = concern("2024-01-01")
    b = injury("2024-02-01", agency="HV")
    c = police("2024-03-31")  # 90 days after 1 January 2024
    found = one(multi(a, b, c))
    assert found.severity is Severity.HIGH
    assert "from 3 agencies within 90 days" in found.reason
    assert found.raised_at == c.recorded_at
    assert multi(a, b, police("2024-04-01")) == []


def test_one_agency_three_times_is_not_multi_agency():
    assert multi(concern("2024-01-01"), concern("2024-01-10"), concern("2024-01-20")) == []


def test_household_police_incident_counts_and_key_holds_as_evidence_grows():
    a = concern("2024-01-01")
    b = injury("2024-02-01", agency="HV")
    adult = member(events=(police("2024-02-15", role="alleged_perpetrator"),))
    first = one(multi(a, b, household=(adult,)))
    more = one(multi(a, b, concern("2024-03-01", agency="GP"), household=(adult,)))
    assert first.key == more.key
    assert len(more.evidence) == 4


# repeat-contacts


def closed(on, agency="SCH", outcome="no_further_action"):
    c = concern(on, agency=agency, referred_to_social_care=True)
    decided = ev("referral_decision", on.replace("T12:00", "") + "T16:00", decision=outcome)
    return c, decided


def test_three_concerns_closed_without_help_within_twelve_months():
    events = [
        *closed("2024-01-10"),
        *closed("2024-05-10", agency="GP", outcome="early_help"),
        *closed("2025-01-10"),
    ]
    found = one(findings("2025-02-01", *events, rule="repeat-contacts"))
    assert found.severity is Severity.MEDIUM
    assert "3 concerns or referrals within 12 months" in found.reason
    assert "(early help)" in found.reason


def test_repeat_contacts_boundaries():
    late_third = [*closed("2024-01-10"), *closed("2024-05-10"), *closed("2025-01-11")]
    assert findings("2025-02-01", *late_third, rule="repeat-contacts") == []
    assessed = [
        *closed("2024-01-10"),
        *closed("2024-05-10"),
        *closed("2024-09-10", outcome="assessment"),
    ]
    assert findings("2025-02-01", *assessed, rule="repeat-contacts") == []


# was-not-brought


def missed(on, **kw):
    return ev("appointment_missed", on, agency="GP", service="gp", **kw)


def test_two_missed_within_six_months_is_medium():
    found = one(
        findings("2024-12-01", missed("2024-01-15"), missed("2024-07-15"), rule="was-not-brought")
    )
    assert found.severity is Severity.MEDIUM
    assert found.owner == "health_practitioner"
    assert "2 missed health appointments" in found.reason
    assert (
        findings("2024-12-01", missed("2024-01-15"), missed("2024-07-16"), rule="was-not-brought")
        == []
    )


def test_one_missed_on_a_plan_is_high():
    found = one(
        findings(
            "2024-12-01", conference("2024-01-05"), missed("2024-02-01"), rule="was-not-brought"
        )
    )
    assert found.severity is Severity.HIGH
    assert "on a child protection plan" in found.reason
    assert findings("2024-12-01", missed("2024-02-01"), rule="was-not-brought") == []
