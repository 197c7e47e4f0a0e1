"""The agencies, agency and chronology pages through Django's test client."""

from __future__ import annotations

import re
from datetime import date
from html import unescape

import pytest
from django.test import Client

from jigsaw.access.roles import Role
from jigsaw.access.tests.helpers import sign_in_as
from jigsaw.records import views
from jigsaw.records.tests.factories import AgencyObj, EventObj, PersonObj, base_objects, ingest

pytestmark = pytest.mark.django_db


def page_text(response) -> str:
    """What the page says: its HTML less the tags, whitespace collapsed."""
    return " ".join(re.sub(r"<[^>]+>", " ", response.content.decode()).split())


def error_summary(response) -> list[tuple[str, str]]:
    """(href, text) of each link in the error summary."""
    html = response.content.decode()
    summary = html[html.index('class="govuk-error-summary"') :]
    summary = summary[: summary.index("</ul>")]
    return [
        (href, " ".join(unescape(text).split()))
        for href, text in re.findall(r'<a href="([^"]+)">(.*?)</a>', summary, flags=re.S)
    ]


@pytest.fixture
def signed_in(client: Client, django_user_model) -> Client:
    """A head of service: every record is open to them (need-to-know is test_need_to_know's)."""
    user = django_user_model.objects.create_user("sam.taylor")
    return sign_in_as(client, user, role=Role.HEAD_OF_SERVICE, team="")


@pytest.fixture
def records(clock) -> None:
    """A hospital's child with an event corrected later, and a late-recorded event."""
    report = ingest(
        [
            *base_objects("H-1", "H-2"),
            AgencyObj(code="MPS", name="Metropolitan Police", sector="police"),
            EventObj(event_id="E-1", details={"category": "physical", "description": "bruise"}),
        ]
    )
    assert report.accepted, report.errors
    later = ingest(
        [
            EventObj(
                event_id="E-1",
                details={"category": "neglect"},
                recorded_at="2007-06-01T09:00:00Z",
            ),
            EventObj(
                event_id="E-2",
                type="home_visit",
                details={"child_seen": False},
                occurred_at="2007-05-01T10:00:00Z",
                recorded_at="2007-06-02T09:00:00Z",
            ),
        ]
    )
    assert later.accepted, later.errors


def test_agencies_lists_each_agency_with_its_counts(signed_in: Client, records) -> None:
    response = signed_in.get("/agencies")

    assert response.status_code == 200
    text = page_text(response)
    assert "2 agencies" in text
    assert "Metropolitan Police MPS Police 0 0" in text
    assert "NMUH (test agency) NMUH Health 2 2" in text
    assert 'href="/agencies/NMUH"' in response.content.decode()


def test_agency_lists_its_persons_with_links_to_their_chronology(
    signed_in: Client, records
) -> None:
    response = signed_in.get("/agencies/NMUH")

    assert response.status_code == 200
    html = response.content.decode()
    assert 'href="/chronology?record=NMUH%3AH-1"' in html
    assert 'href="/chronology?record=NMUH%3AH-2"' in html
    assert "2 person records" in page_text(response)
    assert "govuk-pagination" not in html


def test_agency_pages_its_persons(signed_in: Client, clock, monkeypatch) -> None:
    monkeypatch.setattr(views, "PERSONS_PER_PAGE", 2)
    ingest([AgencyObj(), *(PersonObj(local_id=f"H-{n}") for n in range(1, 6))])

    first = signed_in.get("/agencies/NMUH")
    last = signed_in.get("/agencies/NMUH?page=3")

    assert "5 person records, showing 1 to 2" in page_text(first)
    assert 'rel="next"' in first.content.decode()
    assert "5 person records, showing 5 to 5" in page_text(last)
    assert 'rel="prev"' in last.content.decode()
    assert 'aria-current="page"' in last.content.decode()


def test_an_unknown_agency_is_a_404(signed_in: Client, records) -> None:
    assert signed_in.get("/agencies/NOPE").status_code == 404


def test_chronology_with_no_question_shows_the_form(signed_in: Client) -> None:
    response = signed_in.get("/chronology")

    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="record"' in html
    assert 'id="as-of-day"' in html
    assert "govuk-error-summary" not in html


def test_chronology_now_shows_the_correction_and_the_late_event(signed_in: Client, records) -> None:
    response = signed_in.get("/chronology", {"record": "NMUH:H-1"})

    assert response.status_code == 200
    text = page_text(response)
    assert "2 events known now" in text
    assert "Concern raised Corrected" in text
    assert "Neglect concern" in text
    assert "Home visit" in text


def test_chronology_as_known_on_a_past_date(signed_in: Client, records) -> None:
    response = signed_in.get(
        "/chronology",
        {"record": "NMUH:H-1", "as-of-day": "31", "as-of-month": "5", "as-of-year": "2007"},
    )

    assert response.status_code == 200
    text = page_text(response)
    assert "1 event known on 31 May 2007" in text
    assert "Physical concern; bruise" in text
    assert "Corrected" not in text
    assert "Home visit" not in text


@pytest.mark.parametrize(
    ("record", "message"),
    [
        ("", "Enter the agency record, for example NMUH:H-204311"),
        (
            "NMUH-H-1",
            "Enter the agency code, a colon and the agency's ID, for example NMUH:H-204311",
        ),
        (":H-1", "Enter the agency code, a colon and the agency's ID, for example NMUH:H-204311"),
        ("NMUH:H-999", "There is no agency record with that code and ID"),
        ("NOPE:H-1", "There is no agency record with that code and ID"),
    ],
)
def test_chronology_record_errors(signed_in: Client, records, record: str, message: str) -> None:
    response = signed_in.get("/chronology", {"record": record, "as-of-day": ""})

    assert response.status_code == 400
    assert error_summary(response) == [("#record", message)]
    html = response.content.decode()
    assert 'id="record-error"' in html
    assert "<title>Error: Chronology of a record \u2013 Jigsaw</title>" in html
    assert "jigsaw-timeline" not in html


@pytest.mark.parametrize(
    ("day", "month", "year", "message", "marked"),
    [
        ("30", "2", "2007", "The date must be a real date", ["day"]),
        ("1", "13", "2007", "The date must be a real date", ["month"]),
        ("x", "2", "2007", "The date must be a real date", ["day"]),
        ("1", "", "", "The date must include a month and year", ["month", "year"]),
        ("", "2", "2007", "The date must include a day", ["day"]),
        ("1", "2", "07", "Year must include 4 numbers", ["year"]),
        ("16", "1", "2008", "The date must be today or in the past", ["day", "month", "year"]),
    ],
)
def test_chronology_date_errors(
    signed_in: Client,
    records,
    day: str,
    month: str,
    year: str,
    message: str,
    marked: list[str],
) -> None:
    response = signed_in.get(
        "/chronology",
        {"record": "NMUH:H-1", "as-of-day": day, "as-of-month": month, "as-of-year": year},
    )

    assert response.status_code == 400
    assert error_summary(response) == [(f"#as-of-{marked[0]}", message)]
    html = response.content.decode()
    assert 'id="as-of-error"' in html
    errored = re.findall(r'class="[^"]*govuk-input--error[^"]*" id="as-of-(\w+)"', html)
    assert errored == marked
    assert f'id="as-of-day" name="as-of-day" type="text" value="{day}"' in html


def test_chronology_reports_both_fields_at_once(signed_in: Client, records) -> None:
    response = signed_in.get(
        "/chronology",
        {"record": "", "as-of-day": "31", "as-of-month": "2", "as-of-year": "2007"},
    )

    assert response.status_code == 400
    assert [href for href, _ in error_summary(response)] == ["#record", "#as-of-day"]


@pytest.mark.parametrize(
    ("day", "month", "year", "expected"),
    [
        ("", "", "", None),
        ("1", "2", "2007", "2007-02-01"),
        ("29", "2", "2004", "2004-02-29"),
        ("15", "1", "2008", "2008-01-15"),
    ],
)
def test_as_of_date_accepts_real_dates(day, month, year, expected) -> None:
    value = views.as_of_date(day, month, year, today=date(2008, 1, 15))

    assert (value.isoformat() if isinstance(value, date) else value) == expected


def test_chronology_queries_do_not_grow_with_its_events(signed_in: Client, records) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    ask = {"record": "NMUH:H-1"}
    with CaptureQueriesContext(connection) as few:
        signed_in.get("/chronology", ask)
    more = ingest([EventObj(event_id=f"E-{n}") for n in range(10, 30)])
    assert more.accepted
    with CaptureQueriesContext(connection) as many:
        response = signed_in.get("/chronology", ask)

    assert "22 events known now" in page_text(response)
    assert len(many) == len(few)
