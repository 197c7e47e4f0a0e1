"""The team view: a manager's team (a head of service's choice of team), its flags, children
not seen in time or not seen alone, caseloads and the link review queue; 403 for anyone else."""

from __future__ import annotations

import pytest
from django.test import Client

from jigsaw.access.models import AuditEntry, Team
from jigsaw.access.roles import Role
from jigsaw.access.tests.helpers import staff
from jigsaw.access.tests.pages import client_for, page_text
from jigsaw.casework.tests.test_home import put_peter_on_a_plan, send, social_care
from jigsaw.core.clock import clock
from jigsaw.identity.models import ReviewItem
from jigsaw.records.models import PersonRecord


def section(text: str, heading: str, until: str) -> str:
    return text[text.index(heading) : text.index(until, text.index(heading) + len(heading))]


def test_a_team_manager_sees_her_team(world) -> None:
    put_peter_on_a_plan()

    response = client_for(world.user("tm_a")).get("/team")

    assert response.status_code == 200
    text = page_text(response)
    assert "<title>Team A \u2013 Jigsaw</title>" in response.content.decode()
    assert "Team view Team A" in text
    assert 'name="team"' not in response.content.decode()  # one team: nothing to choose
    assert (
        "Children held 1 Flags not closed 2 Overdue flags 2 Not acknowledged and past due 2 "
        "Escalated flags 2 Children not seen within 10 working days 1 Children not seen alone 0"
    ) in text
    flags = section(text, "Flags past due or escalated", "Children not seen within")
    assert "Peter Smith Child on a plan not seen" in flags
    assert "27 Dec 2007 Overdue High Not acknowledged Escalated to the head of service" in flags
    unseen = section(
        text, "Children not seen within 10 working days 1 child", "Children not seen alone"
    )
    assert (
        "Peter Smith sw.a 10 Dec 2007 Not seen for 23 working days "
        "Child protection plan since 3 Dec 2007"
    ) in unseen
    assert "Worker Children sw.a 1 sw.a2 0 tm.a 0" in text
    assert "Anna Jones" not in text


def test_another_team_manager_does_not_see_peter(world) -> None:
    put_peter_on_a_plan()

    text = page_text(client_for(world.user("tm_b")).get("/team"))

    assert "Team view Team B" in text
    assert "Peter Smith" not in text
    assert "Anna Jones sw.b Not seen on a visit Not seen for 39 working days" in text
    assert "Overdue flags 0" in text


def test_a_team_manager_cannot_open_a_team_she_does_not_manage(world) -> None:
    team_a = Team.objects.get(name="Team A")

    response = client_for(world.user("tm_b")).get(f"/team?team={team_a.pk}")
    nonsense = client_for(world.user("tm_b")).get("/team?team=nonsense")

    assert response.status_code == 404
    assert nonsense.status_code == 404
    refused = AuditEntry.objects.filter(action="refused", object_type="team")
    assert sorted(refused.values_list("object_id", flat=True)) == [str(team_a.pk), "nonsense"]


def test_a_head_of_service_chooses_any_team(world) -> None:
    put_peter_on_a_plan()
    team_b = Team.objects.get(name="Team B")
    client = client_for(world.user("hos"))

    first = client.get("/team")
    chosen = client.get(f"/team?team={team_b.pk}")

    # Unless she chooses, the first team by name that holds a case (the MASH holds none).
    assert "Team view Team A" in page_text(first)
    html = first.content.decode()
    assert '<select class="govuk-select" id="team" name="team">' in html
    assert f'<option value="{team_b.pk}">Team B</option>' in html
    assert "Show team" in html
    assert "Peter Smith" in page_text(first)
    assert "Team view Team B" in page_text(chosen)
    assert f'<option value="{team_b.pk}" selected>Team B</option>' in chosen.content.decode()
    assert "Peter Smith" not in page_text(chosen)


def test_a_manager_of_two_teams_chooses_between_them(world) -> None:
    Team.objects.filter(name="Team B").update(manager=world.user("tm_a"))

    html = client_for(world.user("tm_a")).get("/team").content.decode()

    assert "Team A</option>" in html
    assert "Team B</option>" in html
    assert "MASH</option>" not in html


def test_children_not_seen_alone_are_listed(world) -> None:
    # Anna (6) was seen at three visits, never alone.
    send(
        *(
            social_care(f"HV-A{i}", "home_visit", day, {"child_seen": True, "seen_alone": False},
                        local_id="C3")
            for i, day in enumerate(["2007-12-05", "2007-12-19", "2008-01-09"])
        )
    )  # fmt: skip

    text = page_text(client_for(world.user("tm_b")).get("/team"))

    not_alone = section(text, "Children not seen alone", "Caseloads")
    assert "Anna Jones sw.b Never Not seen alone at the last 3 visits" in not_alone
    assert "Children not seen alone 1" in text


def test_a_child_last_seen_alone_long_ago_is_listed_after_six_weeks(world) -> None:
    send(
        social_care("HV-B1", "home_visit", "2007-10-01", {"child_seen": True, "seen_alone": True},
                    local_id="C3"),
        social_care("HV-B2", "home_visit", "2007-11-26", {"child_seen": True, "seen_alone": False},
                    local_id="C3"),
        social_care("HV-B3", "home_visit", "2008-01-14", {"child_seen": True, "seen_alone": False},
                    local_id="C3"),
    )  # fmt: skip

    text = page_text(client_for(world.user("tm_b")).get("/team"))

    assert "Anna Jones sw.b 1 Oct 2007 Not seen alone for 7 weeks" in text
    # Seen yesterday: within the visiting timescale.
    assert "Children not seen within 10 working days 0" in text


def test_the_link_review_queue_is_counted_with_a_link(world) -> None:
    ReviewItem.objects.create(
        record_a=PersonRecord.objects.get(pk=world.records["CSC:C1"]),
        record_b=PersonRecord.objects.get(pk=world.records["NMUH:H2"]),
        weight=3.0,
        probability=0.6,
        explanation={},
        raised_at=clock.now(),
    )

    response = client_for(world.user("tm_a")).get("/team")

    assert "Link review queue 1 pair of records" in page_text(response)
    assert 'href="/review"' in response.content.decode()


def test_the_team_view_is_audited_with_the_children_it_lists(world) -> None:
    put_peter_on_a_plan()

    client_for(world.user("tm_a")).get("/team")

    entry = AuditEntry.objects.filter(action="read", object_type="team").get()
    assert entry.username == "tm.a"
    assert entry.person_ids == [str(world.people["peter"])]
    assert entry.basis == "managed_team"
    assert entry.detail["team"] == Team.objects.get(name="Team A").pk
    # The flags and the review queue were audited by their own selectors.
    assert AuditEntry.objects.filter(action="read", object_type="flags").count() == 1
    assert AuditEntry.objects.filter(action="read", object_type="review_queue").count() == 1


def test_a_team_manager_without_a_team_is_told_so(world) -> None:
    newcomer = staff("new.manager", role=Role.TEAM_MANAGER, team="Team A")

    response = client_for(newcomer).get("/team")

    assert response.status_code == 200
    assert "You do not manage a team yet." in page_text(response)


@pytest.mark.parametrize(
    "key",
    ["sw_a", "director", "mash", "school", "nmuh_lead", "analyst", "inspector", "sysadmin"],
)
def test_everyone_else_is_refused(world, key) -> None:
    response = client_for(world.user(key)).get("/team")

    assert response.status_code == 403
    assert AuditEntry.objects.filter(action="refused", object_type="team").exists()


def test_a_stranger_is_asked_to_sign_in(world) -> None:
    response = Client().get("/team")

    assert response.status_code == 302
    assert response["Location"] == "/sign-in?next=/team"
