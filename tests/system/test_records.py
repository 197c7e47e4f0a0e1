"""Agencies, an agency's person records, and a record's chronology as known on a date."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

CHRONOLOGY_OF_AMARA = "/chronology?record=NGH%3AH-1001"
TEAM_A_HOLDS_AMARA = """
from jigsaw.access.models import Team
from jigsaw.casework.services import allocation_set
from jigsaw.identity.models import Link
from jigsaw.records.models import PersonRecord

record = PersonRecord.objects.get(agency__code="NGH", local_id="H-1001")
person = Link.objects.filter(record=record).latest("id").person
allocation_set(person=person, team=Team.objects.get(name="Team A"), reason="assessment")
"""


@pytest.fixture(scope="module", autouse=True)
def team_a_holds_amara(jigsaw_server):
    """The practitioners who sign in are Team A's social workers. Team A holds Amara's case, so
    need-to-know opens her records and those of the people named with her, and no one else's."""
    jigsaw_server.shell(TEAM_A_HOLDS_AMARA)


def table_rows(page):
    """The body rows of the page's table, as lists of cell texts."""
    return page.locator("table tbody tr").evaluate_all(
        "rows => rows.map(r => [...r.cells].map(c => c.textContent.replace(/\\s+/g, ' ').trim()))"
    )


def show_chronology(ui, record, day="", month="", year=""):
    page = ui.page
    page.get_by_label("Agency record").fill(record)
    page.get_by_label("Day").fill(day)
    page.get_by_label("Month").fill(month)
    page.get_by_label("Year").fill(year)
    page.get_by_role("button", name="Show chronology").click()


def timeline(page):
    return page.locator(".jigsaw-timeline__item")


def test_the_agencies_page_lists_each_agency_with_its_counts(ui):
    # Given a signed-in practitioner
    ui.sign_in()
    # When they open Agencies from the service navigation
    nav = ui.page.get_by_role("navigation", name="Jigsaw menu")
    nav.get_by_role("link", name="Agencies").click()
    # Then each agency is listed with its sector and how much it has sent
    expect(ui.page.get_by_role("heading", level=1)).to_have_text("Agencies")
    expect(ui.page.locator("table caption")).to_have_text("4 agencies")
    assert table_rows(ui.page) == [
        ["Eastshire Constabulary", "ESC", "Police", "2", "1"],
        ["Northfield Children's Services", "NCS", "Social care", "1", "2"],
        ["Northfield General Hospital", "NGH", "Health", "3", "5"],
        ["Riverside Primary School", "RPS", "Education", "1", "1"],
    ]
    expect(nav.get_by_role("link", name="Agencies")).to_have_attribute("aria-current", "true")
    ui.check("agencies")


def test_a_persons_chronology_opens_from_their_agencys_list(ui):
    # Given a signed-in practitioner on the agencies page
    ui.sign_in()
    ui.visit("/agencies")
    # When they choose the hospital
    ui.page.get_by_role("link", name="Northfield General Hospital").click()
    # Then they see its records of the people they need to know about: Amara, whose case
    # their team holds, and her mother, named with her; not Tomasz, whom nobody allocated
    expect(ui.page.get_by_role("heading", level=1)).to_have_text("Northfield General Hospital")
    expect(ui.page.locator("table caption")).to_have_text("2 person records")
    assert table_rows(ui.page) == [
        ["H-1001", "Amara Okafor: chronology", "14 May 2021", "NF1 2AB"],
        ["H-1002", "Grace Okafor: chronology", "30 Aug 1996", "NF1 2AB"],
    ]
    expect(
        ui.page.get_by_text("Only the records of people you have a need to know")
    ).to_be_visible()
    ui.check("agency")
    # When they choose Amara Okafor
    ui.page.get_by_role("link", name="Amara Okafor").click()
    # Then her chronology shows, with the record filled in and all seven events: the
    # hospital's four and those of the police's and children's services' records of her
    expect(ui.page).to_have_url(ui.url(CHRONOLOGY_OF_AMARA))
    expect(ui.page.get_by_label("Agency record")).to_have_value("NGH:H-1001")
    expect(ui.page.get_by_role("heading", name="Amara Okafor")).to_be_visible()
    expect(ui.page.locator(".govuk-summary-list")).to_contain_text("14 May 2021")
    expect(ui.page.get_by_role("heading", name="7 events known now")).to_be_visible()
    expect(ui.page.get_by_text("includes the events of 2 other agency records")).to_be_visible()
    ui.check("chronology")
    # And the back link on the agency's page returns to the agencies
    ui.page.go_back()
    ui.page.get_by_role("link", name="Back to agencies").click()
    expect(ui.page).to_have_url(ui.url("/agencies"))


def test_as_known_on_a_past_date_hides_what_was_recorded_later(ui):
    # Given a signed-in practitioner on the chronology page
    ui.sign_in()
    ui.visit("/chronology")
    expect(ui.page.get_by_role("heading", level=1)).to_have_text("Chronology of a record")
    ui.check("chronology-form")
    # When they ask for Amara's hospital record as known on 31 January 2025
    show_chronology(ui, "NGH:H-1001", "31", "1", "2025")
    # Then the A&E attendance shows as first recorded, not corrected, among the events of
    # every agency's record of her
    expect(ui.page.get_by_role("heading", name="6 events known on 31 January 2025")).to_be_visible()
    items = timeline(ui.page)
    expect(items).to_have_count(6)
    expect(items.locator("h3")).to_have_text(
        [
            "A&E attendance",
            "Police incident",
            "Referral decision",
            "Home visit",
            "Health contact",
            "Appointment missed (was not brought)",
        ]
    )
    expect(items.nth(1)).to_contain_text("Eastshire Constabulary")
    attendance = items.nth(0)
    expect(attendance).to_contain_text("bruise (left cheek)")
    expect(attendance).not_to_contain_text("right ear")
    expect(attendance).to_contain_text("Recorded 2 Mar 2024, 21:05 by Dr R Patel")
    expect(ui.page.locator(".govuk-tag", has_text="Corrected")).to_have_count(0)
    # And the injury seen in January but only recorded in February is not there
    expect(ui.page.get_by_text("Injury observed")).to_have_count(0)
    ui.check("as-known-on-31-january-2025")


def test_as_known_today_shows_the_correction_and_the_late_entry(ui):
    # Given a signed-in practitioner on the chronology page
    ui.sign_in()
    ui.visit("/chronology")
    # When they ask for Amara's hospital record as known on today's date
    today = datetime.now(ZoneInfo("Europe/London")).date()
    show_chronology(ui, "NGH:H-1001", str(today.day), str(today.month), str(today.year))
    # Then all seven events show, in the order they happened
    expect(ui.page.get_by_role("heading", name=re.compile(r"^7 events known on "))).to_be_visible()
    items = timeline(ui.page)
    expect(items.locator("h3")).to_have_text(
        [
            "A&E attendance Corrected",
            "Police incident",
            "Referral decision",
            "Home visit",
            "Health contact",
            "Appointment missed (was not brought)",
            "Injury observed",
        ]
    )
    # And the A&E attendance is the corrected version, tagged as such
    attendance = items.nth(0)
    expect(attendance.locator(".govuk-tag")).to_have_text("Corrected")
    expect(attendance).to_contain_text("bruise (right ear)")
    expect(attendance).to_contain_text("explanation inconsistent")
    expect(attendance).to_contain_text("Corrected 10 Feb 2025, 09:30")
    # And the late entry shows when it happened and when it was recorded
    late = items.nth(6)
    expect(late).to_contain_text("20 Jan 2025, 11:15")
    expect(late).to_contain_text("Recorded 12 Feb 2025, 08:40")
    ui.check("as-known-today")


def test_chronology_form_errors_follow_the_gov_uk_pattern(ui):
    # Given a signed-in practitioner on the chronology page
    ui.sign_in()
    ui.visit("/chronology")
    # When they give no record and an impossible date
    show_chronology(ui, "", "31", "2", "2024")
    # Then the error summary lists both, and each field shows its message
    links = ui.page.locator(".govuk-error-summary__list a")
    expect(links).to_have_text(
        [
            "Enter the agency record, for example NMUH:H-204311",
            "The date must be a real date",
        ]
    )
    expect(ui.page.locator("#record-error")).to_be_visible()
    expect(ui.page.locator("#as-of-error")).to_contain_text("The date must be a real date")
    expect(ui.page.locator("#as-of-day")).to_have_class(re.compile("govuk-input--error"))
    expect(ui.page.locator("#as-of-month")).not_to_have_class(re.compile("govuk-input--error"))
    expect(ui.page).to_have_title(re.compile("^Error: "))
    ui.check("chronology-errors")
    # When they follow the date's link, the day has the focus
    links.nth(1).click()
    expect(ui.page.locator("#as-of-day")).to_be_focused()
    # When they give a record that does not exist and a date with no year
    show_chronology(ui, "NGH:H-9999", "1", "2", "")
    expect(links).to_have_text(
        ["There is no agency record with that code and ID", "The date must include a year"]
    )
    expect(ui.page.locator("#as-of-year")).to_have_class(re.compile("govuk-input--error"))
    ui.check("chronology-unknown-record")
    # When they give a record that exists but is of a child they have no need to know about
    show_chronology(ui, "NGH:H-1003", "1", "2", "2025")
    # Then they are told the same as for a record that does not exist
    expect(links).to_have_text(["There is no agency record with that code and ID"])


def test_the_pages_work_without_javascript(ui_without_js):
    ui = ui_without_js
    # Given a browser with JavaScript switched off, signed in
    ui.sign_in()
    ui.check("home-no-js")
    # When the practitioner asks for a chronology
    ui.visit("/chronology")
    show_chronology(ui, "NGH:H-1001", "31", "1", "2025")
    # Then it shows as it does with JavaScript
    expect(timeline(ui.page)).to_have_count(6)
    ui.check("chronology-no-js")
    # And signing out still works
    ui.page.get_by_role("button", name=re.compile("^Sign out")).click()
    expect(ui.page.get_by_text("You have signed out")).to_be_visible()
