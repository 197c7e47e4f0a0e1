"""The break-glass pages: asking why, the grant, the manager told, review; and notifications."""

from __future__ import annotations

import re

import pytest

from jigsaw.access.models import AuditEntry, BreakGlass, Notification
from jigsaw.access.need_to_know import Basis, access_to, viewer_of
from jigsaw.access.selectors import unread_notification_count
from jigsaw.access.tests.pages import client_for, error_summary, page_text
from jigsaw.access.tests.world import STAFF

pytestmark = pytest.mark.django_db

REASON = "Police at the door out of hours; need the child's health history now"
MAY_BREAK_GLASS = {"sw_a", "sw_a2", "sw_b", "tm_a", "tm_b", "hos", "mash", "nmuh_lead"}
REVIEWERS = {"tm_a", "tm_b", "hos"}
EVERYONE = [key for key, *_ in STAFF]


def open_glass(world, key: str, person_id: int | str, reason: str = REASON, **extra):
    return client_for(world.user(key)).post(
        f"/break-glass/{person_id}", {"reason": reason, **extra}
    )


# --- asking --------------------------------------------------------------------------------


@pytest.mark.parametrize("key", EVERYONE)
def test_the_break_glass_page_is_for_roles_that_may_break_glass(world, key: str) -> None:
    response = client_for(world.user(key)).get(f"/break-glass/{world.people['peter']}")

    assert response.status_code == (200 if key in MAY_BREAK_GLASS else 403)
    if key not in MAY_BREAK_GLASS:
        assert "You cannot see this page" in page_text(response)


def test_the_page_asks_why_and_warns_that_it_is_recorded(world) -> None:
    response = client_for(world.user("sw_b")).get(
        f"/break-glass/{world.people['peter']}?next=/agencies"
    )

    text = page_text(response)
    assert "Why do you need to see this record now?" in text
    assert "Your access is recorded, with your reason, and the child's team manager is told" in text
    html = response.content.decode()
    assert 'name="csrfmiddlewaretoken"' in html
    assert '<textarea class="govuk-textarea" id="reason" name="reason"' in html
    assert 'name="next" value="/agencies"' in html
    assert "<title>Break-glass access \u2013 Jigsaw</title>" in html


@pytest.mark.parametrize(
    ("reason", "message"),
    [
        ("", "Enter why you need to see this record now"),
        ("   ", "Enter why you need to see this record now"),
        ("urgent", "Reason must be 10 characters or more"),
        ("x" * 2001, "Reason must be 2,000 characters or fewer"),
    ],
)
def test_a_missing_or_short_reason_is_a_gov_uk_error(world, reason: str, message: str) -> None:
    response = open_glass(world, "sw_b", world.people["peter"], reason)

    assert response.status_code == 400
    assert error_summary(response) == [("#reason", message)]
    assert 'id="reason-error"' in response.content.decode()
    assert "<title>Error: Break-glass access" in response.content.decode()
    assert not BreakGlass.objects.exists()
    assert not AuditEntry.objects.filter(action="break_glass").exists()


def test_break_glass_opens_the_record_tells_the_childs_manager_and_is_audited(world) -> None:
    peter, sw_b = world.people["peter"], world.user("sw_b")
    assert access_to(viewer_of(sw_b), peter) is None

    response = open_glass(world, "sw_b", peter)

    assert (response.status_code, response["Location"]) == (302, "/")
    grant = BreakGlass.objects.get()
    assert (grant.user, grant.person_id, grant.reason) == (sw_b, str(peter), REASON)
    # Peter is held by Team A: its manager is told, not the worker's own (Team B's).
    note = Notification.objects.get()
    assert (note.recipient, note.break_glass) == (world.user("tm_a"), grant)
    entry = AuditEntry.objects.get(action="break_glass")
    assert (entry.username, entry.person_ids, entry.basis, entry.reason) == (
        "sw.b",
        [str(peter)],
        "break_glass",
        REASON,
    )
    access = access_to(viewer_of(sw_b), peter)
    assert access is not None
    assert (access.basis, access.reason) == (Basis.BREAK_GLASS, REASON)


def test_the_user_is_told_how_long_they_have(world) -> None:
    client = client_for(world.user("sw_b"))
    client.post(f"/break-glass/{world.people['peter']}", {"reason": REASON})

    text = page_text(client.get("/"))

    assert f"You can see person {world.people['peter']}'s record until 15 Jan 2008, 16:00" in text


@pytest.mark.parametrize(
    ("given", "goes_to"),
    [
        ("/agencies?page=2", "/agencies?page=2"),
        ("https://evil.example/", "/"),
        ("//evil.example/", "/"),
        ("/\\evil.example/", "/"),
        ("javascript:alert(1)", "/"),
    ],
)
def test_afterwards_it_goes_back_only_to_a_page_of_jigsaw(world, given: str, goes_to: str) -> None:
    response = open_glass(world, "sw_b", world.people["peter"], next=given)

    assert response["Location"] == goes_to


def test_an_id_that_names_nobody_gets_the_same_page_and_the_same_grant(world) -> None:
    """Refusing it would tell the user who exists: the grant is recorded and reviewed alike."""
    client = client_for(world.user("sw_b"))
    nobody = max(world.people.values()) + 1000
    real = world.people["anna"]

    def main(pid: int) -> str:
        html = client.get(f"/break-glass/{pid}").content.decode()
        html = html[html.index("<main") : html.index("</main>")]
        html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)
        return html.replace(f"Person {pid}<", "Person ID<").replace(f"/{pid}", "/ID")

    assert main(real) == main(nobody)
    response = client.post(f"/break-glass/{nobody}", {"reason": REASON})
    assert (response.status_code, response["Location"]) == (302, "/")
    grant = BreakGlass.objects.get(person_id=str(nobody))
    # Held by no team: the user's own manager is told.
    assert Notification.objects.get(break_glass=grant).recipient == world.user("tm_b")


def test_an_id_too_long_for_any_person_is_not_found(world) -> None:
    response = client_for(world.user("sw_b")).get(f"/break-glass/{2**63}")

    assert response.status_code == 404


def test_a_role_without_break_glass_cannot_post_either(world) -> None:
    response = open_glass(world, "analyst", world.people["peter"])

    assert response.status_code == 403
    assert not BreakGlass.objects.exists()


# --- review --------------------------------------------------------------------------------


@pytest.mark.parametrize("key", EVERYONE)
def test_the_review_page_is_for_team_managers_and_heads_of_service(world, key: str) -> None:
    response = client_for(world.user(key)).get("/break-glass/review")

    assert response.status_code == (200 if key in REVIEWERS else 403)


def test_the_review_page_lists_who_whom_when_why_and_until_when(world) -> None:
    open_glass(world, "sw_b", world.people["peter"])

    response = client_for(world.user("tm_a")).get("/break-glass/review")

    text = page_text(response)
    assert f"Person {world.people['peter']}, opened by sw.b" in text
    assert "Opened by sw.b, Social worker, Team B" in text
    assert "Opened 15 Jan 2008, 12:00" in text
    assert "Access until 15 Jan 2008, 16:00" in text
    assert f"Reason given {REASON}" in text
    assert "Mark as reviewed" in text
    entry = AuditEntry.objects.filter(object_type="break_glass_review").get()
    assert entry.person_ids == [str(world.people["peter"])]


def test_each_manager_sees_their_own_queue(world) -> None:
    open_glass(world, "sw_b", world.people["peter"])  # Team B's worker, Team A's child
    open_glass(world, "sw_a2", world.people["liam"])  # Team A's worker, a child held by nobody
    peter, liam = str(world.people["peter"]), str(world.people["liam"])

    def queue(key: str) -> set[str]:
        text = page_text(client_for(world.user(key)).get("/break-glass/review"))
        return {pid for pid in (peter, liam) if f"Person {pid}," in text}

    assert queue("tm_a") == {peter, liam}  # told about Peter; sw_a2 is their team's
    assert queue("tm_b") == {peter}  # sw_b is their team's
    assert queue("hos") == {peter, liam}


def test_nobody_reviews_their_own_break_glass(world) -> None:
    open_glass(world, "tm_a", world.people["anna"])

    assert "There is nothing waiting" in page_text(
        client_for(world.user("tm_a")).get("/break-glass/review")
    )
    assert f"Person {world.people['anna']}," in page_text(
        client_for(world.user("tm_b")).get("/break-glass/review")
    )


def test_a_review_needs_a_note(world) -> None:
    open_glass(world, "sw_b", world.people["peter"])
    grant = BreakGlass.objects.get()

    response = client_for(world.user("tm_a")).post(
        "/break-glass/review", {"grant": grant.pk, "note": " "}
    )

    assert response.status_code == 400
    assert error_summary(response) == [
        (f"#note-{grant.pk}", "Enter what you found when you reviewed this access")
    ]
    assert f'id="note-{grant.pk}-error"' in response.content.decode()
    grant.refresh_from_db()
    assert grant.reviewed_at is None


def test_marking_as_reviewed_records_the_reviewer_and_the_note(world) -> None:
    open_glass(world, "sw_b", world.people["peter"])
    grant = BreakGlass.objects.get()
    client = client_for(world.user("tm_a"))

    response = client.post(
        "/break-glass/review", {"grant": grant.pk, "note": "Justified: police call out of hours"}
    )

    assert (response.status_code, response["Location"]) == (302, "/break-glass/review")
    grant.refresh_from_db()
    assert grant.reviewed_by == world.user("tm_a")
    assert grant.review_note == "Justified: police call out of hours"
    entry = AuditEntry.objects.filter(object_type="break_glass", action="write").get()
    assert (entry.username, entry.detail) == ("tm.a", {"change": "reviewed"})
    text = page_text(client.get("/break-glass/review"))
    assert "Marked as reviewed: sw.b's break-glass access to person" in text
    assert "There is nothing waiting for your review" in text


@pytest.mark.parametrize("grant", ["not-a-number", "0", "theirs"])
def test_a_grant_outside_the_queue_is_not_reviewed(world, grant: str) -> None:
    open_glass(world, "sw_a2", world.people["liam"])  # Team A's: not in Team B's manager's queue
    theirs = BreakGlass.objects.get()
    client = client_for(world.user("tm_b"))

    response = client.post(
        "/break-glass/review",
        {"grant": theirs.pk if grant == "theirs" else grant, "note": "Looks fine to me"},
    )

    assert response.status_code == 302
    theirs.refresh_from_db()
    assert theirs.reviewed_at is None
    assert "not waiting for your review" in page_text(client.get("/break-glass/review"))


def test_others_cannot_post_a_review(world) -> None:
    open_glass(world, "sw_b", world.people["peter"])
    grant = BreakGlass.objects.get()

    response = client_for(world.user("sw_a")).post(
        "/break-glass/review", {"grant": grant.pk, "note": "Fine"}
    )

    assert response.status_code == 403
    grant.refresh_from_db()
    assert grant.reviewed_at is None


# --- notifications -------------------------------------------------------------------------


def test_notifications_are_listed_once_as_new_then_marked_read(world) -> None:
    open_glass(world, "sw_b", world.people["peter"])
    manager = world.user("tm_a")
    client = client_for(manager)
    assert unread_notification_count(user=manager) == 1

    first = client.get("/notifications")

    text = page_text(first)
    assert "You have 1 new notification." in text
    assert f"New sw.b used break-glass access to person {world.people['peter']}: {REASON}" in text
    assert "Review break-glass access" in text
    assert unread_notification_count(user=manager) == 0
    again = page_text(client.get("/notifications"))
    assert "You have no new notifications." in again
    assert "New sw.b" not in again
    assert REASON in again


def test_everyone_has_a_notifications_page_with_only_their_own(world) -> None:
    open_glass(world, "sw_b", world.people["peter"])

    text = page_text(client_for(world.user("analyst")).get("/notifications"))

    assert "You have no new notifications." in text
    assert REASON not in text
    assert "Review break-glass access" not in text
    assert unread_notification_count(user=world.user("tm_a")) == 1
