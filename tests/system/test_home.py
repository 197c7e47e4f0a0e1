"""The home page: a social worker's caseload, the child who needs her today at the top."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

MARK = "system test: home page"
# Amara (last seen by children's services in April 2024) and Tomasz (never visited) are
# allocated to the worker who signs in; by name Tomasz Nowak would come first.
SCENE = """
from django.contrib.auth import get_user_model
from jigsaw.access.models import Team
from jigsaw.casework.services import allocation_set
from jigsaw.identity.models import Link
from jigsaw.records.models import PersonRecord

worker = get_user_model().objects.get(username={username!r})
for local_id in ("H-1001", "H-1003"):
    record = PersonRecord.objects.get(agency__code="NGH", local_id=local_id)
    person = Link.objects.filter(record=record).latest("id").person
    allocation_set(person=person, team=Team.objects.get(name="Team A"), worker=worker,
                   reason={mark!r})
"""
# Each child goes back to whoever held the case before (nobody, or Team A for Amara when the
# records tests ran first), so other tests find the world as they left it.
RESTORE = """
from jigsaw.casework.models import Allocation
from jigsaw.casework.selectors import allocation_of
from jigsaw.casework.services import allocation_set
from jigsaw.core.clock import clock

for mine in Allocation.objects.filter(reason={mark!r}).order_by("id"):
    now = allocation_of(person_id=mine.person_id, at=clock.now())
    if now is None or now.pk != mine.pk:
        continue
    before = (Allocation.objects.filter(person_id=mine.person_id, id__lt=mine.pk)
              .order_by("-started_at", "-id").first())
    team = before.team if before is not None else None
    allocation_set(person=mine.person, team=team,
                   worker=before.worker if team is not None else None,
                   reason="restored after the home page test")
"""


def table_rows(table):
    return table.locator("tbody tr").evaluate_all(
        "rows => rows.map(r => [...r.cells].map(c => c.innerText.replace(/\\s+/g, ' ').trim()))"
    )


@pytest.fixture
def two_children(ui, jigsaw_server):
    """The worker who will sign in holds Amara's case and Tomasz's."""
    jigsaw_server.shell(SCENE.format(username=ui.account.username, mark=MARK))
    yield
    jigsaw_server.shell(RESTORE.format(mark=MARK))


def test_the_child_who_needs_her_today_is_at_the_top_and_it_says_why(ui, two_children):
    # Given a Team A social worker who holds Amara's and Tomasz's cases
    # When she signs in
    ui.sign_in()
    page = ui.page
    # Then her home page is her caseload, saying how many children need her today
    expect(page.get_by_role("heading", level=1)).to_have_text("Your caseload")
    expect(page).to_have_title("Your caseload \u2013 Jigsaw")
    expect(page.get_by_text("2 children allocated to you. 1 needs you today.")).to_be_visible()
    nav = page.get_by_role("navigation", name="Jigsaw menu")
    expect(nav.get_by_role("link", name="Home")).to_have_attribute("aria-current", "true")
    # And no flag of hers is due
    expect(page.get_by_text("No flags on your children are due today or overdue.")).to_be_visible()
    # And Amara, whom nobody from children's services has seen since April 2024, is at the
    # top with the reason, ahead of Tomasz although his name comes first
    caseload = page.locator("table", has=page.get_by_role("columnheader", name="Why now"))
    rows = table_rows(caseload)
    assert [re.sub(r" \d+ years$", "", row[0]) for row in rows] == ["Amara Okafor", "Tomasz Nowak"]
    amara, tomasz = rows
    assert re.fullmatch(r"Needs you today Not seen for \d+ working days", amara[1]), amara[1]
    assert amara[2:] == [
        "25 Apr 2024",
        "Never",
        "Referral decision 19 Apr 2024: assessment by children's social care",
        "None",
    ]
    assert tomasz[1:] == [
        "Nothing due",
        "Not seen on a visit",
        "Not seen on a visit",
        "No plan or assessment recorded",
        "None",
    ]
    expect(caseload.get_by_role("link", name="Amara Okafor")).to_have_attribute(
        "href", re.compile(r"^/children/\d+$")
    )
    ui.check("caseload")
