from datetime import UTC, datetime

import pytest

from jigsaw.risk.engine import (
    CATALOGUE_ORDER,
    DEFAULT_CONFIG,
    RULES,
    Config,
    ConfigError,
    EvaluationContext,
    Severity,
    evaluate,
)
from jigsaw.risk.tests.builders import (
    at,
    bruise,
    child,
    conference,
    context,
    ev,
    findings,
    injury,
    member,
    strategy,
    visit,
)


def busy_history():
    return [
        strategy("2023-09-01"),
        conference("2023-09-20"),
        injury("2023-10-11", bruise("L cheek"), explanation=None),
        injury("2023-11-01", {"kind": "fracture", "site": "ribs"}, agency="WHH"),
        visit("2023-11-02", seen=False),
        visit("2023-11-03", seen=False),
        ev("police_incident", "2023-11-05", agency="MPS", incident_type="domestic_abuse"),
        ev("appointment_missed", "2023-11-06", agency="GP"),
        ev("concern_raised", "2023-11-07", agency="SCH", category="neglect"),
        ev("placement", "2023-11-10", carer_type="family_friends"),
    ]


def test_every_catalogue_rule_is_implemented_in_order():
    assert tuple(r.id for r in RULES) == CATALOGUE_ORDER
    assert len(RULES) == 22
    for rule in RULES:
        assert all((rule.title, rule.basis, rule.action, rule.owner))


def test_the_same_input_gives_identical_findings():
    kid = child("2023-06-01", ("2023-06-01", "CSC"), ("2023-07-01", "NMUH"))
    history = busy_history()
    household = (member(),)
    first = findings("2024-01-15", *history, kid=kid, household=household)
    again = findings("2024-01-15", *reversed(history), kid=kid, household=household)
    assert first == again
    assert len(first) >= 8
    ranks = [f.severity.rank for f in first]
    assert ranks == sorted(ranks)


def test_findings_are_plain_data():
    found = findings("2024-01-15", *busy_history())
    as_dicts = [f.as_dict() for f in found]
    assert all(isinstance(d["evidence"], list) for d in as_dicts)
    assert {d["severity"] for d in as_dicts} <= {"immediate", "high", "medium"}


def test_nothing_recorded_after_the_clock_is_visible():
    late = injury("2023-10-11", recorded="2023-12-01")
    future = injury("2024-03-01", recorded="2023-10-01")  # recorded before it happened
    ctx = context(
        "2023-11-01", late, future, household=(member(since="2023-01-10", events=(late,)),)
    )
    assert ctx.events == ()
    assert ctx.household[0].events == ()


def test_status_helpers():
    plan = conference("2023-09-20")
    ended = conference("2024-01-10", kind="review", outcome="end_plan")
    ctx = context("2024-02-01", strategy("2023-09-01"), plan, ended)
    assert ctx.on_plan(at("2023-10-01"))
    assert not ctx.on_plan()
    assert ctx.under_section47(at("2023-09-10"))
    assert not ctx.under_section47(at("2023-10-01"))  # ended by the initial conference
    care = context("2024-02-01", ev("placement", "2024-01-01", carer_type="foster"))
    assert care.in_care()


def test_naive_times_are_refused():
    with pytest.raises(ValueError, match="aware"):
        EvaluationContext(child=child(), now=datetime(2024, 1, 1))


def test_far_past_events_before_birth_and_no_dob_do_not_fail():
    ancient = [
        injury(datetime(1, 1, 2, 12, tzinfo=UTC)),
        injury(datetime(1850, 3, 1, 12, tzinfo=UTC), explanation=None),
        conference(datetime(1, 1, 3, 12, tzinfo=UTC)),
        ev("concern_raised", datetime(1, 1, 2, 13, tzinfo=UTC), referred_to_social_care=True),
        ev("placement", datetime(1, 1, 4, tzinfo=UTC), carer_type="family_friends"),
        ev("assessment", datetime(1, 1, 4, tzinfo=UTC), stage="started"),
        strategy(datetime(1, 1, 5, tzinfo=UTC)),
    ]
    for kid in (child("2023-06-01"), child(None)):
        found = findings("2024-01-15", *ancient, *busy_history(), kid=kid)
        assert all(f.due_by.tzinfo is not None for f in found)
    no_dob = findings("2024-01-15", injury("2023-10-11"), kid=child(None))
    assert [f.rule_id for f in no_dob] == []


def test_odd_details_are_tolerated():
    odd = [
        ev("ae_attendance", "2023-10-11", agency="NMUH", injuries="bruise"),
        ev("ae_attendance", "2023-10-12", agency="NMUH", injuries=[None, 3, {"kind": None}]),
        ev("cp_conference", "2023-10-13", outcome=["plan"]),
        ev("home_visit", "2023-10-14", child_seen="yes"),
        ev("police_incident", "2023-10-15", agency="MPS", incident_type=None),
    ]
    evaluate(context("2024-01-15", *odd))


def test_config_round_trip_and_overrides():
    data = DEFAULT_CONFIG.to_dict()
    assert set(data) == set(CATALOGUE_ORDER)
    assert data["child-not-seen"]["working_days"] == 10
    assert Config.from_dict(data).to_dict() == data
    config = Config.from_dict({"injury-non-mobile": {"presumed_non_mobile_under_months": 7}})
    ctx = context("2024-02-01", injury("2023-12-10"))  # 6 months and 9 days old
    assert [f.rule_id for f in evaluate(ctx)] == []
    assert [f.rule_id for f in evaluate(ctx, config)] == ["injury-non-mobile"]
    off = Config.from_dict({"injury-non-mobile": {"enabled": False}})
    baby = context("2024-02-01", injury("2023-08-10"))
    assert "injury-non-mobile" in {f.rule_id for f in evaluate(baby)}
    assert "injury-non-mobile" not in {f.rule_id for f in evaluate(baby, off)}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"no-such-rule": {}}, "no such rule"),
        ({"drift": {"plan_years": 1}}, "no such setting"),
        ({"drift": {"plan_months": "12"}}, "whole number"),
        ({"drift": {"plan_months": -1}}, "negative"),
        ({"drift": {"enabled": 1}}, "true or false"),
        ({"drift": {"concern_types": "concern_raised"}}, "list"),
    ],
)
def test_config_errors(data, message):
    with pytest.raises(ConfigError, match=message):
        Config.from_dict(data)


def test_severity_due_dates():
    moment = at("2024-03-28T10:00")  # Thursday before Easter
    assert Severity.IMMEDIATE.due_by(moment).date().isoformat() == "2024-03-28"
    assert Severity.HIGH.due_by(moment).date().isoformat() == "2024-04-02"  # Tue, after Easter
    assert Severity.MEDIUM.due_by(moment).date().isoformat() == "2024-04-08"
