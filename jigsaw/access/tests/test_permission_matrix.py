"""Every role against every page and API endpoint, from one table.

`MATRIX` names every URL route (and, for the API, every method) with what each role gets:
OK, DENIED (403), HIDDEN (404: as if it did not exist), SIGN_IN (sent to sign in, or 401).
A route added to the project and not to the table fails `test_every_route_is_in_the_table`.
For every allowed response, nobody the role may not see appears in it (`test_matrix`).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.test import Client
from django.urls import URLResolver, get_resolver

from jigsaw.access.need_to_know import access_to, viewer_of
from jigsaw.access.tests.helpers import sign_in_as
from jigsaw.access.tests.world import PEOPLE, World
from jigsaw.config.api import api
from jigsaw.identity.models import ReviewItem
from jigsaw.identity.services import Actor, person_merge
from jigsaw.risk.models import Flag

pytestmark = pytest.mark.django_db

OK, DENIED, HIDDEN, SIGN_IN = "ok", "denied", "hidden", "sign in"

# One account per role (and nobody signed in). Chosen so that each role's need-to-know differs
# on Peter, the flagged child: sw_a holds his case, tm_b manages another team, nmuh is the
# hospital that saw him, school knows Anna and Maya only, mash has Maya's contact in triage.
ROLES = {
    "social_worker": "sw_a",
    "team_manager": "tm_b",
    "head_of_service": "hos",
    "director": "director",
    "mash_practitioner": "mash",
    "agency_practitioner": "school",
    "agency_safeguarding_lead": "nmuh_lead",
    "analyst": "analyst",
    "inspector": "inspector",
    "system_administrator": "sysadmin",
    "anonymous": "",
}
NAMES = {key: f"{given} {family}" for key, given, family, *_ in PEOPLE}


def everyone(**overrides: str) -> dict[str, str]:
    """OK for every signed-in role, SIGN_IN for nobody, then the exceptions."""
    return dict.fromkeys(ROLES, OK) | {"anonymous": SIGN_IN} | overrides


def only(*roles: str, otherwise: str = DENIED) -> dict[str, str]:
    return {role: (OK if role in roles else otherwise) for role in ROLES} | {"anonymous": SIGN_IN}


def public() -> dict[str, str]:
    return dict.fromkeys(ROLES, OK)


# roles in table order: sw_a, tm_b, hos, director, mash, school, nmuh_lead, analyst, inspector,
# sysadmin, anonymous
def row(*outcomes: str) -> dict[str, str]:
    assert len(outcomes) == len(ROLES)
    return dict(zip(ROLES, outcomes, strict=True))


Y, D, H, S = OK, DENIED, HIDDEN, SIGN_IN  # yes, denied, hidden, sign in
CASEWORK = ("social_worker", "team_manager", "head_of_service", "mash_practitioner")
SEES_PETER = (
    "social_worker",
    "head_of_service",
    "director",
    "inspector",
    "agency_safeguarding_lead",
)
ACTS_ON_PETER = ("social_worker", "head_of_service")
SERVICE_WIDE = ("head_of_service", "director", "inspector")


@dataclass
class Case:
    expect: dict[str, str]
    method: str = "GET"
    path: Callable[[World], str] | None = None  # the route with its ids filled in
    data: Callable[[World], dict[str, Any]] | None = None
    json: bool = True  # send `data` as a JSON body (the API) rather than a form
    hidden_as: int = 404  # the status that says "no such thing" (a form's error: 400)
    # Who the response may name: None means "whoever the role may see (need-to-know)"; the
    # front door's search shows candidates to those who search everyone, by design.
    may_name: Callable[[World, str], set[str]] | None = None
    setup: Callable[[World], None] = field(default=lambda world: None)


def peter_flag(world: World) -> int:
    return Flag.objects.filter(person_id=world.people["peter"]).values_list("pk", flat=True)[0]


def open_flag(world: World) -> int:
    """A flag still open: the police called to the house last night, Peter there."""
    from jigsaw.records.tests.factories import EventObj, ingest
    from jigsaw.risk.selectors import flags_list

    report = ingest(
        [
            EventObj(
                agency="MPS",
                event_id="INC-2",
                type="police_incident",
                occurred_at="2008-01-14T23:00:00Z",
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
    flags = [f for f in flags_list(user=None, state="open") if f.person == world.people["peter"]]
    assert flags, "the incident raised no open flag for Peter"
    assert flags[0].id is not None
    return flags[0].id


def review_item(world: World) -> int:
    """A pair the matcher could not decide on: Tracey's social-care and hospital records."""
    from jigsaw.core.clock import clock
    from jigsaw.records.models import PersonRecord

    item = ReviewItem.objects.create(
        record_a=PersonRecord.objects.get(pk=world.records["CSC:C2"]),
        record_b=PersonRecord.objects.get(pk=world.records["NMUH:H2"]),
        weight=3.0,
        probability=0.6,
        explanation={},
        raised_at=clock.now(),
    )
    return item.pk


def merged(world: World) -> int:
    """Peter and his mother merged in error, by the operator: the decision to undo."""
    decision = person_merge(
        person_a=world.person("peter"),
        person_b=world.person("tracey"),
        actor=Actor(user=None, name="operator"),
        reason="Merged in error for the test",
    )
    return decision.pk


def maya_contact(world: World) -> int:
    from jigsaw.casework.models import Contact

    return Contact.objects.values_list("pk", flat=True).get()


def with_households(world: World, role: str) -> set[str]:
    """Whom the role may see, and everyone living with a child it may see: a child's record
    lists the household (every member audited as seen through the child)."""
    from jigsaw.core.clock import clock
    from jigsaw.identity.households import household_build

    names = visible_names(world, role)
    by_id = {pid: key for key, pid in world.people.items()}
    for key in list(names):
        for member in household_build(person_id=world.people[key], as_of=clock.now()).members:
            if member.person_id in by_id:
                names.add(by_id[member.person_id])
    return names


def search_names(world: World, role: str) -> set[str]:
    if role in ("agency_practitioner", "agency_safeguarding_lead"):
        return visible_names(world, role)
    return set(NAMES)


MATRIX: dict[str, Case] = {
    # --- the API --------------------------------------------------------------------------
    "GET /api/openapi.json": Case(public()),
    "GET /api/docs": Case(public()),
    "GET /api/v1/schema": Case(public()),
    # Agency systems send with a token; a staff session is not one.
    "POST /api/v1/batches": Case(dict.fromkeys(ROLES, SIGN_IN), method="POST", data=lambda w: {}),
    "GET /api/v1/people/search": Case(
        everyone(analyst=DENIED, system_administrator=DENIED),
        path=lambda w: "/api/v1/people/search?family_name=Smith",
        may_name=search_names,
    ),
    "POST /api/v1/people/merge": Case(
        only("head_of_service", otherwise=DENIED)
        | {"social_worker": HIDDEN, "team_manager": HIDDEN, "mash_practitioner": HIDDEN},
        method="POST",
        data=lambda w: {
            "person_a": w.people["peter"],
            "person_b": w.people["liam"],
            "reason": "Same child, two records",
        },
    ),
    "GET /api/v1/people/{person_id}": Case(
        {r: (OK if r in SEES_PETER else HIDDEN) for r in ROLES} | {"anonymous": SIGN_IN},
        path=lambda w: f"/api/v1/people/{w.people['peter']}",
    ),
    "GET /api/v1/people/{person_id}/chronology": Case(
        {r: (OK if r in SEES_PETER else HIDDEN) for r in ROLES} | {"anonymous": SIGN_IN},
        path=lambda w: f"/api/v1/people/{w.people['peter']}/chronology",
    ),
    "GET /api/v1/review": Case(only(*CASEWORK)),
    "POST /api/v1/review/{item_id}/decision": Case(
        only("social_worker", "head_of_service")
        | {"team_manager": HIDDEN, "mash_practitioner": HIDDEN},
        method="POST",
        path=lambda w: f"/api/v1/review/{review_item(w)}/decision",
        data=lambda w: {"same_person": True, "reason": "Same mother, NHS number checked"},
    ),
    "POST /api/v1/decisions/{decision_id}/unmerge": Case(
        only("social_worker", "head_of_service")
        | {"team_manager": HIDDEN, "mash_practitioner": HIDDEN},
        method="POST",
        path=lambda w: f"/api/v1/decisions/{merged(w)}/unmerge",
        data=lambda w: {"reason": "They are mother and son"},
    ),
    "GET /api/v1/flags": Case(everyone(analyst=DENIED, system_administrator=DENIED)),
    "GET /api/v1/flags/{flag_id}": Case(
        {r: (OK if r in SEES_PETER else HIDDEN) for r in ROLES}
        | {"analyst": DENIED, "system_administrator": DENIED, "anonymous": SIGN_IN},
        path=lambda w: f"/api/v1/flags/{peter_flag(w)}",
    ),
    **{
        f"POST /api/v1/flags/{{flag_id}}/{verb}": Case(
            {r: (OK if r in ACTS_ON_PETER else HIDDEN) for r in ROLES}
            | dict.fromkeys(
                (
                    "director",
                    "inspector",
                    "agency_safeguarding_lead",
                    "analyst",
                    "system_administrator",
                ),
                DENIED,
            )
            | {"anonymous": SIGN_IN},
            method="POST",
            path=lambda w, verb=verb: f"/api/v1/flags/{open_flag(w)}/{verb}",
            data=lambda w, body=body: body,
        )
        for verb, body in (
            ("acknowledge", {}),
            ("action", {"text": "Visited the same day"}),
            ("close", {"reason": "action_taken", "text": "Strategy discussion held"}),
        )
    },
    "GET /api/v1/analytics/flags": Case(only("analyst", "head_of_service", "director")),
    # --- pages ----------------------------------------------------------------------------
    "GET /": Case(everyone()),
    "GET /sign-in": Case(public()),
    # Only part-way through signing in: anyone else is sent back to the start.
    "GET /sign-in/code": Case(dict.fromkeys(ROLES, SIGN_IN)),
    "GET /change-password": Case(everyone()),
    "POST /sign-out": Case(
        dict.fromkeys(ROLES, SIGN_IN), method="POST", json=False, data=lambda w: {}
    ),
    "GET /agencies": Case(everyone(analyst=DENIED, system_administrator=DENIED)),
    "GET /agencies/<str:code>": Case(
        everyone(analyst=DENIED, system_administrator=DENIED),
        path=lambda w: "/agencies/NMUH",
    ),
    "GET /chronology": Case(
        everyone(analyst=DENIED, system_administrator=DENIED)
        | dict.fromkeys(("team_manager", "mash_practitioner", "agency_practitioner"), HIDDEN),
        path=lambda w: "/chronology?record=NMUH:H1",
        hidden_as=400,  # "There is no agency record with that code and ID", as for a typo
    ),
    "GET /break-glass/<int:person_id>": Case(
        only(
            "social_worker",
            "team_manager",
            "head_of_service",
            "mash_practitioner",
            "agency_safeguarding_lead",
        ),
        path=lambda w: f"/break-glass/{w.people['liam']}",
    ),
    "POST /break-glass/<int:person_id>": Case(
        only(
            "social_worker",
            "team_manager",
            "head_of_service",
            "mash_practitioner",
            "agency_safeguarding_lead",
        ),
        method="POST",
        json=False,
        path=lambda w: f"/break-glass/{w.people['liam']}",
        data=lambda w: {"reason": "Hospital called out of hours about a new injury"},
    ),
    "GET /break-glass/review": Case(only("team_manager", "head_of_service")),
    "GET /notifications": Case(everyone()),
    "GET /staff": Case(only("system_administrator")),
    "POST /staff/<str:username>/disable": Case(
        only("system_administrator"),
        method="POST",
        json=False,
        path=lambda w: "/staff/sw.b/disable",
        data=lambda w: {"confirm": "yes"},
    ),
    "GET /analytics": Case(only("analyst", "head_of_service", "director")),
    # --- the practitioners' pages ---------------------------------------------------------
    "GET /team": Case(only("team_manager", "head_of_service")),
    "GET /flags": Case(everyone(analyst=DENIED, system_administrator=DENIED)),
    "GET /flags/<int:flag_id>": Case(
        row(Y, H, Y, Y, H, H, Y, D, Y, D, S), path=lambda w: f"/flags/{peter_flag(w)}"
    ),
    "POST /flags/<int:flag_id>": Case(
        row(Y, H, Y, D, H, H, D, D, D, D, S),
        method="POST",
        json=False,
        path=lambda w: f"/flags/{open_flag(w)}",
        data=lambda w: {"form": "acknowledge", "version": "0"},
    ),
    **{
        f"GET /children/<int:person_id>{suffix}": Case(
            row(Y, H, Y, Y, H, H, Y, D, Y, D, S),
            path=lambda w, suffix=suffix: f"/children/{w.people['peter']}{suffix}",
            may_name=with_households,
        )
        for suffix in ("", "/chronology", "/chronology.csv", "/chronology.pdf")
    },
    "POST /children/<int:person_id>/chronology/significance": Case(
        row(Y, H, Y, D, H, H, D, D, D, D, S),
        method="POST",
        json=False,
        path=lambda w: f"/children/{w.people['peter']}/chronology/significance",
        data=lambda w: {
            "key": str(uuid.uuid4()),
            "agency": "MPS",
            "event": "INC-1",
            "significant": "yes",
            "seen": "0",
        },
    ),
    **{
        f"{method} /children/<int:person_id>/visits/new": Case(
            row(Y, H, Y, D, H, H, D, D, D, D, S),
            method=method,
            json=False,
            path=lambda w: f"/children/{w.people['peter']}/visits/new",
            data=lambda w: {
                "visit-date-day": "14",
                "visit-date-month": "1",
                "visit-date-year": "2008",
                "visit-time": "10:30",
                "child-seen": "yes",
                "seen-alone": "yes",
                "childs-views": "Fine",
                "purpose": "statutory_visit",
            },
        )
        for method in ("GET", "POST")
    },
    "GET /people/search": Case(
        row(Y, Y, Y, Y, Y, Y, Y, D, Y, D, S),
        path=lambda w: "/people/search?family-name=Smith",
        may_name=search_names,
    ),
    "GET /review": Case(row(Y, Y, Y, D, Y, D, D, D, D, D, S)),
    **{
        f"{method} /review/<int:item_id>": Case(
            row(Y, H, Y, D, H, D, D, D, D, D, S),
            method=method,
            json=False,
            path=lambda w: f"/review/{review_item(w)}",
            data=lambda w: {"same-person": "yes", "reason": "Same mother, NHS number checked"},
        )
        for method in ("GET", "POST")
    },
    "GET /people/<int:person_id>/merge": Case(
        row(Y, H, Y, D, H, D, D, D, D, D, S),
        path=lambda w: f"/people/{w.people['peter']}/merge",
    ),
    "POST /people/<int:person_id>/merge": Case(
        # sw_a may not see Liam: the form says there is no such person open to her.
        row(H, H, Y, D, H, D, D, D, D, D, S),
        method="POST",
        json=False,
        path=lambda w: f"/people/{w.people['peter']}/merge",
        data=lambda w: {"other": str(w.people["liam"]), "reason": "Same child, two records"},
        hidden_as=400,
    ),
    **{
        f"{method} /decisions/<int:decision_id>/unmerge": Case(
            row(Y, H, Y, D, H, D, D, D, D, D, S),
            method=method,
            json=False,
            path=lambda w: f"/decisions/{merged(w)}/unmerge",
            data=lambda w: {"reason": "They are mother and son"},
        )
        for method in ("GET", "POST")
    },
    "GET /contacts": Case(only("head_of_service", "mash_practitioner")),
    "GET /contacts/new": Case(only("head_of_service", "mash_practitioner")),
    "POST /contacts/new": Case(
        only("head_of_service", "mash_practitioner"),
        method="POST",
        json=False,
        data=lambda w: {
            "draft": str(uuid.uuid4()),
            "step": "referrer",
            "agency": "SCH",
            "source-name": "Ms A. Teacher",
            "received-day": "15",
            "received-month": "1",
            "received-year": "2008",
            "received-time": "11:00",
            "summary": "Maya is scared to go home",
        },
    ),
    "GET /contacts/<int:contact_id>": Case(
        row(D, H, Y, D, Y, D, D, D, D, D, S),
        path=lambda w: f"/contacts/{maya_contact(w)}",
        may_name=with_households,
    ),
    "POST /contacts/<int:contact_id>": Case(
        only("head_of_service", "mash_practitioner"),
        method="POST",
        json=False,
        path=lambda w: f"/contacts/{maya_contact(w)}",
        data=lambda w: {
            "action": "rate",
            "rag": "red",
            "reason": "Child frightened",
            "key": str(uuid.uuid4()),
        },
    ),
}


def _routes(patterns: list[Any], prefix: str = "") -> set[str]:
    out: set[str] = set()
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            out |= _routes(pattern.url_patterns, prefix + str(pattern.pattern))
        else:
            out.add("/" + prefix + str(pattern.pattern))
    return out


def project_routes() -> set[str]:
    """Every page route (with the methods the table gives it) and every API operation."""
    api_paths = api.get_openapi_schema()["paths"]
    routes = {f"{m.upper()} {path}" for path, ops in api_paths.items() for m in ops}
    pages = {r for r in _routes(get_resolver().url_patterns) if not r.startswith("/api/v1/")}
    pages -= {"/api/"}  # Ninja's root: a listing of nothing
    tabled = {key.split(" ", 1)[1]: key.split(" ", 1)[0] for key in MATRIX}
    for page in pages:
        methods = {k.split(" ", 1)[0] for k in MATRIX if k.split(" ", 1)[1] == page}
        routes |= {f"{m} {page}" for m in methods} or {f"{tabled.get(page, 'GET')} {page}"}
    return routes


def test_every_route_is_in_the_table() -> None:
    missing = sorted(project_routes() - set(MATRIX))
    stale = sorted(
        k for k in set(MATRIX) - project_routes() if not k.startswith(("GET /", "POST /"))
    )
    assert not missing, f"add these routes to MATRIX with each role's access: {missing}"
    assert not stale


def visible_names(world: World, role: str) -> set[str]:
    user_key = ROLES[role]
    if not user_key:
        return set()
    viewer = viewer_of(world.user(user_key))
    return {key for key, pid in world.people.items() if access_to(viewer, pid) is not None}


def outcome(response: Any) -> str:
    if response.status_code in (200, 201):
        return OK
    if response.status_code == 302:
        return SIGN_IN if "/sign-in" in response["Location"] else OK
    if response.status_code == 401:
        return SIGN_IN
    if response.status_code == 403:
        return DENIED
    if response.status_code == 404:
        return HIDDEN
    return f"status {response.status_code}"


@pytest.mark.parametrize("role", list(ROLES))
@pytest.mark.parametrize("route", sorted(MATRIX))
def test_matrix(world: World, route: str, role: str) -> None:
    case = MATRIX[route]
    client = Client()
    if ROLES[role]:
        sign_in_as(client, world.user(ROLES[role]))
    method, template = route.split(" ", 1)
    path = case.path(world) if case.path else template
    data = case.data(world) if case.data else None
    if method == "GET":
        response = client.get(path)
    elif case.json:
        response = client.post(path, data or {}, content_type="application/json")
    else:
        response = client.post(path, data or {})

    got = outcome(response)
    if response.status_code == case.hidden_as:
        got = HIDDEN
    assert got == case.expect[role], (
        f"{route} as {role}: expected {case.expect[role]}, got {got}: {response.content[:300]!r}"
    )
    if got == OK and response.status_code == 200:
        # A PDF's text is compressed: its content is tested where it is made (casework).
        if not response["Content-Type"].startswith(("text/", "application/json")):
            return
        body = response.content.decode()
        may_name = (case.may_name or visible_names)(world, role)
        leaked = sorted(key for key in NAMES if key not in may_name and NAMES[key] in body)
        assert not leaked, f"{route} as {role} shows people it may not see: {leaked}"
