"""Flags and visits in the browser: a worker acknowledges and closes a flag, and records a visit
where the child was not seen alone and sees the flag it raises.

This module runs on a server of its own (the same `jigsaw serve` set-up as every browser test,
on its own database): the scene below records visits and flags as the local authority, which
would change what other modules' tests count on the shared system-test records.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from tests.conftest import serve
from tests.system.helpers import check_with_reveals

pytestmark = pytest.mark.browser

UK = ZoneInfo("Europe/London")


@pytest.fixture(scope="module")
def jigsaw_server(tmp_path_factory: pytest.TempPathFactory, system_template: Any) -> Iterator[Any]:
    """A server for this module only: its visits and flags would change what other modules
    count on the shared one."""
    yield from serve(tmp_path_factory, system_template)


# Team A (the staff who sign in) holds Amara's case (born May 2021, so well over two). Ten days
# ago a child protection conference put her on a plan; at the two visits since she was seen but
# not alone, each time with a reason. Last night the police were called to her home.
SCENE = """
from datetime import timedelta
from pathlib import Path
from jigsaw.access.models import Team
from jigsaw.casework.local_authority import event_write
from jigsaw.casework.services import allocation_set
from jigsaw.core.clock import clock
from jigsaw.identity.models import Link
from jigsaw.records.models import PersonRecord
from jigsaw.records.tests.factories import ingest

now = clock.now()
record = PersonRecord.objects.get(agency__code="NGH", local_id="H-1001")
amara = Link.objects.filter(record=record).latest("id").person
allocation_set(person=amara, team=Team.objects.get(name="Team A"), reason="child protection")
event_write(person=amara, type="cp_conference", occurred_at=now - timedelta(days=10),
            details={"conference": "initial", "outcome": "plan", "categories": ["emotional"]},
            by=None)
for days in (7, 3):
    event_write(person=amara, type="home_visit", occurred_at=now - timedelta(days=days),
                details={"child_seen": True, "seen_alone": False, "purpose": "statutory_visit",
                         "not_seen_alone_reason": "Amara was upset and wanted her mother"},
                by=None)
incident = {
    "kind": "event", "agency": "ESC", "event_id": "E-P-77", "type": "police_incident",
    "occurred_at": (now - timedelta(hours=14)).isoformat(),
    "recorded_at": (now - timedelta(hours=10)).isoformat(),
    "subjects": [{"local_id": "P-501", "role": "child"},
                 {"local_id": "P-502", "role": "alleged_perpetrator"}],
    "details": {"incident_type": "domestic_abuse", "children_present": True},
}
assert ingest([incident]).accepted
Path("amara.txt").write_text(str(amara.pk))
"""


@pytest.fixture(scope="module")
def amara(jigsaw_server: Any) -> int:
    """Set the scene; Amara's person id."""
    jigsaw_server.shell(SCENE)
    return int((jigsaw_server.workdir / "amara.txt").read_text())


def table_rows(section: Any) -> list[list[str]]:
    return section.locator("table tbody tr").evaluate_all(
        "rows => rows.map(r => [...r.cells].map(c => c.textContent.replace(/\\s+/g, ' ').trim()))"
    )


def flag_section(page: Any, heading: str) -> Any:
    return page.locator("section").filter(
        has=page.get_by_role("heading", level=2, name=re.compile(f"^{heading}"))
    )


def test_a_worker_acknowledges_then_closes_a_flag(ui, amara):
    # Given a signed-in worker of the team holding Amara's case
    ui.sign_in()
    # When they open Flags
    ui.page.get_by_role("navigation", name="Jigsaw menu").get_by_role("link", name="Flags").click()
    # Then the police call last night is there, for Amara, with why and by when
    expect(ui.page.get_by_role("heading", level=1)).to_have_text("Flags")
    still_open = flag_section(ui.page, "Open")
    rows = table_rows(still_open)
    incident = next(r for r in rows if r[1].startswith("Domestic abuse incident"))
    assert incident[0] == "Amara Okafor"
    assert "children were present" in incident[1]
    assert incident[2] == "Medium"
    assert incident[5] == "School designated safeguarding lead"
    ui.check("inbox")

    # When they open the flag
    still_open.get_by_role("link", name=re.compile("^Domestic abuse incident")).click()
    expect(ui.page.get_by_role("heading", level=1)).to_have_text(
        "Domestic abuse incident in the child's household"
    )
    expect(ui.page.get_by_text("Amara Okafor").first).to_be_visible()
    evidence = ui.page.get_by_role("link", name=re.compile("^See in chronology"))
    expect(evidence).to_have_attribute("href", f"/children/{amara}/chronology#event-ESC-E-P-77")
    ui.check("flag")

    # And acknowledge it
    ui.page.get_by_role("button", name="Acknowledge this flag").click()
    expect(ui.page.locator(".govuk-notification-banner--success")).to_contain_text(
        "You have acknowledged this flag"
    )
    expect(ui.page.get_by_role("heading", name=re.compile("^Acknowledged by "))).to_be_visible()
    expect(ui.page.get_by_role("button", name="Acknowledge this flag")).to_have_count(0)
    ui.check("acknowledged")

    # When they try to close it without saying why
    ui.page.get_by_role("button", name="Close flag").click()
    # Then both questions are asked again, in the error summary and on the fields
    expect(ui.page.locator(".govuk-error-summary__list a")).to_have_text(
        [
            "Select why the flag is being closed",
            "Enter an explanation of why the flag is being closed",
        ]
    )
    expect(ui.page).to_have_title(re.compile("^Error: "))
    ui.check("close-errors")

    # When they give the reason and explain
    ui.page.get_by_label("Action taken").check()
    ui.page.get_by_label("Explain why").fill("School told the same morning; safety plan agreed.")
    ui.page.get_by_role("button", name="Close flag").click()
    # Then the flag is closed, with who, why and what was said
    expect(ui.page.locator(".govuk-notification-banner--success")).to_contain_text(
        "This flag has been closed"
    )
    expect(ui.page.get_by_role("heading", name=re.compile(": Action taken$"))).to_be_visible()
    expect(ui.page.get_by_text("School told the same morning; safety plan agreed.")).to_be_visible()
    expect(ui.page.get_by_role("button", name="Close flag")).to_have_count(0)
    ui.check("closed")

    # And it has left the inbox
    ui.visit("/flags")
    expect(ui.page.get_by_text("Domestic abuse incident in the child's household")).to_have_count(0)
    ui.check("inbox-after-close")


def test_the_visit_form_works_without_javascript(ui_without_js, amara):
    ui = ui_without_js
    # Given a signed-in worker with JavaScript switched off
    ui.sign_in()
    # When they open the visit form, every question is on the page
    ui.visit(f"/children/{amara}/visits/new")
    expect(ui.page.get_by_role("heading", level=1)).to_have_text("Record a visit")
    questions = (
        "Was the child seen alone?",
        "Why not?",
        "What did the child say?",
        "Why was the child not seen?",
    )
    for question in questions:
        expect(ui.page.get_by_text(question).first).to_be_visible()
    ui.check("visit-form-no-js")
    # When they say Amara was seen, not alone, and give no reason
    ui.page.locator("#child-seen").check()
    ui.page.locator("#seen-alone-2").check()
    ui.page.get_by_role("button", name="Save visit").click()
    # Then they are asked for what is missing, and nothing else
    expect(ui.page.locator(".govuk-error-summary__list a")).to_have_text(
        [
            "Enter the date of the visit",
            "Enter the time of the visit",
            "Enter why the child was not seen alone",
            "Enter what the child said, in their own words",
            "Select the purpose of the visit",
        ]
    )
    ui.check("visit-errors-no-js")


def test_a_visit_where_the_child_was_not_seen_alone_raises_a_flag(ui, amara):
    # Given a signed-in worker on Amara's visit form
    ui.sign_in()
    ui.visit(f"/children/{amara}/visits/new")
    page = ui.page
    # Then the questions that depend on an answer are hidden until it is given
    expect(page.get_by_label("Why not?")).to_be_hidden()
    check_with_reveals(ui, "visit-form")
    # When they record this morning's visit: seen, but not alone
    earlier = datetime.now(UK) - timedelta(hours=1)
    page.get_by_label("Day").fill(str(earlier.day))
    page.get_by_label("Month").fill(str(earlier.month))
    page.get_by_label("Year").fill(str(earlier.year))
    page.get_by_label("Time of the visit").fill(f"{earlier:%H:%M}")
    page.locator("#child-seen").check()
    page.locator("#seen-alone-2").check()
    page.get_by_label("Why not?").fill("Her mother's partner would not leave the room.")
    page.get_by_label("What did the child say? (the child's own words)").fill(
        "I don't like it when Danny shouts."
    )
    page.get_by_label("Who else was present?").fill("Grace Okafor (mother)\nDaniel Price")
    page.get_by_label("Statutory visit").check()
    check_with_reveals(ui, "visit-filled")
    page.get_by_role("button", name="Save visit").click()

    # Then they are back on Amara's page, told the visit was saved and that it raised a flag
    expect(page).to_have_url(ui.url(f"/children/{amara}"))
    banner = page.locator(".govuk-notification-banner--success")
    expect(banner).to_contain_text("recorded for Amara Okafor")
    expect(banner).to_contain_text("New flag: Child not seen alone (medium)")
    ui.check("visit-saved")

    # And the flag is on their list, saying why
    ui.visit("/flags")
    row = next(r for r in table_rows(ui.page) if r[1].startswith("Child not seen alone"))
    assert row[0] == "Amara Okafor"
    assert "not seen alone at the last 3 visits" in row[1]
    assert row[2] == "Medium"
    ui.check("inbox-after-visit")
