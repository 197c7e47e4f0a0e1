"""A child's record, her multi-agency chronology as known on a past date, a significance mark,
and the CSV and PDF exports a worker takes to a conference."""

from __future__ import annotations

import csv
import io
import re

import pytest
from playwright.sync_api import expect

from jigsaw.casework.tests.test_chronology import pdf_text

pytestmark = pytest.mark.browser

# Team A holds Amara's case (the signing-in social workers are Team A's); nobody holds Tomasz's.
# The ids of their persons are written where the test can read them.
SCENE = """
from jigsaw.access.models import Team
from jigsaw.casework.services import allocation_set
from jigsaw.identity.models import Link
from jigsaw.records.models import PersonRecord

def person_of(agency, local_id):
    record = PersonRecord.objects.get(agency__code=agency, local_id=local_id)
    return Link.objects.filter(record=record).latest("id").person

amara = person_of("NGH", "H-1001")
allocation_set(person=amara, team=Team.objects.get(name="Team A"), reason="assessment")
open({path!r}, "w").write(f"{{amara.pk}} {{person_of('NGH', 'H-1003').pk}}")
"""


@pytest.fixture(scope="module")
def people(jigsaw_server, tmp_path_factory):
    """(Amara's person id, Tomasz's person id), with Amara's case held by Team A."""
    path = tmp_path_factory.mktemp("scene") / "people.txt"
    jigsaw_server.shell(SCENE.format(path=str(path)))
    amara, tomasz = path.read_text().split()
    return int(amara), int(tomasz)


def entry_rows(page):
    return page.locator("table tbody tr[id^='entry-']")


def test_a_worker_reads_a_chronology_as_known_on_a_past_date_and_exports_it(ui, people):
    amara, _ = people
    page = ui.page
    # Given a signed-in social worker of the team holding Amara's case
    ui.sign_in()
    # When she opens Amara's record
    ui.visit(f"/children/{amara}")
    # Then she sees who Amara is, where she lives and by whose account, and who holds her case
    expect(page.get_by_role("heading", level=1)).to_have_text("Amara Okafor")
    summary = page.locator(".govuk-summary-list")
    expect(summary).to_contain_text("14 May 2021")
    expect(summary).to_contain_text("12 Willow Road, Northfield, NF1 2AB")
    expect(summary).to_contain_text("According to Northfield Children's Services")
    expect(summary).to_contain_text("Team A")
    expect(page.get_by_role("heading", name="Household and network")).to_be_visible()
    expect(page.locator("#household-table")).to_contain_text("Grace Okafor")
    expect(page.locator("#network-table")).to_contain_text("Daniel Price")
    # (GOV.UK's link buttons carry the button role)
    expect(page.get_by_role("button", name="Record a visit")).to_have_attribute(
        "href", f"/children/{amara}/visits/new"
    )
    ui.check("child-record")

    # When she opens the chronology
    page.get_by_role("button", name="View chronology").click()
    # Then every agency's entries are there, newest first: the late injury entry at the top
    expect(page.get_by_role("heading", level=1)).to_have_text("Multi-agency chronology")
    expect(page.get_by_role("heading", name="7 entries")).to_be_visible()
    expect(entry_rows(page).first).to_contain_text("Injury observed")
    ui.check("chronology")

    # When she asks for it as known on 31 January 2025, oldest first
    page.get_by_label("Day").fill("31")
    page.get_by_label("Month").fill("1")
    page.get_by_label("Year").fill("2025")
    page.get_by_label("Oldest first").check()
    page.get_by_role("button", name="Show entries").click()
    # Then she is told plainly what that means, and the entry recorded in February is not there
    expect(
        page.get_by_text("As known on 31 January 2025: entries recorded later are not shown.")
    ).to_be_visible()
    rows = entry_rows(page)
    expect(rows).to_have_count(6)
    expect(rows.first).to_contain_text("A&E attendance")
    expect(rows.first).to_contain_text("bruise (left cheek)")
    expect(page.locator("table")).not_to_contain_text("Injury observed")
    ui.check("chronology-as-known-on-31-january-2025")

    # When she marks the police incident as significant
    incident = rows.filter(has_text="Police incident")
    incident.get_by_role("button", name=re.compile("^Mark as significant")).click()
    # Then she is back on the same page, as known on the same date, with the entry marked
    expect(page.get_by_text("Marked as significant: Police incident")).to_be_visible()
    expect(page).to_have_url(re.compile(r"as-of-day=31&as-of-month=1&as-of-year=2025"))
    expect(entry_rows(page)).to_have_count(6)
    marked = entry_rows(page).filter(has_text="Police incident")
    expect(marked.locator(".govuk-tag", has_text="Significant")).to_be_visible()
    expect(marked.get_by_role("button", name=re.compile("^Unmark"))).to_be_visible()
    ui.check("chronology-entry-marked")

    # When she downloads the entries as a spreadsheet
    with page.expect_download() as info:
        page.get_by_role("link", name=re.compile("spreadsheet")).click()
    download = info.value
    assert download.suggested_filename == f"chronology-person-{amara}-as-known-2025-01-31.csv"
    with open(download.path(), encoding="utf-8-sig") as handle:
        table = list(csv.reader(handle))
    # Then it holds the same six entries, oldest first, with the mark
    assert table[0][0] == "Date and time (UK)"
    assert [row[3] for row in table[1:]][:2] == ["A&E attendance", "Police incident"]
    assert len(table) == 7
    assert [row[10] for row in table[1:] if row[3] == "Police incident"] == ["Yes"]

    # When she downloads the PDF for the conference
    with page.expect_download() as info:
        page.get_by_role("link", name=re.compile("PDF for a conference")).click()
    download = info.value
    assert download.suggested_filename == f"chronology-person-{amara}-as-known-2025-01-31.pdf"
    with open(download.path(), "rb") as handle:
        pdf = handle.read()
    # Then it is a marked, dated, attributed document about Amara
    assert pdf.startswith(b"%PDF")
    words = pdf_text(pdf)
    assert "Amara Okafor" in words
    assert "Date of birth: 14 May 2021" in words
    assert "As known on 31 January 2025: entries recorded later are not shown." in words
    assert f"Generated by {ui.account.username} (Social worker)" in words
    assert "OFFICIAL-SENSITIVE" in words
    assert "Page 1 of 1" in words
    assert "Injury observed" not in words


def test_the_chronologys_date_errors_follow_the_gov_uk_pattern(ui, people):
    amara, _ = people
    page = ui.page
    ui.sign_in()
    ui.visit(f"/children/{amara}/chronology")
    page.get_by_label("Day").fill("31")
    page.get_by_label("Month").fill("2")
    page.get_by_label("Year").fill("2025")
    page.get_by_role("button", name="Show entries").click()
    expect(page.locator(".govuk-error-summary__list a")).to_have_text(
        ["The date must be a real date"]
    )
    expect(page.locator("#as-of-error")).to_contain_text("The date must be a real date")
    expect(page.locator("#as-of-day")).to_have_class(re.compile("govuk-input--error"))
    expect(page).to_have_title(re.compile("^Error: "))
    expect(entry_rows(page)).to_have_count(0)
    ui.check("chronology-date-error")


def test_a_child_not_open_to_the_worker_is_not_found_with_the_emergency_offer(ui, people):
    _, tomasz = people
    page = ui.page
    ui.sign_in()
    ui.visit(f"/children/{tomasz}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Page not found")
    expect(page.get_by_text("Tomasz")).to_have_count(0)
    offer = page.get_by_role("link", name="request emergency access (break-glass)")
    expect(offer).to_have_attribute("href", f"/break-glass/{tomasz}?next=%2Fchildren%2F{tomasz}")
    ui.check("child-not-found")


def test_the_record_and_chronology_work_without_javascript(ui_without_js, people):
    amara, _ = people
    ui = ui_without_js
    ui.sign_in()
    ui.visit(f"/children/{amara}/chronology?agency=ESC")
    expect(entry_rows(ui.page)).to_have_count(1)
    expect(ui.page.get_by_text("Showing 1 of 7 entries")).to_be_visible()
    ui.check("chronology-filtered-no-js")
    # The CSV is a plain link: fetched as the page's own session would
    response = ui.page.request.get(ui.url(f"/children/{amara}/chronology.csv?agency=ESC"))
    assert response.headers["content-disposition"].startswith("attachment; filename=")
    rows = list(csv.reader(io.StringIO(response.text().lstrip("\ufeff"))))
    assert [row[2] for row in rows[1:]] == ["ESC"]
