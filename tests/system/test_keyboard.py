"""The practitioners' forms from the keyboard alone: recording a visit, closing a flag, rating
and deciding a contact at the front door, and the chronology's filters, "as known on" and export.

Once signed in (signing in by keyboard has its own test), nothing is clicked: Tab and Shift+Tab
move, Enter follows a link or sends a form, Space and the arrow keys choose. At every stop the
focus must be visible (GOV.UK's yellow focus state), and a form sent with errors must put the
focus on the error summary, whose links take it to the field (GOV.UK's error summary).

This module runs on a server of its own: its visits, closed flags and decisions would change
what other modules' tests count on the shared system-test records.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from tests.conftest import serve
from tests.system.helpers import add_account, check_with_reveals

pytestmark = pytest.mark.browser

UK = ZoneInfo("Europe/London")


@pytest.fixture(scope="module")
def jigsaw_server(tmp_path_factory: pytest.TempPathFactory, system_template: Any) -> Iterator[Any]:
    yield from serve(tmp_path_factory, system_template)


# Team A (the social workers who sign in) holds Amara's case; last night the police were called
# to her home, which raised a flag. A school has rung the front door about Tomasz. The ids are
# left in the server's working directory.
SCENE = """
import json
from datetime import timedelta
from django.contrib.auth import get_user_model
from jigsaw.access.models import Team
from jigsaw.casework.front_door import Referrer, contact_create
from jigsaw.casework.services import allocation_set
from jigsaw.core.clock import clock
from jigsaw.identity.linking import current_links
from jigsaw.identity.models import Person
from jigsaw.records.models import PersonRecord
from jigsaw.records.tests.factories import ingest
from jigsaw.risk.models import Flag

now = clock.now()

def person_of(code, local_id):
    record = PersonRecord.objects.get(agency__code=code, local_id=local_id)
    return current_links([record.pk])[record.pk].person

amara = person_of("NGH", "H-1001")
allocation_set(person=Person.objects.get(pk=amara), team=Team.objects.get(name="Team A"),
               reason="assessment")
incident = {
    "kind": "event", "agency": "ESC", "event_id": "E-P-81", "type": "police_incident",
    "occurred_at": (now - timedelta(hours=14)).isoformat(),
    "recorded_at": (now - timedelta(hours=10)).isoformat(),
    "subjects": [{"local_id": "P-501", "role": "child"},
                 {"local_id": "P-502", "role": "alleged_perpetrator"}],
    "details": {"incident_type": "domestic_abuse", "children_present": True},
}
assert ingest([incident]).accepted
flag = Flag.objects.filter(person_id=amara, rule_id="domestic-abuse-child-present").latest("id")
contact = contact_create(
    user=get_user_model().objects.get(username="kbd.mash"),
    referrer=Referrer("RPS", "Ms K Hughes", "Designated safeguarding lead"),
    received_at=now - timedelta(minutes=20),
    summary="Tomasz has a bruise on his arm and says he fell off his bike.",
    child_id=person_of("NGH", "H-1003"),
)
open("scene.json", "w").write(json.dumps({"amara": amara, "flag": flag.pk, "contact": contact.pk}))
"""


@pytest.fixture(scope="module")
def mash(jigsaw_server: Any) -> Any:
    return add_account(
        jigsaw_server, "kbd.mash", role="mash_practitioner", team="MASH", name="Mo Shah"
    )


@pytest.fixture(scope="module")
def scene(jigsaw_server: Any, mash: Any) -> dict[str, int]:
    jigsaw_server.shell(SCENE)
    return json.loads((jigsaw_server.workdir / "scene.json").read_text())


# What GOV.UK's focus state looks like: yellow (#ffdd00) as an outline, a background or a box
# shadow on the element, or (radios and checkboxes) a ring drawn around the label's box.
FOCUS_SHOWN = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return "nothing has the focus";
  const yellow = "rgb(255, 221, 0)";
  const shows = s => (s.outlineStyle !== "none" && s.outlineColor === yellow
                      && parseFloat(s.outlineWidth) > 0)
                     || s.backgroundColor === yellow || s.boxShadow.includes(yellow);
  if (shows(getComputedStyle(el))) return "";
  if (el.matches(".govuk-radios__input, .govuk-checkboxes__input")
      && shows(getComputedStyle(el.nextElementSibling, "::before"))) return "";
  return "no visible focus on " + el.outerHTML.slice(0, 160);
}"""


def focus_shown(page: Any) -> None:
    problem = page.evaluate(FOCUS_SHOWN)
    assert not problem, problem


def has_focus(locator: Any) -> bool:
    return bool(locator.evaluate("el => el === document.activeElement"))


def tab_to(page: Any, target: Any, *, back: bool = False, limit: int = 200) -> None:
    """Tab (Shift+Tab with `back`) until `target` has the focus; every stop on the way must
    show that it has it."""
    key = "Shift+Tab" if back else "Tab"
    for _ in range(limit):
        page.keyboard.press(key)
        focus_shown(page)
        if has_focus(target):
            return
    raise AssertionError(f"{limit} presses of {key} did not reach {target}")


def from_the_top(ui: Any, path: str) -> None:
    """Open a page with nothing focused, as a person arriving at it would."""
    ui.visit(path)
    ui.page.evaluate("document.activeElement && document.activeElement.blur()")


def errors_take_the_focus(page: Any, first: str, field: Any) -> None:
    """The error summary has the focus; its first link is `first` and takes the focus to
    `field`."""
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_focused()
    focus_shown(page)
    page.keyboard.press("Tab")
    expect(summary.get_by_role("link").first).to_be_focused()
    expect(summary.get_by_role("link").first).to_have_text(first)
    focus_shown(page)
    page.keyboard.press("Enter")
    expect(field).to_be_focused()
    focus_shown(page)


def test_recording_a_visit_from_the_keyboard(ui, scene):
    page = ui.page
    ui.sign_in()
    # Given Amara's record, with nothing focused
    from_the_top(ui, f"/children/{scene['amara']}")
    # When the worker tabs to "Record a visit" and presses Enter
    tab_to(page, page.get_by_role("button", name="Record a visit"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Record a visit")
    # And sends the form straight away
    tab_to(page, page.get_by_role("button", name="Save visit"))
    page.keyboard.press("Enter")
    # Then the error summary has the focus, and its first link takes her to the date
    expect(page.locator(".govuk-error-summary__list a")).to_have_text(
        [
            "Enter the date of the visit",
            "Enter the time of the visit",
            "Select yes if the child was seen",
            "Select the purpose of the visit",
        ]
    )
    errors_take_the_focus(page, "Enter the date of the visit", page.locator("#visit-date-day"))
    check_with_reveals(ui, "visit-errors")

    # When she types the date and time, moving on with Tab
    earlier = datetime.now(UK) - timedelta(hours=1)
    page.keyboard.type(str(earlier.day))
    for part in (earlier.month, earlier.year):
        page.keyboard.press("Tab")
        focus_shown(page)
        page.keyboard.type(str(part))
    page.keyboard.press("Tab")
    expect(page.locator("#visit-time")).to_be_focused()
    page.keyboard.type(f"{earlier:%H:%M}")
    # (and goes back with Shift+Tab to check the year)
    page.keyboard.press("Shift+Tab")
    expect(page.locator("#visit-date-year")).to_be_focused()
    expect(page.locator("#visit-date-year")).to_have_value(str(earlier.year))
    # And says the child was not seen: Tab to the question, the arrow key to "No"
    tab_to(page, page.locator("#child-seen"))
    page.keyboard.press("ArrowDown")
    expect(page.locator("#child-seen-2")).to_be_checked()
    focus_shown(page)
    # Then she is asked why, next in the tab order
    page.keyboard.press("Tab")
    reason = page.get_by_label("Why was the child not seen?")
    expect(reason).to_be_focused()
    page.keyboard.type("Nobody answered the door; a neighbour said the family were away.")
    # When she chooses the purpose with Space and sends the form with Enter
    tab_to(page, page.locator("#purpose"))
    page.keyboard.press("Space")
    expect(page.get_by_label("Statutory visit")).to_be_checked()
    tab_to(page, page.get_by_role("button", name="Save visit"))
    page.keyboard.press("Enter")
    # Then the visit is saved, and she is back on Amara's record
    expect(page).to_have_url(ui.url(f"/children/{scene['amara']}"))
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text(
        "recorded for Amara Okafor"
    )
    check_with_reveals(ui, "visit-saved")


def test_closing_a_flag_from_the_keyboard(ui, scene):
    page = ui.page
    ui.sign_in()
    # Given the flags inbox, with nothing focused
    from_the_top(ui, "/flags")
    # When the worker tabs to last night's police flag and opens it
    tab_to(page, page.locator(f"a[href='/flags/{scene['flag']}']"))
    page.keyboard.press("Enter")
    expect(page).to_have_url(ui.url(f"/flags/{scene['flag']}"))
    # And presses "Close flag" without answering
    tab_to(page, page.get_by_role("button", name="Close flag"))
    page.keyboard.press("Enter")
    # Then the error summary has the focus and takes her to the first question
    errors_take_the_focus(
        page, "Select why the flag is being closed", page.locator("#close-reason")
    )
    ui.check("close-errors")
    # When she chooses the first reason with Space, tabs to the explanation and types it
    page.keyboard.press("Space")
    expect(page.get_by_label("Action taken")).to_be_checked()
    tab_to(page, page.get_by_label("Explain why"))
    page.keyboard.type("School told before 9am; safety plan agreed with Amara's mother.")
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Close flag")).to_be_focused()
    focus_shown(page)
    page.keyboard.press("Enter")
    # Then the flag is closed
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text(
        "This flag has been closed"
    )
    ui.check("closed")
    # And the inbox no longer lists it
    ui.visit("/flags")
    expect(page.get_by_text("Domestic abuse incident in the child's household")).to_have_count(0)
    ui.check("inbox-after-close")


def test_rating_and_deciding_a_contact_from_the_keyboard(ui, scene, mash):
    page = ui.page
    ui._account = mash
    ui.sign_in()
    # Given the contact about Tomasz, with nothing focused
    from_the_top(ui, f"/contacts/{scene['contact']}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Contact about Tomasz Nowak")
    # When the practitioner saves a rating without choosing one
    tab_to(page, page.get_by_role("button", name="Save rating"))
    page.keyboard.press("Enter")
    # Then the error summary has the focus and takes her to the ratings
    errors_take_the_focus(page, "Select red, amber or green", page.locator("#rag"))
    ui.check("rating-error")
    # When she moves to Amber with the arrow key, gives her reason and saves
    page.keyboard.press("ArrowDown")
    expect(page.locator("#rag-2")).to_be_checked()
    expect(page.locator("label[for='rag-2']")).to_have_text("Amber: a decision is needed today")
    tab_to(page, page.get_by_label("Why this rating?"))
    page.keyboard.type("Explained injury, but the third this term")
    tab_to(page, page.get_by_role("button", name="Save rating"))
    page.keyboard.press("Enter")
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Contact rated Amber")
    # And chooses an assessment with the arrow keys, gives her reason and records it
    tab_to(page, page.locator("#decision"))
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    expect(page.get_by_label("Assessment by children's social care")).to_be_checked()
    focus_shown(page)
    page.keyboard.press("Tab")
    expect(page.get_by_label("Reason for the decision")).to_be_focused()
    page.keyboard.type("Repeated injuries: an assessment will see the whole picture.")
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Record decision")).to_be_focused()
    page.keyboard.press("Enter")
    # Then the decision is recorded
    expect(page.locator(".govuk-notification-banner")).to_contain_text(
        "Decision recorded: Assessment by children's social care"
    )
    expect(page.get_by_role("button", name="Record decision")).to_have_count(0)
    ui.check("decided")


def test_the_chronology_filters_and_export_from_the_keyboard(ui, scene):
    page = ui.page
    ui.sign_in()
    # Given Amara's chronology, with nothing focused
    from_the_top(ui, f"/children/{scene['amara']}/chronology")
    # When the worker types a date that does not exist and presses Enter in the year
    tab_to(page, page.locator("#as-of-day"))
    page.keyboard.type("31")
    page.keyboard.press("Tab")
    page.keyboard.type("2")
    page.keyboard.press("Tab")
    page.keyboard.type("2025")
    page.keyboard.press("Enter")
    # Then the error summary has the focus and takes her back to the day
    errors_take_the_focus(page, "The date must be a real date", page.locator("#as-of-day"))
    ui.check("chronology-date-error")
    # When she corrects the month, to make it 31 January 2025, and presses Enter
    page.keyboard.press("Tab")
    page.keyboard.press("Control+A")
    page.keyboard.type("1")
    page.keyboard.press("Enter")
    expect(page.locator("#as-of-statement")).to_contain_text("As known on 31 January 2025")
    # And then asks for the oldest first and the police's entries only (the agencies to choose
    # from are those of the entries as known on that day)
    tab_to(page, page.locator("#order"))  # "Newest first", chosen now
    page.keyboard.press("ArrowDown")
    expect(page.get_by_label("Oldest first")).to_be_checked()
    police = page.get_by_label("Eastshire Constabulary")
    tab_to(page, police)
    page.keyboard.press("Space")
    expect(police).to_be_checked()
    tab_to(page, page.get_by_role("button", name="Show entries"))
    page.keyboard.press("Enter")
    # Then the entries are the police's, as known on that day
    expect(
        page.get_by_text("As known on 31 January 2025: entries recorded later are not shown.")
    ).to_be_visible()
    rows = page.locator("table tbody tr[id^='entry-']")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Police incident")
    ui.check("chronology-filtered")
    # When she tabs to the spreadsheet link and presses Enter
    tab_to(page, page.get_by_role("link", name=re.compile("spreadsheet")))
    with page.expect_download() as info:
        page.keyboard.press("Enter")
    # Then the file holds the same entry, as known on the same day
    download = info.value
    assert download.suggested_filename.endswith("-as-known-2025-01-31.csv")
    with open(download.path(), encoding="utf-8-sig") as handle:
        table = list(csv.reader(handle))
    assert len(table) == 2
    assert table[1][3] == "Police incident"


def test_the_focus_check_tells_a_visible_focus_from_none(ui):
    # The check above is only worth its passes if it can fail: a heading given the focus by a
    # script shows nothing, the username field GOV.UK's yellow.
    page = ui.page
    ui.visit("/sign-in")
    assert page.evaluate(FOCUS_SHOWN) == "nothing has the focus"
    page.locator("h1").evaluate("h => { h.tabIndex = -1; h.focus(); }")
    assert page.evaluate(FOCUS_SHOWN).startswith("no visible focus on <h1")
    tab_to(page, page.get_by_label("Username"))
    assert page.evaluate(FOCUS_SHOWN) == ""
