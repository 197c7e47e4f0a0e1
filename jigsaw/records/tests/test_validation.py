"""Every validation rule of exchange format v1, through the one ingest service.

Each rejection names the object's position, the field path and the reason, and stores nothing.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pydantic import BaseModel

from jigsaw.core.tests.helpers import NOW, FrozenClock
from jigsaw.records.exchange import EVENT_TYPES, RESTRICTIONS
from jigsaw.records.models import EventVersion, PersonVersion
from jigsaw.records.selectors import record_chronology
from jigsaw.records.services import IngestReport
from jigsaw.records.tests.factories import (
    VALID_NHS_NUMBER,
    AgencyObj,
    EventObj,
    PersonObj,
    errors_of,
    ingest,
    row_counts,
    without,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]

# One agency of each sector that sends typed events, each with a child `<CODE>-1` and an adult
# `<CODE>-2` already in the store.
AGENCIES = {
    "NMUH": "health",
    "MET": "police",
    "CSC": "social_care",
    "SCH": "education",
    "PROB": "probation",
    "AMH": "adult_mental_health",
    "SMS": "substance_misuse",
    "HOUS": "housing",
}

# Minimal valid details for every event type of the spec's table.
MINIMAL_DETAILS: dict[str, dict[str, Any]] = {
    "concern_raised": {"category": "neglect"},
    "injury_observed": {"injuries": [{"kind": "bruise"}]},
    "ae_attendance": {},
    "health_contact": {},
    "appointment_missed": {},
    "home_visit": {"child_seen": True},
    "police_incident": {"incident_type": "domestic_abuse"},
    "offence_record": {"offence_category": "violence"},
    "adult_mental_health_contact": {},
    "substance_misuse_contact": {},
    "school_absence": {"sessions_missed": 4},
    "referral_decision": {"decision": "assessment"},
    "assessment": {"stage": "started"},
    "strategy_discussion": {"outcome": "section47"},
    "section47_outcome": {"outcome": "substantiated"},
    "cp_conference": {"conference": "initial", "outcome": "plan"},
    "core_group_meeting": {},
    "placement": {"carer_type": "foster"},
    "household_change": {"change": "joined"},
    "supervision": {},
    "note": {},
}

# The fields marked * in the spec's table.
REQUIRED_DETAILS = {
    "concern_raised": ["category"],
    "injury_observed": ["injuries"],
    "home_visit": ["child_seen"],
    "police_incident": ["incident_type"],
    "offence_record": ["offence_category"],
    "school_absence": ["sessions_missed"],
    "referral_decision": ["decision"],
    "assessment": ["stage"],
    "strategy_discussion": ["outcome"],
    "section47_outcome": ["outcome"],
    "cp_conference": ["conference", "outcome"],
    "placement": ["carer_type"],
    "household_change": ["change"],
}

# Who sends what, from the spec's table ("any" is empty).
SENT_BY = {
    "concern_raised": set(),
    "injury_observed": set(),
    "ae_attendance": {"health"},
    "health_contact": {"health"},
    "appointment_missed": {"health"},
    "home_visit": {"social_care", "health"},
    "police_incident": {"police"},
    "offence_record": {"police", "probation"},
    "adult_mental_health_contact": {"adult_mental_health"},
    "substance_misuse_contact": {"substance_misuse"},
    "school_absence": {"education"},
    "referral_decision": {"social_care"},
    "assessment": {"social_care"},
    "strategy_discussion": {"social_care"},
    "section47_outcome": {"social_care"},
    "cp_conference": {"social_care"},
    "core_group_meeting": {"social_care"},
    "placement": {"social_care"},
    "household_change": set(),
    "supervision": {"social_care"},
    "note": set(),
}


@pytest.fixture(autouse=True)
def known() -> None:
    objs: list[dict[str, Any]] = []
    for code, sector in AGENCIES.items():
        objs += [
            AgencyObj(code=code, sector=sector),
            PersonObj(agency=code, local_id=f"{code}-1"),
            PersonObj(agency=code, local_id=f"{code}-2", given_name="Adult", date_of_birth=None),
        ]
    report = ingest(objs)
    assert report.accepted, report.errors


def _agency_for(type_name: str) -> str:
    sectors = SENT_BY[type_name]
    return next((c for c, s in AGENCIES.items() if s in sectors), "NMUH")


def event(type_name: str = "concern_raised", **fields: Any) -> dict[str, Any]:
    agency = fields.pop("agency", _agency_for(type_name))
    subjects = [{"local_id": f"{agency}-1", "role": "child"}]
    if type_name == "household_change":
        subjects.append({"local_id": f"{agency}-2", "role": "household_member"})
    values: dict[str, Any] = {
        "agency": agency,
        "type": type_name,
        "subjects": subjects,
        "details": dict(MINIMAL_DETAILS[type_name]),
    }
    return EventObj(**{**values, **fields})


def person(**fields: Any) -> dict[str, Any]:
    return PersonObj(**{"local_id": "H-NEW", **fields})


def accepted(*objs: dict[str, Any]) -> IngestReport:
    report = ingest(objs)
    assert report.accepted, errors_of(report)
    return report


def rejected(*objs: Any) -> list[tuple[int, str, str]]:
    """The errors of a batch that must be refused whole, having checked nothing was stored."""
    before = row_counts()
    report = ingest(objs)
    assert not report.accepted
    assert report.error_count == len(report.errors) > 0
    assert row_counts() == before
    return errors_of(report)


def only_error(*objs: Any) -> tuple[str, str]:
    errors = rejected(*objs)
    assert len(errors) == 1, errors
    position, path, message = errors[0]
    assert position == len(objs)  # the last object is the bad one
    return path, message


# --- the vocabulary matches the spec --------------------------------------------------------


def test_event_types_are_exactly_those_of_the_spec() -> None:
    assert set(EVENT_TYPES) == set(MINIMAL_DETAILS) == set(SENT_BY)


@pytest.mark.parametrize("type_name", sorted(SENT_BY))
def test_who_may_send_each_type(type_name: str) -> None:
    assert set(EVENT_TYPES[type_name].sent_by) == SENT_BY[type_name]


@pytest.mark.parametrize("type_name", sorted(MINIMAL_DETAILS))
def test_required_details_fields_are_those_starred_in_the_spec(type_name: str) -> None:
    model: type[BaseModel] = EVENT_TYPES[type_name].details
    required = sorted(n for n, f in model.model_fields.items() if f.is_required())
    assert required == sorted(REQUIRED_DETAILS.get(type_name, []))


@pytest.mark.parametrize("type_name", sorted(MINIMAL_DETAILS))
def test_every_event_type_is_accepted_with_its_minimal_details(type_name: str) -> None:
    report = accepted(event(type_name, event_id=f"T-{type_name}"))
    assert report.by_kind["event"]["new"] == 1
    stored = EventVersion.objects.get(event__event_id=f"T-{type_name}")
    assert stored.type == type_name
    assert stored.details == MINIMAL_DETAILS[type_name]


# --- NHS number -----------------------------------------------------------------------------


def test_valid_nhs_number_is_stored() -> None:
    accepted(person(nhs_number=VALID_NHS_NUMBER))
    assert PersonVersion.objects.get(record__local_id="H-NEW").nhs_number == VALID_NHS_NUMBER


def test_nhs_number_with_spaces_is_accepted_and_stored_as_digits() -> None:
    accepted(person(nhs_number="943 476 5919"))
    assert PersonVersion.objects.get(record__local_id="H-NEW").nhs_number == VALID_NHS_NUMBER


def test_nhs_number_failing_modulus_11_is_an_error() -> None:
    assert only_error(person(nhs_number="9434765918")) == (
        "nhs_number",
        "'9434765918' fails the modulus 11 check",
    )


@pytest.mark.parametrize("value", ["943476591", "94347659190", "943-476-5919", "ABCDEFGHIJ"])
def test_nhs_number_of_the_wrong_length_or_characters_is_an_error(value: str) -> None:
    assert only_error(person(nhs_number=value)) == ("nhs_number", f"'{value}' must be 10 digits")


def test_nhs_number_as_a_json_number_is_an_error() -> None:
    assert only_error(person(nhs_number=9434765919)) == (
        "nhs_number",
        "must be a string of 10 digits",
    )


# --- references: agencies and subjects -------------------------------------------------------


def test_person_of_an_unknown_agency_is_an_error() -> None:
    assert only_error(person(agency="NOPE")) == (
        "agency",
        "agency 'NOPE' is not known: send its agency object first",
    )


def test_event_of_an_unknown_agency_is_an_error() -> None:
    errors = rejected(event(agency="NOPE"))
    assert (1, "agency", "agency 'NOPE' is not known: send its agency object first") in errors


def test_agency_sent_earlier_in_the_same_batch_is_known() -> None:
    report = accepted(
        AgencyObj(code="NEWA", sector="voluntary"),
        EventObj(agency="NEWA", subjects=[{"local_id": "N-1", "role": "child"}]),
        PersonObj(agency="NEWA", local_id="N-1"),
    )
    assert report.by_kind == {
        "agency": {"new": 1, "unchanged": 0, "superseded": 0},
        "person": {"new": 1, "unchanged": 0, "superseded": 0},
        "event": {"new": 1, "unchanged": 0, "superseded": 0},
    }


def test_subject_never_sent_is_an_error() -> None:
    bad = event(
        subjects=[{"local_id": "NMUH-1", "role": "child"}, {"local_id": "H-9", "role": "parent"}]
    )
    assert only_error(bad) == (
        "subjects[1].local_id",
        "person 'H-9' of agency 'NMUH' is not known: send the person first",
    )


def test_subject_sent_in_the_same_batch_is_known() -> None:
    accepted(
        event(subjects=[{"local_id": "H-NEW", "role": "child"}]),
        person(),
    )


def test_subject_that_is_another_agencys_local_id_is_unknown() -> None:
    # MET-1 is a record of the police, not of the hospital.
    bad = event(agency="NMUH", subjects=[{"local_id": "MET-1", "role": "child"}])
    assert only_error(bad) == (
        "subjects[0].local_id",
        "person 'MET-1' of agency 'NMUH' is not known: send the person first",
    )


def test_same_subject_twice_is_an_error() -> None:
    bad = event(subjects=[{"local_id": "NMUH-1", "role": "child"}] * 2)
    assert only_error(bad) == ("subjects", "names the same local_id more than once")


def test_unknown_subject_role_is_an_error() -> None:
    path, message = only_error(event(subjects=[{"local_id": "NMUH-1", "role": "uncle"}]))
    assert path == "subjects[0].role"
    assert message.startswith("Input should be 'child', 'parent', 'carer'")


# --- event types and details -----------------------------------------------------------------


def test_unknown_event_type_is_an_error() -> None:
    assert only_error(event(type="phone_call")) == (
        "type",
        "'phone_call' is not an event type of exchange format v1",
    )


def test_unknown_event_type_is_reported_with_the_objects_other_errors() -> None:
    errors = rejected(without(event(type="phone_call"), "occurred_at"))
    assert errors == [
        (1, "occurred_at", "is required"),
        (1, "type", "'phone_call' is not an event type of exchange format v1"),
    ]


@pytest.mark.parametrize(
    ("type_name", "field"),
    [(t, f) for t, fields in sorted(REQUIRED_DETAILS.items()) for f in fields],
)
def test_required_details_field_missing_is_an_error(type_name: str, field: str) -> None:
    details = without(MINIMAL_DETAILS[type_name], field)
    assert only_error(event(type_name, details=details)) == (f"details.{field}", "is required")


def test_details_must_be_an_object() -> None:
    assert only_error(event(details=["physical"])) == (
        "details",
        "Input should be a valid dictionary",
    )


def test_details_value_outside_its_vocabulary_is_an_error() -> None:
    path, message = only_error(event(details={"category": "bullying"}))
    assert path == "details.category"
    assert message == (
        "Input should be 'physical', 'emotional', 'sexual', 'neglect', 'domestic_abuse', "
        "'exploitation' or 'other'"
    )


def test_injury_needs_a_known_kind() -> None:
    bad = event("injury_observed", details={"injuries": [{"kind": "bruise"}, {"site": "arm"}]})
    assert only_error(bad) == ("details.injuries[1].kind", "is required")
    path, message = only_error(event("injury_observed", details={"injuries": [{"kind": "graze"}]}))
    assert path == "details.injuries[0].kind"
    assert message.startswith("Input should be 'bruise', 'petechiae'")


def test_injury_observed_needs_at_least_one_injury() -> None:
    assert only_error(event("injury_observed", details={"injuries": []})) == (
        "details.injuries",
        "List should have at least 1 item after validation, not 0",
    )


def test_unrecognised_injury_site_is_accepted_and_kept_as_written() -> None:
    injuries = [{"kind": "bruise", "site": "on the whatsit, per mum"}]
    accepted(event("injury_observed", event_id="INJ", details={"injuries": injuries}))
    stored = EventVersion.objects.get(event__event_id="INJ")
    assert stored.details["injuries"] == injuries


def test_extra_details_fields_are_kept_as_sent_and_shown_in_the_chronology() -> None:
    details = {
        "category": "neglect",
        "local_code": "N-12",
        "history": {"previous_referrals": 3, "tags": ["a", "b"]},
        "empty": None,
    }
    accepted(event(event_id="EXTRA", details=details))
    assert EventVersion.objects.get(event__event_id="EXTRA").details == details
    [entry] = record_chronology(agency="NMUH", local_id="NMUH-1")
    assert entry.details == details
    assert entry.as_dict()["details"]["history"] == {"previous_referrals": 3, "tags": ["a", "b"]}


def test_extra_fields_inside_an_injury_are_kept() -> None:
    injuries = [{"kind": "burn", "site": "L hand", "size_cm": 2, "shape": "round"}]
    accepted(event("injury_observed", event_id="INJ2", details={"injuries": injuries}))
    assert EventVersion.objects.get(event__event_id="INJ2").details["injuries"] == injuries


def test_details_dates_are_validated_and_kept_as_iso_text() -> None:
    good = {"offence_category": "violence", "conviction_date": "2006-11-02"}
    accepted(event("offence_record", event_id="OFF", details=good))
    assert EventVersion.objects.get(event__event_id="OFF").details == good
    bad = {"offence_category": "violence", "conviction_date": "2006-11-31"}
    assert only_error(event("offence_record", details=bad)) == (
        "details.conviction_date",
        "'2006-11-31' is not a date in the form YYYY-MM-DD",
    )


# --- extension: restricted categories -------------------------------------------------------


@pytest.mark.parametrize("restriction", RESTRICTIONS)
@pytest.mark.parametrize("type_name", ["health_contact", "placement", "injury_observed", "note"])
def test_a_restricted_category_is_accepted_on_any_event_and_kept(
    type_name: str, restriction: str
) -> None:
    details = {**MINIMAL_DETAILS[type_name], "restriction": restriction}
    accepted(event(type_name, event_id="R", details=details))
    assert EventVersion.objects.get(event__event_id="R").details == details


@pytest.mark.parametrize(
    "value", ["secret", "Sexual_Health", "sexual health", "", 1, True, ["sealed"]]
)
def test_a_restriction_outside_the_list_is_an_error_naming_the_field(value: Any) -> None:
    details = {"service": "other", "restriction": value}
    assert only_error(event("health_contact", details=details)) == (
        "details.restriction",
        "Input should be 'sexual_health', 'adoption' or 'sealed'",
    )


def test_a_bad_restriction_is_reported_with_the_details_other_errors() -> None:
    errors = rejected(event(details={"category": "bullying", "restriction": "private"}))
    assert sorted(path for _, path, _ in errors) == ["details.category", "details.restriction"]


@pytest.mark.parametrize("details", [{"service": "gp"}, {"service": "gp", "restriction": None}])
def test_no_restriction_or_null_is_not_restricted(details: dict[str, Any]) -> None:
    accepted(event("health_contact", event_id="OPEN", details=details))
    stored = EventVersion.objects.get(event__event_id="OPEN").details
    assert stored == details
    assert stored.get("restriction") not in RESTRICTIONS


def test_a_restriction_inside_an_injury_is_an_ordinary_extra_field() -> None:
    injuries = [{"kind": "bruise", "restriction": "anything"}]
    accepted(event("injury_observed", event_id="INJ3", details={"injuries": injuries}))


# --- wrong JSON types ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("obj", "path", "message"),
    [
        (
            event("home_visit", details={"child_seen": "yes"}),
            "details.child_seen",
            "Input should be a valid boolean",
        ),
        (
            event("home_visit", details={"child_seen": 1}),
            "details.child_seen",
            "Input should be a valid boolean",
        ),
        (
            event(details={"category": "neglect", "referred_to_social_care": "false"}),
            "details.referred_to_social_care",
            "Input should be a valid boolean",
        ),
        (event(narrative=5), "narrative", "Input should be a valid string"),
        (event(event_id=123), "event_id", "Input should be a valid string"),
        (person(given_name=7), "given_name", "Input should be a valid string"),
        (
            person(date_of_birth=20060301),
            "date_of_birth",
            "must be a date string in the form YYYY-MM-DD",
        ),
        (person(address={"postcode": 176}), "address.postcode", "must be a string"),
        (
            event("school_absence", details={"sessions_missed": "4"}),
            "details.sessions_missed",
            "Input should be a valid integer",
        ),
        (
            event("school_absence", details={"sessions_missed": -1}),
            "details.sessions_missed",
            "Input should be greater than or equal to 0",
        ),
        (event(subjects={"local_id": "NMUH-1"}), "subjects", "Input should be a valid list"),
        (person(other_names="Pete"), "other_names", "Input should be a valid list"),
        (person(address="12 Acacia Road"), "address", "Input should be a valid dictionary"),
    ],
)
def test_wrong_json_type_is_an_error(obj: dict[str, Any], path: str, message: str) -> None:
    assert only_error(obj) == (path, message)


# --- required fields -------------------------------------------------------------------------


@pytest.mark.parametrize("field", ["agency", "event_id", "type", "occurred_at", "subjects"])
def test_event_missing_a_required_field_is_an_error(field: str) -> None:
    errors = rejected(without(event(), field))
    assert (1, field, "is required") in errors


def test_event_with_no_subjects_is_an_error() -> None:
    assert only_error(event(subjects=[])) == (
        "subjects",
        "List should have at least 1 item after validation, not 0",
    )


@pytest.mark.parametrize("field", ["agency", "local_id"])
def test_person_missing_a_required_field_is_an_error(field: str) -> None:
    assert only_error(without(person(), field)) == (field, "is required")


@pytest.mark.parametrize("field", ["code", "name", "sector"])
def test_agency_missing_a_required_field_is_an_error(field: str) -> None:
    assert only_error(without(AgencyObj(code="NEW"), field)) == (field, "is required")


def test_unknown_sector_is_an_error() -> None:
    path, message = only_error(AgencyObj(code="NEW", sector="charity"))
    assert path == "sector"
    assert message.startswith("Input should be 'health', 'police'")


@pytest.mark.parametrize(
    "names", [{}, {"given_name": None, "family_name": None}, {"given_name": "", "family_name": ""}]
)
def test_person_with_neither_name_is_an_error(names: dict[str, Any]) -> None:
    obj = {**without(person(), "given_name", "family_name"), **names}
    assert only_error(obj) == ("(object)", "at least one of given_name and family_name is required")


@pytest.mark.parametrize("names", [{"given_name": "Peter"}, {"family_name": "Smith"}])
def test_person_with_one_name_is_accepted(names: dict[str, Any]) -> None:
    accepted({**without(person(), "given_name", "family_name"), **names})


def test_extra_top_level_field_is_an_error() -> None:
    assert only_error(event(priority="high")) == (
        "priority",
        "is not a field of exchange format v1 (extra information goes in details)",
    )
    assert only_error(person(ethnicity="x"))[0] == "ethnicity"
    assert only_error(AgencyObj(code="NEW", phone="0"))[0] == "phone"


@pytest.mark.parametrize(
    ("kind", "message"),
    [
        (None, "missing: must be one of 'agency', 'person', 'event'"),
        ("referral", "'referral' is not known: must be one of 'agency', 'person', 'event'"),
    ],
)
def test_unknown_kind_is_an_error(kind: str | None, message: str) -> None:
    obj = without(person(), "kind") if kind is None else person(kind=kind)
    assert only_error(obj) == ("kind", message)


def test_invalid_sex_and_postcode_are_errors() -> None:
    path, message = only_error(person(sex="male"))
    assert (path, message) == ("sex", "Input should be 'M', 'F', 'X' or 'U'")
    assert only_error(person(address={"postcode": "N17"})) == (
        "address.postcode",
        "'N17' is not a UK postcode",
    )


def test_postcode_is_stored_in_canonical_form() -> None:
    accepted(person(address={"line1": "12 Acacia Road", "postcode": "n176ab"}))
    stored = PersonVersion.objects.get(record__local_id="H-NEW")
    assert (stored.address_line1, stored.postcode) == ("12 Acacia Road", "N17 6AB")


# --- dates and times -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("2007-02-30", "'2007-02-30' is not a date in the form YYYY-MM-DD"),
        ("09/04/2007", "'09/04/2007' is not a date in the form YYYY-MM-DD"),
        (
            "2007-02-30T10:00:00Z",
            "'2007-02-30T10:00:00Z' is not an ISO 8601 date-time (e.g. 2007-04-09T14:00:00Z)",
        ),
        (
            "9 April 2007",
            "'9 April 2007' is not an ISO 8601 date-time (e.g. 2007-04-09T14:00:00Z)",
        ),
        (1176127200, "must be an ISO 8601 date-time string, e.g. 2007-04-09T14:00:00Z"),
    ],
)
def test_bad_occurred_at_is_an_error(value: Any, message: str) -> None:
    assert only_error(event(occurred_at=value)) == ("occurred_at", message)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("2006-02-30", "'2006-02-30' is not a date in the form YYYY-MM-DD"),
        ("2006-03-01T00:00:00Z", "'2006-03-01T00:00:00Z' is not a date in the form YYYY-MM-DD"),
        ("01/03/2006", "'01/03/2006' is not a date in the form YYYY-MM-DD"),
    ],
)
def test_bad_date_of_birth_is_an_error(value: str, message: str) -> None:
    assert only_error(person(date_of_birth=value)) == ("date_of_birth", message)


def test_date_at_the_edge_of_the_calendar_is_an_error_not_a_crash() -> None:
    path, message = only_error(event(occurred_at="0001-01-01T00:00:00+01:00"))
    assert path == "occurred_at"
    assert "outside the range" in message


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def test_occurred_at_beyond_the_future_tolerance_is_an_error(settings: Any) -> None:
    tolerance = timedelta(seconds=settings.JIGSAW_FUTURE_TOLERANCE_SECONDS)
    later = NOW + tolerance + timedelta(seconds=1)
    assert only_error(event(occurred_at=_iso(later), recorded_at=None)) == (
        "occurred_at",
        "is in the future",
    )


def test_future_times_each_named(settings: Any) -> None:
    later = _iso(NOW + timedelta(seconds=settings.JIGSAW_FUTURE_TOLERANCE_SECONDS + 60))
    assert rejected(event(occurred_at=later, recorded_at=later)) == [
        (1, "recorded_at", "is in the future"),
        (1, "occurred_at", "is in the future"),
    ]
    assert only_error(event(recorded_at=later)) == ("recorded_at", "is in the future")
    assert only_error(person(recorded_at=later)) == ("recorded_at", "is in the future")


def test_times_within_the_future_tolerance_are_accepted(settings: Any) -> None:
    tolerance = timedelta(seconds=settings.JIGSAW_FUTURE_TOLERANCE_SECONDS)
    soon = NOW + tolerance - timedelta(seconds=1)
    accepted(event(event_id="SOON", occurred_at=_iso(soon), recorded_at=_iso(soon)))
    stored = EventVersion.objects.get(event__event_id="SOON")
    assert stored.occurred_at == soon


def test_future_tolerance_is_a_setting(settings: Any, clock: FrozenClock) -> None:
    settings.JIGSAW_FUTURE_TOLERANCE_SECONDS = 0
    soon = _iso(NOW + timedelta(seconds=1))
    assert rejected(event(occurred_at=soon, recorded_at=soon)) == [
        (1, "recorded_at", "is in the future"),
        (1, "occurred_at", "is in the future"),
    ]
    accepted(event(occurred_at=_iso(NOW), recorded_at=_iso(NOW)))


def test_recorded_at_before_occurred_at_is_an_error() -> None:
    bad = event(occurred_at="2007-04-09T14:00:00Z", recorded_at="2007-04-09T13:59:59Z")
    assert only_error(bad) == ("recorded_at", "is before occurred_at")


def test_recorded_at_equal_to_occurred_at_is_accepted() -> None:
    accepted(event(occurred_at="2007-04-09T14:00:00Z", recorded_at="2007-04-09T14:00:00Z"))


def test_date_of_birth_in_the_future_is_an_error() -> None:
    assert only_error(person(date_of_birth="2008-01-16")) == ("date_of_birth", "is in the future")


def test_date_of_birth_today_is_accepted() -> None:
    accepted(person(date_of_birth="2008-01-15"))


def test_date_of_birth_is_judged_by_the_uk_calendar(clock: FrozenClock) -> None:
    # 00:30 on 2 July in London is still 1 July in UTC: a baby born that day is not "future".
    clock.set(datetime(2007, 7, 1, 23, 30, tzinfo=UTC))
    accepted(person(date_of_birth="2007-07-02", recorded_at=None))


def test_date_of_birth_before_1900_is_an_error() -> None:
    assert only_error(person(date_of_birth="1899-12-31")) == ("date_of_birth", "is before 1900")
    accepted(person(local_id="H-OLD", date_of_birth="1900-01-01"))


def test_address_from_in_the_future_is_an_error() -> None:
    assert only_error(person(address_from="2008-02-01")) == ("address_from", "is in the future")


def test_time_without_zone_is_uk_local_time() -> None:
    accepted(
        event(event_id="SUMMER", occurred_at="2007-07-01T12:00", recorded_at="2007-07-01T12:30"),
        event(event_id="WINTER", occurred_at="2007-01-15T12:00", recorded_at="2007-01-15T12:30"),
    )
    summer = EventVersion.objects.get(event__event_id="SUMMER")
    assert summer.occurred_at == datetime(2007, 7, 1, 11, 0, tzinfo=UTC)  # BST
    assert summer.recorded_at == datetime(2007, 7, 1, 11, 30, tzinfo=UTC)
    winter = EventVersion.objects.get(event__event_id="WINTER")
    assert winter.occurred_at == datetime(2007, 1, 15, 12, 0, tzinfo=UTC)  # GMT


def test_date_alone_is_the_start_of_that_uk_day() -> None:
    accepted(event(event_id="DAY", occurred_at="2007-07-01", recorded_at="2007-07-01T09:00:00"))
    stored = EventVersion.objects.get(event__event_id="DAY")
    assert stored.occurred_at == datetime(2007, 6, 30, 23, 0, tzinfo=UTC)


def test_missing_recorded_at_is_the_time_jigsaw_received_it() -> None:
    accepted(without(event(event_id="NOREC"), "recorded_at"))
    stored = EventVersion.objects.get(event__event_id="NOREC")
    assert stored.recorded_at == stored.received_at == NOW


# --- rules between fields and with the store --------------------------------------------------


def test_event_type_from_an_agency_of_the_wrong_sector_is_an_error() -> None:
    bad = event("police_incident", agency="NMUH")
    assert only_error(bad) == (
        "type",
        "'police_incident' is sent by police agencies; 'NMUH' is health",
    )


def test_event_type_sent_by_two_sectors_names_both() -> None:
    bad = event("offence_record", agency="CSC")
    assert only_error(bad) == (
        "type",
        "'offence_record' is sent by police or probation agencies; 'CSC' is social_care",
    )


def test_sector_of_an_agency_is_its_latest_version() -> None:
    # The agency object of HOUS corrects its sector: from then on it sends as social care.
    assert only_error(event("placement", agency="HOUS"))[0] == "type"
    accepted(AgencyObj(code="HOUS", sector="social_care"))
    accepted(event("placement", agency="HOUS"))


@pytest.mark.parametrize(
    ("roles", "missing"),
    [
        (["child"], ["household_member"]),
        (["household_member"], ["child"]),
        (["parent", "carer"], ["child", "household_member"]),
    ],
)
def test_household_change_needs_child_and_household_member(
    roles: list[str], missing: list[str]
) -> None:
    subjects = [{"local_id": f"NMUH-{i + 1}", "role": r} for i, r in enumerate(roles)]
    errors = rejected(event("household_change", subjects=subjects))
    assert errors == [
        (1, "subjects", f"a household_change needs a subject with role '{role}'")
        for role in missing
    ]


def test_several_bad_objects_are_each_reported() -> None:
    errors = rejected(
        person(local_id="OK-1"),
        person(local_id="BAD-1", nhs_number="9434765918"),
        event(event_id="OK-E"),
        event(event_id="BAD-E", type="phone_call"),
        event(event_id="BAD-F", details={}),
    )
    assert errors == [
        (2, "nhs_number", "'9434765918' fails the modulus 11 check"),
        (4, "type", "'phone_call' is not an event type of exchange format v1"),
        (5, "details.category", "is required"),
    ]


def test_reference_errors_are_reported_with_the_other_errors() -> None:
    errors = rejected(
        person(local_id="BAD-1", nhs_number="9434765918"),
        event(subjects=[{"local_id": "H-9", "role": "child"}]),
        person(local_id="LATER"),
        # named after the first error, sent later still: known
        event(subjects=[{"local_id": "LATER-2", "role": "child"}]),
        person(local_id="LATER-2"),
        event(event_id="DUP", details={"category": "x"}),
    )
    assert errors == [
        (1, "nhs_number", "'9434765918' fails the modulus 11 check"),
        (
            2,
            "subjects[0].local_id",
            "person 'H-9' of agency 'NMUH' is not known: send the person first",
        ),
        (6, "details.category", details_category_message()),
    ]


def details_category_message() -> str:
    return (
        "Input should be 'physical', 'emotional', 'sexual', 'neglect', 'domestic_abuse', "
        "'exploitation' or 'other'"
    )


def test_unknown_subject_is_reported_even_when_it_is_the_only_later_error() -> None:
    errors = rejected(
        person(local_id="BAD-1", nhs_number="9434765918"),
        person(local_id="OK-1"),
        event(event_id="E-OK", subjects=[{"local_id": "OK-1", "role": "child"}]),
        event(event_id="E-BAD", subjects=[{"local_id": "NOBODY", "role": "child"}]),
    )
    assert errors == [
        (1, "nhs_number", "'9434765918' fails the modulus 11 check"),
        (
            4,
            "subjects[0].local_id",
            "person 'NOBODY' of agency 'NMUH' is not known: send the person first",
        ),
    ]


def test_objects_of_an_agency_sent_after_the_first_error_are_still_checked() -> None:
    errors = rejected(
        person(local_id="BAD-1", nhs_number="9434765918"),
        AgencyObj(code="NEWA", sector="voluntary"),
        PersonObj(agency="NEWA", local_id="N-1"),
        EventObj(agency="NEWA", subjects=[{"local_id": "N-1", "role": "child"}]),
        EventObj(agency="NEWA", subjects=[{"local_id": "N-2", "role": "child"}]),
    )
    assert errors == [
        (1, "nhs_number", "'9434765918' fails the modulus 11 check"),
        (
            5,
            "subjects[0].local_id",
            "person 'N-2' of agency 'NEWA' is not known: send the person first",
        ),
    ]
