"""The team view: a manager's team (a head of service's choice of team), its flags, children
not seen in time or not seen alone, caseloads and the link review queue; 403 for anyone else."""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape

import pytest
from django.test import Client

from jigsaw.access.models import AuditEntry, Team
from jigsaw.access.roles import Role
from jigsaw.access.tests.helpers import staff
from jigsaw.access.tests.pages import client_for, page_text
from jigsaw.casework.caseload import FlagLine, team_flag_order
from jigsaw.casework.tests.test_home import put_peter_on_a_plan, send, social_care
from jigsaw.core.clock import clock
from jigsaw.identity.models import ReviewItem
from jigsaw.records.models import PersonRecord
from jigsaw.records.tests.factories import EventObj
from jigsaw.risk.models import Flag
from jigsaw.risk.services import flag_acknowledge


def review_item(world, a: str, b: str, *, weight: float, probability: float) -> ReviewItem:
    return ReviewItem.objects.create(
        record_a=PersonRecord.objects.get(pk=world.records[a]),
        record_b=PersonRecord.objects.get(pk=world.records[b]),
        weight=weight,
        probability=probability,
        explanation={},
        raised_at=clock.now(),
    )


def flag_rows(response) -> list[list[str]]:
    """The cells of each row of the open flags table, as text."""
    html = response.content.decode()
    table = html[html.index('id="open-flags"') :]
    table = table[table.index("<tbody") : table.index("</tbody>")]
    return [
        [" ".join(unescape(re.sub(r"<[^>]+>", " ", cell)).split())
         for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, flags=re.S)]
        for row in re.findall(r"<tr[^>]*>(.*?)</tr>", table, flags=re.S)
    ]  # fmt: skip


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
        "Children held 1 Flags not closed 2 Overdue flags 2 Not acknowledged 2 "
        "Not acknowledged and past due 2 Escalated flags 2 "
        "Children not seen within 10 working days 1 Children not seen alone 0"
    ) in text
    flags = section(text, "Open flags", "Children not seen within")
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
    item = review_item(world, "CSC:C1", "NMUH:H2", weight=3.0, probability=0.6)

    response = client_for(world.user("tm_a")).get("/team")

    text = page_text(response)
    assert "Link review queue 1 pair of records" in text
    # The pair itself is listed, with both names and births, how alike, and a link to review it.
    queue = section(text, "Link review queue Pairs of agency records", "Caseloads")
    assert (
        "Peter Smith 1 Mar 2006 Tracey Smith 12 May 1980 "
        "Possibly the same person (60%) Review Peter Smith and Tracey Smith"
    ) in queue, queue
    html = response.content.decode()
    assert f'href="/review/{item.pk}"' in html
    assert "Open the link review queue" in text


def test_the_team_view_lists_the_head_of_a_long_review_queue(world) -> None:
    # Six pairs about Team A's Peter and his mother: the five strongest are listed.
    pairs = [("CSC:C1", "NMUH:H2"), ("CSC:C1", "CSC:C2"), ("NMUH:H1", "NMUH:H2"),
             ("NMUH:H1", "CSC:C2"), ("MPS:P2", "CSC:C2"), ("MPS:P2", "NMUH:H2")]  # fmt: skip
    items = [
        review_item(world, a, b, weight=10.0 - n, probability=0.9 - n / 10)
        for n, (a, b) in enumerate(pairs)
    ]

    response = client_for(world.user("tm_a")).get("/team")

    html = response.content.decode()
    listed = [int(i) for i in re.findall(r'href="/review/(\d+)"', html)]
    assert listed == [i.pk for i in items[:5]]
    assert "See all 6 pairs in the link review queue" in page_text(response)


def test_open_flags_are_listed_most_urgent_first_marked_overdue_or_not_acknowledged(world):
    # Peter's two flags from his plan are overdue (one acknowledged since); last night the police
    # were called to his home, and that flag is due before the next school day.
    put_peter_on_a_plan()
    overdue = Flag.objects.get(rule_id="core-group-overdue")
    flag_acknowledge(flag=overdue, user=world.user("sw_a"))
    send(
        EventObj(agency="MPS", event_id="INC-2", type="police_incident",
                 occurred_at="2008-01-14T22:00:00Z", recorded_at="2008-01-15T08:00:00Z",
                 subjects=[{"local_id": "P2", "role": "child"},
                           {"local_id": "P1", "role": "alleged_perpetrator"}],
                 details={"incident_type": "domestic_abuse", "children_present": True})
    )  # fmt: skip

    response = client_for(world.user("tm_a")).get("/team")

    text = page_text(response)
    assert "Flags not closed 3 Overdue flags 2 Not acknowledged 2 " in text
    rows = flag_rows(response)
    assert [(r[1][:24], r[2], r[3], r[4]) for r in rows] == [
        ("Child on a plan not seen", "27 Dec 2007 Overdue", "High",
         "Not acknowledged Escalated to the head of service"),
        ("Core group overdue No co", "24 Dec 2007 Overdue", "Medium",
         "Acknowledged Escalated to the head of service"),
        ("Domestic abuse incident ", "22 Jan 2008", "Medium", "Not acknowledged"),
    ]  # fmt: skip
    html = response.content.decode()
    assert html.count('<strong class="govuk-tag govuk-tag--blue">') == 2  # not acknowledged
    assert html.count('<strong class="govuk-tag govuk-tag--red">') == 2  # overdue


def flag_line(key: int, severity: str, due_in_days: int, state: str = "open") -> FlagLine:
    now = clock.now()
    return FlagLine(
        id=key, person_id=1, child="Peter Smith", title=f"Flag {key}", reason="", severity=severity,
        state=state, escalation="", due_by=now + timedelta(days=due_in_days),
        overdue=due_in_days < 0, due_today=due_in_days == 0,
    )  # fmt: skip


def test_the_most_urgent_flag_comes_first(clock) -> None:
    flags = [
        flag_line(1, "high", 3),  # high, due in three days
        flag_line(2, "medium", -2),  # overdue by two days
        flag_line(3, "immediate", 1),
        flag_line(4, "medium", 1),
        flag_line(5, "high", -1, state="acknowledged"),
        flag_line(6, "high", 1),
    ]
    # Overdue or immediate first (by severity, then the longest overdue), then by severity and
    # the soonest due.
    assert [f.id for f in sorted(flags, key=team_flag_order)] == [3, 5, 2, 6, 1, 4]


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
