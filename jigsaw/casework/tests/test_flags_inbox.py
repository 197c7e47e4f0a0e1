"""The flags inbox and a flag's page: who sees which flags, how they are grouped and ordered,
what managers see escalated to them, and the forms that acknowledge, record and close."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.test import Client

from jigsaw.access.models import AuditEntry
from jigsaw.access.tests.helpers import sign_in_as
from jigsaw.casework.inbox import flag_version, group_of
from jigsaw.casework.views.flags import due_text
from jigsaw.core.tests.helpers import NOW
from jigsaw.records.tests.factories import EventObj, ingest
from jigsaw.risk.models import Flag, FlagAction, FlagRevision
from jigsaw.risk.selectors import flags_list
from jigsaw.risk.services import escalations_run, flag_acknowledge, flag_close

pytestmark = pytest.mark.django_db

DOMESTIC_ABUSE = "Domestic abuse incident in the child&#39;s household"
OLD_INJURY = "Injury to a child who is not independently mobile"


def police_call(world: Any, event_id: str = "INC-2", day: str = "2008-01-14") -> int:
    """The police called to Peter's home last night, Peter there: an open flag."""
    report = ingest(
        [
            EventObj(
                agency="MPS",
                event_id=event_id,
                type="police_incident",
                occurred_at=f"{day}T23:00:00Z",
                recorded_at="2008-01-15T08:00:00Z",
                subjects=[
                    {"local_id": "P2", "role": "child"},
                    {"local_id": "P1", "role": "alleged_perpetrator"},
                ],
                details={"incident_type": "domestic_abuse", "children_present": True},
            )
        ]
    )
    assert report.accepted
    flag = next(f for f in flags_list(user=None, state="open") if f.person == world.people["peter"])
    assert flag.id is not None
    return flag.id


def made_flag(
    world: Any, name: str, *, severity: str, due_by: datetime, acknowledged: bool = False
) -> Flag:
    """A flag on Peter written straight to the store, to set the inbox's groups exactly."""
    flag = Flag.objects.create(
        key=f"test/{name}",
        rule_id="test-rule",
        person_id=world.people["peter"],
        title=name,
        basis="test",
        raised_at=NOW - timedelta(hours=2),
        known_at=NOW - timedelta(hours=2),
    )
    FlagRevision.objects.create(
        flag=flag,
        number=1,
        severity=severity,
        evidence=[],
        reason=f"Reason for {name}",
        action="Act",
        owner="social_worker",
        due_by=due_by,
        known_at=NOW - timedelta(hours=2),
    )
    if acknowledged:
        flag_acknowledge(flag=flag, user=world.user("sw_a2"))
    return flag


def page(client: Client, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, response.content[:300]
    return response.content.decode()


def section(body: str, heading: str) -> str:
    """The part of the page under an h2 that starts with `heading`, up to the next h2."""
    found = re.search(rf"<h2[^>]*>{re.escape(heading)}", body)
    assert found, f"no heading {heading!r}"
    start = found.start()
    end = body.find("<h2", start + 1)
    return body[start : end if end != -1 else len(body)]


def as_user(world: Any, key: str) -> Client:
    return sign_in_as(Client(), world.user(key))


# --- who sees which flags --------------------------------------------------------------------


def test_the_allocated_worker_sees_her_childs_open_flag_and_not_closed_history(world):
    police_call(world)
    body = page(as_user(world, "sw_a"), "/flags")
    open_now = section(body, "Open (1)")
    assert "Peter Smith" in open_now
    assert f'href="/children/{world.people["peter"]}"' in open_now
    assert DOMESTIC_ABUSE in open_now
    assert "in the household of a 22-month-old; children were present" in open_now
    assert "Medium" in open_now
    assert "School designated safeguarding lead" in open_now
    assert "15 Jan 2008, 08:00" in open_now  # raised, UK time
    assert "22 Jan 2008, 23:59" in open_now  # due by
    # The flags of 2006-2007, closed as old history, are not on the list.
    assert OLD_INJURY not in body
    entry = AuditEntry.objects.filter(object_type="flags", username="sw.a").latest("seq")
    assert entry.person_ids == [str(world.people["peter"])]


def test_another_teams_worker_does_not_see_peters_flags(world):
    police_call(world)
    body = page(as_user(world, "sw_b"), "/flags")
    assert "Peter Smith" not in body
    assert "There are no flags for the children you work with." in body


def test_the_hospital_sees_the_flags_of_a_child_it_knows(world):
    police_call(world)
    body = page(as_user(world, "nmuh"), "/flags")
    assert "Peter Smith" in section(body, "Open (1)")


@pytest.mark.parametrize("key", ["analyst", "sysadmin"])
def test_roles_that_see_no_flags_are_refused(world, key):
    response = as_user(world, key).get("/flags")
    assert response.status_code == 403


def test_signing_in_comes_first(world):
    response = Client().get("/flags")
    assert response.status_code == 302
    assert "/sign-in" in response["Location"]


# --- grouping, order and filters -------------------------------------------------------------


def test_flags_are_grouped_and_the_most_urgent_come_first(world):
    made_flag(world, "Later medium", severity="medium", due_by=NOW + timedelta(days=6))
    made_flag(world, "Sooner medium", severity="medium", due_by=NOW + timedelta(days=2))
    made_flag(world, "Open high", severity="high", due_by=NOW + timedelta(days=3))
    made_flag(world, "Today immediate", severity="immediate", due_by=NOW + timedelta(hours=11))
    made_flag(world, "Late high", severity="high", due_by=NOW - timedelta(days=1))
    made_flag(world, "Late immediate", severity="immediate", due_by=NOW - timedelta(days=2))
    made_flag(world, "Seen to", severity="high", due_by=NOW - timedelta(days=1), acknowledged=True)

    body = page(as_user(world, "sw_a"), "/flags")

    headings = re.findall(r'<h2 class="govuk-heading-m" id="group-[a-z_]+">([^<]+)</h2>', body)
    assert headings == ["Due today (1)", "Overdue (2)", "Open (3)", "Acknowledged (1)"]
    assert "Today immediate" in section(body, "Due today")
    assert "Today, 23:00" in section(body, "Due today")
    overdue = section(body, "Overdue")
    assert overdue.index("Late immediate") < overdue.index("Late high")
    still_open = section(body, "Open (3)")
    assert (
        still_open.index("Open high")
        < still_open.index("Sooner medium")
        < still_open.index("Later medium")
    )
    assert "Seen to" in section(body, "Acknowledged")


def test_the_inbox_reads_as_many_times_however_many_flags(world):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = as_user(world, "sw_a")

    def queries() -> int:
        with CaptureQueriesContext(connection) as seen:
            page(client, "/flags")
        return len(seen)

    made_flag(world, "First", severity="high", due_by=NOW + timedelta(days=1))
    one = queries()
    for n in range(6):
        made_flag(world, f"More {n}", severity="medium", due_by=NOW + timedelta(days=n + 1))
    made_flag(world, "Seen to", severity="high", due_by=NOW, acknowledged=True)
    assert queries() == one


def test_group_and_due_wording():
    class View:
        state, due_by = "open", NOW + timedelta(hours=1)

    assert group_of(View(), NOW) == "due_today"  # type: ignore[arg-type]
    View.due_by = NOW - timedelta(minutes=1)
    assert group_of(View(), NOW) == "overdue"  # type: ignore[arg-type]
    View.state = "acknowledged"
    assert group_of(View(), NOW) == "acknowledged"  # type: ignore[arg-type]
    assert due_text(NOW + timedelta(hours=3), NOW) == "Today, 15:00"
    assert due_text(NOW + timedelta(days=1), NOW) == "16 Jan 2008, 12:00"


def test_filters_by_severity_and_state(world):
    police_call(world)
    made_flag(world, "Open high", severity="high", due_by=NOW + timedelta(days=3))
    client = as_user(world, "sw_a")

    high = page(client, "/flags?severity=high")
    assert "Open high" in high
    assert DOMESTIC_ABUSE not in high
    assert '<option value="high" selected>' in high

    closed = page(client, "/flags?state=closed")
    assert OLD_INJURY in section(closed, "Closed")
    assert "Open high" not in closed
    assert "Clear filters" in closed

    everything = page(client, "/flags?state=all")
    assert OLD_INJURY in everything
    assert "Open high" in everything

    # A value the form never offers is ignored, not an error.
    assert "Open high" in page(client, "/flags?state=nonsense&severity=loud")


# --- escalated to managers -------------------------------------------------------------------


def test_a_flag_not_acknowledged_in_time_is_escalated_to_the_teams_manager(world, clock):
    police_call(world)  # due by the end of 22 January
    clock.set(datetime.fromisoformat("2008-01-23T10:00:00+00:00"))
    assert escalations_run() == 1

    manager = page(as_user(world, "tm_a"), "/flags")
    mine = section(manager, "Escalated to you (1)")
    assert "Peter Smith" in mine
    assert "Escalated to team manager on 23 Jan 2008" in mine
    assert "Overdue (0)" in manager  # listed once, under "Escalated to you"

    other = page(as_user(world, "tm_b"), "/flags")
    assert "Escalated to you (0)" in other
    assert "Peter Smith" not in other

    worker = page(as_user(world, "sw_a"), "/flags")
    assert "Escalated to you" not in worker
    assert "Escalated to team manager on 23 Jan 2008" in section(worker, "Overdue (1)")

    service = page(as_user(world, "hos"), "/flags")
    assert "Escalated to you (0)" in service


def test_still_not_acknowledged_it_goes_to_the_head_of_service(world, clock):
    police_call(world)
    clock.set(datetime.fromisoformat("2008-01-25T10:00:00+00:00"))
    assert escalations_run() == 2

    service = page(as_user(world, "hos"), "/flags")
    mine = section(service, "Escalated to you (1)")
    assert "Peter Smith" in mine
    assert "Escalated to head of service on 25 Jan 2008" in mine
    # The team manager still has it too: it was escalated to them first.
    assert "Peter Smith" in section(page(as_user(world, "tm_a"), "/flags"), "Escalated to you (1)")


def test_an_acknowledged_flag_is_no_longer_waiting_for_the_manager(world, clock):
    flag_id = police_call(world)
    clock.set(datetime.fromisoformat("2008-01-23T10:00:00+00:00"))
    escalations_run()
    flag_acknowledge(flag=Flag.objects.get(pk=flag_id), user=world.user("sw_a"))
    manager = page(as_user(world, "tm_a"), "/flags")
    assert "Escalated to you (0)" in manager
    assert "Peter Smith" in section(manager, "Acknowledged (1)")


# --- a flag's page ---------------------------------------------------------------------------


def form_fields(body: str, form: str) -> dict[str, str]:
    """The hidden fields of one of the page's forms."""
    start = body.index(f'name="form" value="{form}"')
    end = body.index("</form>", start)
    fields = dict(re.findall(r'name="(key|version)" value="([^"]*)"', body[start:end]))
    return {"form": form, **fields}


def test_the_flag_page_shows_everything_about_the_flag(world):
    flag_id = police_call(world)
    body = page(as_user(world, "sw_a"), f"/flags/{flag_id}")
    assert "Domestic abuse incident in the child&#39;s household</h1>" in body
    assert "Peter Smith" in body
    assert "in the household of a 22-month-old; children were present" in body
    assert "Notify the child&#39;s school before the next school day" in body
    assert "School designated safeguarding lead" in body
    assert "Not escalated" in body
    # The evidence, with the event's place in the child's chronology.
    assert "Metropolitan Police" in body
    assert "Police incident" in body
    assert f'href="/children/{world.people["peter"]}/chronology#event-MPS-INC-2"' in body
    assert "Nothing has been recorded about this flag yet." in body
    # Forms for someone who may act: acknowledge, record, close with the five reasons.
    assert "Acknowledge this flag" in body
    assert "Record action" in body
    reasons = re.findall(r'name="reason" type="radio" value="([a-z_]+)"', body)
    assert reasons == [
        "action_taken",
        "no_further_action_needed",
        "duplicate",
        "raised_in_error",
        "transferred",
    ]
    entry = AuditEntry.objects.filter(object_type="flag", username="sw.a").latest("seq")
    assert entry.action == AuditEntry.Action.READ
    assert entry.object_id == str(flag_id)


def test_acknowledging_records_who_and_goes_back_to_the_flag(world):
    flag_id = police_call(world)
    client = as_user(world, "sw_a")
    fields = form_fields(page(client, f"/flags/{flag_id}"), "acknowledge")
    response = client.post(f"/flags/{flag_id}", fields)
    assert response.status_code == 302
    assert response["Location"] == f"/flags/{flag_id}"
    assert [m.message for m in get_messages(response.wsgi_request)] == [
        "You have acknowledged this flag"
    ]
    done = FlagAction.objects.get(flag_id=flag_id, kind=FlagAction.Kind.ACKNOWLEDGED)
    assert done.actor == world.user("sw_a")
    assert AuditEntry.objects.filter(
        action=AuditEntry.Action.WRITE, object_type="flag", object_id=str(flag_id)
    ).exists()
    body = page(client, f"/flags/{flag_id}")
    assert "Acknowledged by sw.a" in body
    assert "Acknowledge this flag" not in body  # once is enough
    assert "Record action" in body


def test_recording_an_action_needs_words(world):
    flag_id = police_call(world)
    client = as_user(world, "sw_a")
    fields = form_fields(page(client, f"/flags/{flag_id}"), "action")
    response = client.post(f"/flags/{flag_id}", {**fields, "text": "   "})
    assert response.status_code == 400
    body = response.content.decode()
    assert '<a href="#action-text">Enter what was done</a>' in body
    assert 'id="action-text-error"' in body
    assert not FlagAction.objects.filter(flag_id=flag_id).exists()

    said = "Spoke to the school DSL; Peter in school today and settled."
    response = client.post(f"/flags/{flag_id}", {**fields, "text": said})
    assert response.status_code == 302
    done = FlagAction.objects.get(flag_id=flag_id)
    assert (done.kind, done.text) == (FlagAction.Kind.ACTION_RECORDED, said)


def test_closing_needs_a_reason_from_the_list_and_an_explanation(world):
    flag_id = police_call(world)
    client = as_user(world, "sw_a")
    fields = form_fields(page(client, f"/flags/{flag_id}"), "close")

    response = client.post(f"/flags/{flag_id}", fields)
    assert response.status_code == 400
    body = response.content.decode()
    assert '<a href="#close-reason">Select why the flag is being closed</a>' in body
    assert '<a href="#close-text">Enter an explanation of why the flag is being closed</a>' in body
    # Only Jigsaw closes a flag as old history.
    response = client.post(
        f"/flags/{flag_id}", {**fields, "reason": "historical", "text": "Old news"}
    )
    assert response.status_code == 400
    assert "Select why the flag is being closed" in response.content.decode()
    assert 'value="Old news"' not in response.content.decode()  # a textarea keeps its text
    assert "Old news</textarea>" in response.content.decode()
    assert not FlagAction.objects.filter(flag_id=flag_id).exists()

    response = client.post(
        f"/flags/{flag_id}",
        {**fields, "reason": "action_taken", "text": "Strategy discussion held; plan agreed."},
    )
    assert response.status_code == 302
    closed = FlagAction.objects.get(flag_id=flag_id, kind=FlagAction.Kind.CLOSED)
    assert closed.close_reason == "action_taken"
    body = page(client, f"/flags/{flag_id}")
    assert "Closed by sw.a: Action taken" in body
    assert "Strategy discussion held; plan agreed." in body
    assert "This flag is closed." in body
    assert 'name="form"' not in body


@pytest.mark.parametrize("key", ["director", "inspector", "nmuh_lead", "nmuh"])
def test_read_only_roles_see_the_flag_without_forms_and_may_not_post(world, key):
    flag_id = police_call(world)
    client = as_user(world, key)
    body = page(client, f"/flags/{flag_id}")
    assert "Domestic abuse incident" in body
    assert 'name="form"' not in body
    assert "your access to this child&#39;s case is read-only" in body
    response = client.post(f"/flags/{flag_id}", {"form": "acknowledge", "version": "0"})
    assert response.status_code == 403
    assert not FlagAction.objects.filter(flag_id=flag_id).exists()
    assert AuditEntry.objects.filter(
        action=AuditEntry.Action.REFUSED, object_type="flag", object_id=str(flag_id)
    ).exists()


@pytest.mark.parametrize("key", ["sw_b", "tm_b", "mash", "school"])
def test_a_flag_of_a_child_the_user_may_not_see_is_not_found(world, key):
    flag_id = police_call(world)
    client = as_user(world, key)
    assert client.get(f"/flags/{flag_id}").status_code == 404
    assert client.get("/flags/999999").status_code == 404
    response = client.post(f"/flags/{flag_id}", {"form": "acknowledge", "version": "0"})
    assert response.status_code == 404
    assert not FlagAction.objects.filter(flag_id=flag_id).exists()


def test_a_change_made_since_the_page_was_shown_is_explained_not_overwritten(world, clock):
    flag_id = police_call(world)
    client = as_user(world, "sw_a")
    shown = page(client, f"/flags/{flag_id}")
    acknowledge, close = form_fields(shown, "acknowledge"), form_fields(shown, "close")
    # Meanwhile the head of service acknowledges it.
    clock.advance(minutes=5)
    flag_acknowledge(flag=Flag.objects.get(pk=flag_id), user=world.user("hos"))

    response = client.post(f"/flags/{flag_id}", acknowledge)
    assert response.status_code == 409
    body = response.content.decode()
    assert "This flag has changed since you opened it" in body
    assert "hos acknowledged this flag on 15 Jan 2008 at 12:05." in body
    assert FlagAction.objects.filter(flag_id=flag_id).count() == 1

    # The closing she was writing is kept on the page for her to send again.
    said = "Child seen at school; no further concerns."
    response = client.post(
        f"/flags/{flag_id}", {**close, "reason": "no_further_action_needed", "text": said}
    )
    assert response.status_code == 409
    assert f"{said}</textarea>" in response.content.decode()
    assert 'value="no_further_action_needed" checked' in response.content.decode()
    assert not FlagAction.objects.filter(flag_id=flag_id, kind="closed").exists()

    # Sent again from the page as it is now, it is recorded.
    again = form_fields(response.content.decode(), "close")
    assert again["version"] == str(flag_version(flag_id))
    response = client.post(
        f"/flags/{flag_id}", {**again, "reason": "no_further_action_needed", "text": said}
    )
    assert response.status_code == 302
    assert FlagAction.objects.filter(flag_id=flag_id, kind="closed").exists()


def test_a_flag_closed_by_someone_else_says_who_closed_it(world):
    flag_id = police_call(world)
    client = as_user(world, "sw_a")
    fields = form_fields(page(client, f"/flags/{flag_id}"), "action")
    flag_close(
        flag=Flag.objects.get(pk=flag_id),
        user=world.user("tm_a"),
        reason="duplicate",
        text="Same incident as flag 12",
    )
    response = client.post(f"/flags/{flag_id}", {**fields, "text": "Called the school"})
    assert response.status_code == 409
    body = response.content.decode()
    assert (
        "tm.a closed this flag on 15 Jan 2008 at 12:00 (duplicate of another flag): "
        "“Same incident as flag 12”" in body
    )
    assert "This flag is closed." in body
    assert not FlagAction.objects.filter(flag_id=flag_id, kind="action_recorded").exists()


def test_an_escalation_since_the_page_was_shown_does_not_stop_an_acknowledgement(world, clock):
    flag_id = police_call(world)
    clock.set(datetime.fromisoformat("2008-01-23T10:00:00+00:00"))
    client = as_user(world, "sw_a")
    fields = form_fields(page(client, f"/flags/{flag_id}"), "acknowledge")
    escalations_run()
    response = client.post(f"/flags/{flag_id}", fields)
    assert response.status_code == 302
    assert FlagAction.objects.filter(flag_id=flag_id, kind="acknowledged").count() == 1


def test_a_form_sent_twice_acts_once(world):
    flag_id = police_call(world)
    client = as_user(world, "sw_a")
    shown = page(client, f"/flags/{flag_id}")
    action, close = form_fields(shown, "action"), form_fields(shown, "close")
    for _ in range(2):
        response = client.post(f"/flags/{flag_id}", {**action, "text": "Rang the police"})
        assert response.status_code == 302
        assert response["Location"] == f"/flags/{flag_id}"
    assert FlagAction.objects.filter(flag_id=flag_id, kind="action_recorded").count() == 1

    # The close form was shown before the action was recorded: it is stale, so take it anew.
    close = form_fields(page(client, f"/flags/{flag_id}"), "close")
    for _ in range(2):
        response = client.post(
            f"/flags/{flag_id}", {**close, "reason": "action_taken", "text": "Done"}
        )
        assert response.status_code == 302
    assert FlagAction.objects.filter(flag_id=flag_id, kind="closed").count() == 1


def test_a_form_without_its_version_is_not_acted_on(world):
    flag_id = police_call(world)
    client = as_user(world, "sw_a")
    response = client.post(f"/flags/{flag_id}", {"form": "acknowledge"})
    assert response.status_code == 400
    assert "The form was incomplete" in response.content.decode()
    assert not FlagAction.objects.filter(flag_id=flag_id).exists()
