"""A team manager's pages: the team view (every open flag, the children not seen, the link
review queue's first pairs), a flag with an action recorded on it, and merging two people then
undoing the merge. Every page reached is checked (screenshot and axe).

This module runs on a server of its own: its flags, merges and decisions would change what
other modules' tests count on the shared system-test records.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.conftest import serve
from tests.system.helpers import add_account

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def jigsaw_server(tmp_path_factory: pytest.TempPathFactory, system_template: Any) -> Iterator[Any]:
    yield from serve(tmp_path_factory, system_template)


# Team A holds Amara's case. A month ago a conference put her on a plan and nobody has visited
# since, so two flags are overdue (and escalated); last night the police were called to her
# home. Her and her mother's hospital records wait in the link review queue. The school sends
# a record of "Mara Okafor" that the matcher keeps as another person (asking a person to review
# the pair), also Team A's to decide about. The ids are left in the server's working directory.
SCENE = """
import json
from datetime import timedelta
from jigsaw.access.models import Team
from jigsaw.casework.local_authority import event_write
from jigsaw.casework.services import allocation_set
from jigsaw.core.clock import clock
from jigsaw.identity.linking import current_links, current_records, explanation_json, stored_model
from jigsaw.identity.matching.engine import score_pair
from jigsaw.identity.models import Person, ReviewItem
from jigsaw.records.models import PersonRecord
from jigsaw.records.tests.factories import ingest
from jigsaw.risk.services import flags_tick

now = clock.now()
team = Team.objects.get(name="Team A")

def record(code, local_id):
    return PersonRecord.objects.get(agency__code=code, local_id=local_id)

def person_of(rec):
    return Person.objects.get(pk=current_links([rec.pk])[rec.pk].person)

amara = person_of(record("NGH", "H-1001"))
allocation_set(person=amara, team=team, reason="child protection")
# The plan and the risk worker's passes as they happened: its flags were raised ten days ago.
with clock.frozen(now - timedelta(days=30)):
    event_write(person=amara, type="cp_conference", occurred_at=clock.now(),
                details={"conference": "initial", "outcome": "plan", "categories": ["neglect"]},
                by=None)
with clock.frozen(now - timedelta(days=10)):
    flags_tick()
incident = {
    "kind": "event", "agency": "ESC", "event_id": "E-P-90", "type": "police_incident",
    "occurred_at": (now - timedelta(hours=14)).isoformat(),
    "recorded_at": (now - timedelta(hours=10)).isoformat(),
    "subjects": [{"local_id": "P-501", "role": "child"},
                 {"local_id": "P-502", "role": "alleged_perpetrator"}],
    "details": {"incident_type": "domestic_abuse", "children_present": True},
}
mara = {"kind": "person", "agency": "RPS", "local_id": "S-3002", "given_name": "Mara",
        "family_name": "Okafor", "sex": "F", "recorded_at": (now - timedelta(days=1)).isoformat()}
assert ingest([incident, mara]).accepted
flags_tick()
mara = person_of(record("RPS", "S-3002"))
assert mara.pk != amara.pk
allocation_set(person=mara, team=team, reason="child protection")

a, b = record("NGH", "H-1001"), record("NGH", "H-1002")
current = current_records([a.pk, b.pk])
scored = score_pair(stored_model().model, current[a.pk].rec, current[b.pk].rec)
item = ReviewItem.objects.create(
    record_a=a, record_b=b, weight=scored.weight, probability=scored.probability,
    explanation=explanation_json(scored.explanation), raised_at=now)
open("scene.json", "w").write(json.dumps({"amara": amara.pk, "mara": mara.pk, "item": item.pk}))
"""


@pytest.fixture(scope="module")
def scene(jigsaw_server: Any) -> dict[str, int]:
    jigsaw_server.shell(SCENE)
    return json.loads((jigsaw_server.workdir / "scene.json").read_text())


@pytest.fixture(scope="module")
def manager(jigsaw_server: Any) -> Any:
    """Team A's manager."""
    return add_account(
        jigsaw_server, "lee.manager", role="team_manager", team="Team A", name="Lee Hart"
    )


def sign_in_as_manager(ui: Any, manager: Any) -> None:
    ui._account = manager
    ui.sign_in()


def rows_of(table: Any) -> list[list[str]]:
    return table.locator("tbody tr").evaluate_all(
        "rows => rows.map(r => [...r.cells].map(c => c.innerText.replace(/\\s+/g, ' ').trim()))"
    )


def section(page: Any, heading: str) -> Any:
    """The table that follows a level-2 heading."""
    return page.locator(f"h2:text-is('{heading}') ~ table").first


def test_a_team_manager_sees_every_open_flag_and_the_pairs_to_review(ui, scene, manager):
    page = ui.page
    # Given Team A's manager, signed in
    sign_in_as_manager(ui, manager)
    # When she opens her team from the menu
    page.get_by_role("navigation", name="Jigsaw menu").get_by_role("link", name="My team").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Team A")
    # Then every flag on Amara that is not closed is listed, the overdue ones first and marked,
    # each saying whether anyone has acknowledged it
    flags = rows_of(section(page, "Open flags"))
    assert {row[0] for row in flags} == {"Amara Okafor"}
    titles = [row[1] for row in flags]
    overdue = [row[1] for row in flags if row[2].endswith("Overdue")]
    assert any(t.startswith("Child on a plan not seen") for t in overdue), flags
    assert any(t.startswith("Core group overdue") for t in overdue), flags
    assert titles[: len(overdue)] == overdue  # the most urgent first
    police = next(row for row in flags if row[1].startswith("Domestic abuse incident"))
    assert not police[2].endswith("Overdue")
    assert all(row[4].startswith("Not acknowledged") for row in flags)
    assert "Escalated to the head of service" in " ".join(row[4] for row in flags)
    # And the pairs waiting in the link review queue are listed, the stronger match first: the
    # school's new record of Mara (raised by the matcher) and the hospital's of Amara and Grace
    pairs = rows_of(section(page, "Link review queue"))
    assert [(p[0], p[1]) for p in pairs] == [
        ("Amara Okafor 14 May 2021", "Mara Okafor Date of birth not known"),
        ("Amara Okafor 14 May 2021", "Grace Okafor 30 Aug 1996"),
    ]
    assert pairs[1][2] == "Very unlikely to be the same person (less than 1%)"
    expect(page.get_by_role("link", name="Open the link review queue")).to_have_attribute(
        "href", "/review"
    )
    ui.check("team")

    # When she opens the pair from the team view
    page.get_by_role("link", name="Review Amara Okafor and Grace Okafor").click()
    # Then she is on the pair's review page
    expect(page).to_have_url(ui.url(f"/review/{scene['item']}"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Review a possible match")
    ui.check("review-from-team")


def test_a_team_manager_records_an_action_on_a_flag(ui, scene, manager):
    page = ui.page
    sign_in_as_manager(ui, manager)
    ui.visit("/team")
    # When she opens last night's police flag from the team view
    page.get_by_role("link", name="Domestic abuse incident in the child's household").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Domestic abuse incident in the child's household"
    )
    ui.check("flag")
    # And records what was done, first forgetting to say it
    page.get_by_role("button", name="Record action").click()
    expect(page.locator(".govuk-error-summary__list a")).to_have_text(
        [re.compile("^Enter what was done")]
    )
    ui.check("action-error")
    page.get_by_label("What was done?").fill("Rang the school: Amara is in today, DSL told.")
    page.get_by_role("button", name="Record action").click()
    # Then the flag says what was done, by whom
    expect(page.locator(".govuk-notification-banner--success")).to_be_visible()
    history = page.locator("ol.jigsaw-timeline")
    expect(history).to_contain_text("Rang the school: Amara is in today, DSL told.")
    ui.check("flag-with-action")
    # And the team view, visited again, still lists it
    ui.visit("/team")
    expect(section(page, "Open flags")).to_contain_text(
        "Domestic abuse incident in the child's household"
    )
    ui.check("team-after-action")


def test_a_team_manager_merges_two_people_then_undoes_it(ui, scene, manager):
    page = ui.page
    amara, mara = scene["amara"], scene["mara"]
    sign_in_as_manager(ui, manager)
    # Given Amara's record, where she starts a merge
    ui.visit(f"/children/{amara}")
    page.get_by_role("link", name="merge them into this record").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Merge another person into Amara Okafor"
    )
    ui.check("merge")
    # When she gives the school's Mara Okafor's person number
    page.get_by_label("Person number").fill(str(mara))
    page.get_by_role("button", name="Continue").click()
    # Then both people are side by side
    expect(page.get_by_role("heading", name="The two people side by side")).to_be_visible()
    expect(page.locator("main")).to_contain_text("RPS:S-3002")
    ui.check("merge-compare")
    # When she merges without a reason, she is asked for one
    page.get_by_role("button", name="Merge these people").click()
    expect(page.locator(".govuk-error-summary__list a")).to_have_text(
        ["Enter why these are the same person"]
    )
    ui.check("merge-error")
    page.get_by_label("Why are these the same person?").fill(
        "The school spelt Amara's name wrongly; same address"
    )
    page.get_by_role("button", name="Merge these people").click()
    # Then the records are merged, and she is told how to undo it
    expect(page.locator(".govuk-panel")).to_contain_text("Records merged")
    expect(page.locator("main")).to_contain_text("RPS:S-3002")
    ui.check("merged")

    # When she finds it was a mistake and undoes it
    page.get_by_role("link", name="Undo this merge").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Undo a merge")
    expect(page.get_by_role("heading", name="What undoing it will do")).to_be_visible()
    decision = re.search(r"/decisions/(\d+)/unmerge", page.url)
    assert decision is not None
    ui.check("unmerge")
    page.get_by_role("button", name="Undo the merge").click()
    expect(page.locator(".govuk-error-summary__list a")).to_have_text(
        ["Enter why this merge was wrong"]
    )
    ui.check("unmerge-error")
    page.get_by_label("Why was this merge wrong?").fill(
        "The school says Mara is Amara's cousin, not Amara"
    )
    page.get_by_role("button", name="Undo the merge").click()
    # Then she is told the records are back with the people they were with
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("Merge undone")
    ui.check("unmerged")
    # And the merge, opened again, says it has been undone, by whom and why
    ui.visit(f"/decisions/{decision[1]}/unmerge")
    banner = page.locator(".govuk-notification-banner")
    expect(banner).to_contain_text("This merge has already been undone")
    expect(banner).to_contain_text("Mara is Amara's cousin")
    expect(page.get_by_role("button", name="Undo the merge")).to_have_count(0)
    ui.check("unmerge-already-undone")
