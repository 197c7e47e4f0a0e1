"""Flags under need-to-know: who sees which child's flags, who may change them, what the audit
trail says, and agency systems reading flags with a token (world: jigsaw/access/tests/world.py).

The world's flags: Peter's bruise at 5 months (hospital evidence) and, for every child at
12 Acacia Road, the domestic-abuse incident the police attended (Peter, Anna, Liam, Maya).
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from jigsaw.access.models import ApiToken, AuditEntry
from jigsaw.access.services import break_glass_open, token_create
from jigsaw.access.tests.helpers import sign_in_as
from jigsaw.risk.models import Flag, FlagAction
from jigsaw.risk.selectors import (
    FlagNotFound,
    FlagReadOnly,
    FlagsRefused,
    flag_change,
    flag_detail,
    flags_as_of,
    flags_list,
)
from jigsaw.risk.tests.helpers import bruise, send

pytestmark = pytest.mark.django_db

URL = "/api/v1/flags"
CHILDREN = {"peter", "anna", "liam", "maya"}


def flagged(world: Any, views: list[Any]) -> set[str]:
    """Whose flags these are, by the world's keys."""
    keys = {pid: key for key, pid in world.people.items()}
    return {keys[v["child"]["person"] if isinstance(v, dict) else v.person] for v in views}


def peters_bruise(world: Any) -> Flag:
    return Flag.objects.get(rule_id="injury-non-mobile", person_id=world.people["peter"])


def client_of(world: Any, key: str) -> Client:
    return sign_in_as(Client(), world.user(key))


def bearer(secret: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


def post(client: Client, path: str, body: dict[str, Any] | None = None, **extra: Any) -> Any:
    return client.post(path, body or {}, content_type="application/json", **extra)


def open_bruise(world: Any, **details: Any) -> Flag:
    """A new bruise to Peter, recorded not mobile, so a new, open flag."""
    send(bruise("AE-2", "2008-01-15T09:00:00Z", "2008-01-15T10:00:00Z", local_id="H1", **details))
    return Flag.objects.get(rule_id="injury-non-mobile", key__endswith="NMUH/AE-2")


# --- who sees which flags --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("user_key", "expected"),
    [
        ("sw_a", {"peter"}),  # his allocated child
        ("sw_a2", {"peter"}),  # his team's
        ("tm_a", {"peter"}),
        ("sw_b", {"anna"}),
        ("tm_b", {"anna"}),
        ("mash", {"maya"}),  # the contact in triage
        ("nmuh", {"peter", "liam"}),  # children the hospital holds records of
        ("nmuh_lead", {"peter", "liam"}),
        ("school", {"anna", "maya"}),
        ("hos", CHILDREN),
        ("director", CHILDREN),
        ("inspector", CHILDREN),
    ],
)
def test_each_role_sees_the_flags_of_the_children_it_may_open(world, user_key, expected):
    assert flagged(world, flags_list(user=world.user(user_key))) == expected
    response = client_of(world, user_key).get(URL)
    assert response.status_code == 200
    assert flagged(world, response.json()) == expected


def test_the_operator_sees_every_flag(world, jigsaw_cli):
    before = AuditEntry.objects.count()
    assert flagged(world, flags_list(user=None)) == CHILDREN
    read = AuditEntry.objects.get(seq__gt=before)
    assert (read.username, read.basis) == ("command line", "operator")
    code, out, _ = jigsaw_cli("flags")
    assert code == 0
    assert out.count("[") == Flag.objects.count()


@pytest.mark.parametrize("user_key", ["analyst", "sysadmin"])
def test_analysts_and_administrators_get_no_flags(world, user_key):
    client = client_of(world, user_key)
    flag = peters_bruise(world)
    assert client.get(URL).status_code == 403
    assert client.get(f"{URL}/{flag.pk}").status_code == 403
    assert post(client, f"{URL}/{flag.pk}/acknowledge").status_code == 403
    with pytest.raises(FlagsRefused):
        flags_list(user=world.user(user_key))
    refused = AuditEntry.objects.filter(
        action=AuditEntry.Action.REFUSED, user_id=world.user(user_key).pk
    )
    assert refused.count() == 4


def test_the_person_filter_cannot_reach_past_need_to_know(world):
    peter = world.people["peter"]
    assert flags_list(user=world.user("sw_b"), person=peter) == []
    assert flagged(world, flags_list(user=world.user("sw_a"), person=peter)) == {"peter"}


def test_flags_as_of_a_date_are_cut_down_the_same_way(world, clock):
    views = flags_as_of(user=world.user("school"), as_of=clock.now())
    assert flagged(world, views) == {"anna", "maya"}
    assert flagged(world, flags_as_of(user=None, as_of=clock.now())) == CHILDREN


# --- one flag: hidden looks like missing ------------------------------------------------------


def test_a_hidden_flag_and_a_missing_one_get_the_same_404(world):
    flag = peters_bruise(world)
    client = client_of(world, "sw_b")
    hidden, missing = client.get(f"{URL}/{flag.pk}"), client.get(f"{URL}/999999")
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json()["detail"].replace(str(flag.pk), "N") == missing.json()["detail"].replace(
        "999999", "N"
    )
    assert hidden.json() == {"detail": f"there is no flag {flag.pk}"}
    assert post(client, f"{URL}/{flag.pk}/acknowledge").status_code == 404
    with pytest.raises(FlagNotFound):
        flag_detail(flag_id=flag.pk, user=world.user("school"))
    refused = AuditEntry.objects.filter(action=AuditEntry.Action.REFUSED, object_type="flag")
    assert set(refused.values_list("username", "object_id")) == {
        ("sw.b", str(flag.pk)),
        ("school", str(flag.pk)),
    }


def test_a_hospital_practitioner_reads_the_flag_on_a_child_it_knows(world):
    flag = peters_bruise(world)
    response = client_of(world, "nmuh").get(f"{URL}/{flag.pk}")
    assert response.status_code == 200
    assert response.json()["evidence"] == [
        {"agency": "NMUH", "event_id": "AE-1", "type": "ae_attendance",
         "occurred_at": "2006-08-01T20:15:00+00:00", "restricted": False},
    ]  # fmt: skip


# --- changes ----------------------------------------------------------------------------------


@pytest.mark.parametrize("user_key", ["inspector", "director", "nmuh"])
def test_read_only_readers_cannot_change_a_flag(world, user_key):
    flag = open_bruise(world)
    client = client_of(world, user_key)
    assert client.get(f"{URL}/{flag.pk}").status_code == 200
    for path, body in [
        ("acknowledge", {}),
        ("action", {"text": "Called the hospital."}),
        ("close", {"reason": "action_taken", "text": "Seen."}),
    ]:
        response = post(client, f"{URL}/{flag.pk}/{path}", body)
        assert response.status_code == 403, path
        assert response.json() == {"detail": "your access to this child's case is read-only"}
    assert not FlagAction.objects.filter(flag=flag).exclude(kind="escalated").exists()
    refused = AuditEntry.objects.filter(
        action=AuditEntry.Action.REFUSED, user_id=world.user(user_key).pk
    )
    assert refused.count() == 3
    assert {e.detail["why"] for e in refused} == {"read-only access"}
    assert {tuple(e.person_ids) for e in refused} == {(str(world.people["peter"]),)}


def test_the_allocated_worker_acknowledges_and_it_is_audited(world):
    flag = open_bruise(world)
    client = client_of(world, "sw_a")
    before = AuditEntry.objects.count()
    response = post(client, f"{URL}/{flag.pk}/acknowledge")
    assert response.status_code == 200
    assert response.json()["state"] == "acknowledged"
    entries = list(AuditEntry.objects.filter(seq__gt=before).order_by("seq"))
    assert [(e.action, e.object_type, e.object_id, e.basis) for e in entries] == [
        (AuditEntry.Action.WRITE, "flag", str(flag.pk), "allocation")
    ]
    assert entries[0].person_ids == [str(world.people["peter"])]
    assert entries[0].detail == {"kind": "acknowledged"}


def test_a_closed_flag_still_refuses_a_change_after_need_to_know(world):
    flag = peters_bruise(world)  # closed as history loaded late
    response = post(client_of(world, "sw_a"), f"{URL}/{flag.pk}/acknowledge")
    assert response.status_code == 409
    assert not AuditEntry.objects.filter(
        action=AuditEntry.Action.WRITE, object_type="flag"
    ).exists()


def test_a_read_only_refusal_never_reaches_the_service(world):
    flag = open_bruise(world)
    called = []
    with pytest.raises(FlagReadOnly):
        flag_change(flag_id=flag.pk, user=world.user("inspector"), change=called.append)
    assert called == []


# --- the audit trail --------------------------------------------------------------------------


def test_every_read_is_audited_once_with_its_basis(world):
    flag = peters_bruise(world)
    peter = str(world.people["peter"])
    cases = [
        ("sw_a", URL, "flags", "", [peter], "allocation"),
        ("tm_a", f"{URL}/{flag.pk}", "flag", str(flag.pk), [peter], "managed_team"),
        ("nmuh", f"{URL}/{flag.pk}", "flag", str(flag.pk), [peter], "involvement"),
        ("inspector", f"{URL}/{flag.pk}", "flag", str(flag.pk), [peter], "inspection"),
    ]
    for key, path, object_type, object_id, people, basis in cases:
        client = client_of(world, key)
        before = AuditEntry.objects.count()
        assert client.get(path).status_code == 200
        entries = list(AuditEntry.objects.filter(seq__gt=before))
        assert len(entries) == 1, key
        entry = entries[0]
        assert (entry.action, entry.username, entry.object_type, entry.object_id) == (
            AuditEntry.Action.READ,
            world.user(key).username,
            object_type,
            object_id,
        )
        assert (entry.person_ids, entry.basis) == (people, basis), key


def test_a_list_records_everyone_shown_and_each_basis(world):
    client_of(world, "nmuh").get(URL)
    entry = AuditEntry.objects.filter(action=AuditEntry.Action.READ).get()
    assert set(entry.person_ids) == {str(world.people[k]) for k in ("peter", "liam")}
    assert entry.basis == "involvement"
    assert entry.detail["flags"] == 3


# --- restricted categories --------------------------------------------------------------------


def test_restricted_evidence_keeps_its_place_but_not_its_type(world):
    flag = open_bruise(world, restriction="sexual_health")
    path = f"{URL}/{flag.pk}"

    def evidence(key: str) -> dict[str, Any]:
        response = client_of(world, key).get(path)
        assert response.status_code == 200
        return response.json()["evidence"][0]

    hidden = {"agency": "NMUH", "event_id": "AE-2", "type": "",
              "occurred_at": "2008-01-15T09:00:00+00:00", "restricted": True}  # fmt: skip
    assert evidence("sw_a") == hidden
    assert evidence("nmuh") == hidden
    assert evidence("tm_a")["type"] == "ae_attendance"  # managers see restricted categories
    assert evidence("hos")["type"] == "ae_attendance"
    listed = {f["id"]: f for f in client_of(world, "sw_a").get(URL).json()}
    assert listed[flag.pk]["evidence"] == [hidden]


# --- agency systems ---------------------------------------------------------------------------


def test_a_send_only_token_gets_403_on_flags(world):
    issued = token_create(agency_code="NMUH")
    secret = issued.secret
    client = Client()
    assert client.get(URL, **bearer(secret)).status_code == 403
    assert client.get(f"{URL}/{peters_bruise(world).pk}", **bearer(secret)).status_code == 403
    refused = AuditEntry.objects.filter(action=AuditEntry.Action.REFUSED)
    assert {(e.username, e.basis, e.detail["why"]) for e in refused} == {
        (f"token:{issued.token.prefix}", "token", "token without read_flags")
    }
    assert refused.count() == 2
    assert client.get(URL, **bearer("jgs_nope_nope")).status_code == 401


def test_a_read_flags_token_sees_only_its_agencys_children(world):
    hospital = token_create(agency_code="NMUH", scopes=[ApiToken.Scope.READ_FLAGS]).secret
    school = token_create(agency_code="SCH", scopes=[ApiToken.Scope.READ_FLAGS]).secret
    client = Client()
    assert flagged(world, client.get(URL, **bearer(hospital)).json()) == {"peter", "liam"}
    assert flagged(world, client.get(URL, **bearer(school)).json()) == {"anna", "maya"}
    flag = peters_bruise(world)
    assert client.get(f"{URL}/{flag.pk}", **bearer(hospital)).status_code == 200
    hidden = client.get(f"{URL}/{flag.pk}", **bearer(school))
    missing = client.get(f"{URL}/999999", **bearer(school))
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json() == {"detail": f"there is no flag {flag.pk}"}


def test_a_token_cannot_change_a_flag(world):
    secret = token_create(
        agency_code="NMUH", scopes=[ApiToken.Scope.SEND, ApiToken.Scope.READ_FLAGS]
    ).secret
    flag = open_bruise(world)
    response = post(Client(), f"{URL}/{flag.pk}/acknowledge", **bearer(secret))
    assert response.status_code == 401
    assert not FlagAction.objects.filter(flag=flag, kind="acknowledged").exists()


def test_token_reads_are_audited_as_the_token(world):
    issued = token_create(agency_code="NMUH", scopes=[ApiToken.Scope.READ_FLAGS])
    flag = peters_bruise(world)
    before = AuditEntry.objects.count()
    Client().get(f"{URL}/{flag.pk}", **bearer(issued.secret))
    entries = list(AuditEntry.objects.filter(seq__gt=before).order_by("seq"))
    assert [e.action for e in entries] == [AuditEntry.Action.TOKEN_USED, AuditEntry.Action.READ]
    read = entries[1]
    assert (read.username, read.basis, read.object_type, read.object_id) == (
        f"token:{issued.token.prefix}",
        "token",
        "flag",
        str(flag.pk),
    )
    assert read.user_id is None
    assert read.person_ids == [str(world.people["peter"])]
    assert read.detail["agency"] == "NMUH"
    hidden = Flag.objects.get(person_id=world.people["anna"])
    Client().get(f"{URL}/{hidden.pk}", **bearer(issued.secret))
    refused = AuditEntry.objects.filter(action=AuditEntry.Action.REFUSED).get()
    assert (refused.username, refused.object_id) == (f"token:{issued.token.prefix}", str(hidden.pk))


def test_break_glass_opens_a_childs_flags_for_a_while(world, clock):
    user = world.user("sw_b")
    flag = peters_bruise(world)
    break_glass_open(user=user, person_id=str(world.people["peter"]), reason="Hospital called")
    assert "peter" in flagged(world, flags_list(user=user))
    flag_detail(flag_id=flag.pk, user=user)
    read = AuditEntry.objects.filter(action=AuditEntry.Action.READ, object_type="flag").get()
    assert (read.basis, read.reason) == ("break_glass", "Hospital called")
    clock.advance(hours=5)
    assert "peter" not in flagged(world, flags_list(user=user))
