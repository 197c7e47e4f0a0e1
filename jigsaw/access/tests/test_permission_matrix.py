"""Every role against every page and API endpoint, from one table.

`MATRIX` names every URL route and method with what each role gets: OK, DENIED (403), HIDDEN
(404: as if it did not exist), SIGN_IN (sent to sign in, or 401). The methods are the
project's own: the API's from its schema, each page's from its view (asked with a method no
page takes, it answers 405 and says which it allows). A route or method the table lacks fails
`test_every_route_and_method_is_in_the_table`, and so does a view that does not say which
methods it takes.

For every allowed response (`test_matrix`), nobody the role may not see is named in it; and a
JSON list names exactly the people the role should get back, no fewer and no more. Whom each
role may see is stated below from the test world (world.py), not worked out by need-to-know:
the code under test.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.test import Client
from django.urls import URLResolver, get_resolver

from jigsaw.access.roles import Role
from jigsaw.access.tests.helpers import sign_in_as, staff
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
EVERYONE = frozenset(NAMES)

# Whom each role's account may see, from world.py: sw_a holds Peter's case (Team A), and Tracey
# and Steven are named with him in the hospital's and the police's events; tm_b manages Team B,
# which holds Anna; the MASH has Maya's contact in triage; the school holds Anna's and Maya's
# records, the hospital Peter's, Tracey's and Liam's; heads of service, directors and
# inspectors see everyone; analysts and administrators no one.
SEES: dict[str, frozenset[str]] = {
    "social_worker": frozenset({"peter", "tracey", "steven"}),
    "team_manager": frozenset({"anna"}),
    "head_of_service": EVERYONE,
    "director": EVERYONE,
    "mash_practitioner": frozenset({"maya"}),
    "agency_practitioner": frozenset({"anna", "maya"}),
    "agency_safeguarding_lead": frozenset({"peter", "tracey", "liam"}),
    "analyst": frozenset(),
    "inspector": EVERYONE,
    "system_administrator": frozenset(),
    "anonymous": frozenset(),
}
# The children with flags: Peter (a bruise at 5 months), and every child living at 12 Acacia
# Road (everyone in the world does) when the police were called there about domestic abuse.
FLAGGED = frozenset({"peter", "anna", "liam", "maya"})
FLAG_COUNT = 5  # Peter has two
# Roles that search everyone at the front door (docs/security.md); agency staff find their own.
SEARCH_EVERYONE = ("social_worker", "team_manager", "head_of_service", "director",
                   "mash_practitioner", "inspector")  # fmt: skip


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
    ok_as: int = 0  # a status that is the page answering (a form's errors to anyone: 400)
    # Who the response may name: None means "whoever the role may see" (SEES); the front
    # door's search shows candidates to those who search everyone, by design.
    may_name: Callable[[World, str], set[str]] | None = None
    # For a JSON answer: the person ids it names (`ids`), which must be exactly those of the
    # people `returns` gives for the role: all the role should get back, and no one else.
    ids: Callable[[Any], list[int]] | None = None
    returns: Callable[[str], set[str]] | None = None
    rows: int | None = None  # how many rows a JSON list holds, where no one is named in it
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


def visible_names(world: World, role: str) -> set[str]:
    return set(SEES[role])


def with_household_of(child: str) -> Callable[[World, str], set[str]]:
    """Whom the role may see, and, on a page about a child it may see, everyone living with the
    child: the record lists the household. Everyone in the world lives at 12 Acacia Road."""

    def names(world: World, role: str) -> set[str]:
        return set(SEES[role]) | (set(EVERYONE) if child in SEES[role] else set())

    return names


def found_by_search(role: str) -> set[str]:
    return set(EVERYONE) if role in SEARCH_EVERYONE else set(SEES[role])


def search_names(world: World, role: str) -> set[str]:
    return found_by_search(role)


def review_pairs(world: World) -> None:
    """Two pairs the matcher could not decide on: Tracey's social-care record against Steven's
    police one (both named with Peter), and Anna's against Liam's (Anna held by Team B, Liam by
    no one)."""
    from jigsaw.core.clock import clock
    from jigsaw.records.models import PersonRecord

    for a, b in (("CSC:C2", "MPS:P1"), ("CSC:C3", "NMUH:H3")):
        ReviewItem.objects.create(
            record_a=PersonRecord.objects.get(pk=world.records[a]),
            record_b=PersonRecord.objects.get(pk=world.records[b]),
            weight=3.0, probability=0.6, explanation=[], raised_at=clock.now(),
        )  # fmt: skip


# Who decides each pair: both persons must be theirs to act on. sw_a may act on Tracey and
# Steven, not on Anna or Liam; tm_b on Anna, not Liam; heads of service on everyone.
REVIEWS = {
    "social_worker": {"tracey", "steven"},
    "head_of_service": {"tracey", "steven", "anna", "liam"},
}


def a_break_glass_to_review(world: World) -> dict[str, str]:
    """sw_b (Team B, managed by tm_b) broke glass on Liam: tm_b's and heads of service's to
    review."""
    from jigsaw.access.services import break_glass_open

    grant = break_glass_open(
        user=world.user("sw_b"),
        person_id=str(world.people["liam"]),
        reason="Hospital called out of hours about a new injury",
    )
    return {"grant": str(grant.pk), "note": "Checked with the worker: a real emergency"}


def person_ids(*paths: str) -> Callable[[Any], list[int]]:
    """The person ids at these dotted paths in each row of a JSON list (or in one object)."""

    def take(row: dict[str, Any], path: str) -> Any:
        for key in path.split("."):
            row = row[key]
        return row

    def ids(body: Any) -> list[int]:
        rows = body if isinstance(body, list) else [body]
        return [take(row, path) for row in rows for path in paths]

    return ids


MATRIX: dict[str, Case] = {
    # --- the API --------------------------------------------------------------------------
    "GET /api/openapi.json": Case(public()),
    "GET /api/docs": Case(public()),
    "GET /api/v1/schema": Case(public()),
    # Agency systems send with a token; a staff session is not one.
    "POST /api/v1/batches": Case(dict.fromkeys(ROLES, SIGN_IN), method="POST", data=lambda w: {}),
    "GET /api/v1/people/search": Case(
        everyone(analyst=DENIED, system_administrator=DENIED),
        path=lambda w: "/api/v1/people/search?postcode=N17%206AB",  # everyone lives there
        may_name=search_names,
        ids=person_ids("person"),
        returns=found_by_search,
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
        ids=person_ids("id"),
        returns=lambda role: {"peter"},
    ),
    "GET /api/v1/people/{person_id}/chronology": Case(
        {r: (OK if r in SEES_PETER else HIDDEN) for r in ROLES} | {"anonymous": SIGN_IN},
        path=lambda w: f"/api/v1/people/{w.people['peter']}/chronology",
        ids=person_ids("person"),
        returns=lambda role: {"peter"},
    ),
    "GET /api/v1/review": Case(
        only(*CASEWORK),
        setup=review_pairs,
        ids=person_ids("record_a.person", "record_b.person"),
        returns=lambda role: REVIEWS.get(role, set()),
    ),
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
    "GET /api/v1/flags": Case(
        everyone(analyst=DENIED, system_administrator=DENIED),
        ids=person_ids("child.person"),
        returns=lambda role: set(FLAGGED & SEES[role]),
    ),
    "GET /api/v1/flags/{flag_id}": Case(
        {r: (OK if r in SEES_PETER else HIDDEN) for r in ROLES}
        | {"analyst": DENIED, "system_administrator": DENIED, "anonymous": SIGN_IN},
        path=lambda w: f"/api/v1/flags/{peter_flag(w)}",
        ids=person_ids("child.person"),
        returns=lambda role: {"peter"},
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
    # Pseudonymised: a row for every flag (the names check finds nobody named).
    "GET /api/v1/analytics/flags": Case(
        only("analyst", "head_of_service", "director"), rows=FLAG_COUNT
    ),
    # --- pages ----------------------------------------------------------------------------
    "GET /": Case(everyone()),
    "GET /sign-in": Case(public()),
    # Anyone may post the form (an empty one gets its errors, a 400).
    "POST /sign-in": Case(public(), method="POST", json=False, data=lambda w: {}, ok_as=400),
    # Only part-way through signing in: anyone else is sent back to the start.
    "GET /sign-in/code": Case(dict.fromkeys(ROLES, SIGN_IN)),
    "POST /sign-in/code": Case(
        dict.fromkeys(ROLES, SIGN_IN), method="POST", json=False, data=lambda w: {"code": "1"}
    ),
    "GET /change-password": Case(everyone()),
    "POST /change-password": Case(
        everyone(), method="POST", json=False, data=lambda w: {}, ok_as=400
    ),
    "GET /sign-out": Case(everyone()),  # asks first: a link cannot sign anyone out
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
    "POST /break-glass/review": Case(
        only("team_manager", "head_of_service"),
        method="POST",
        json=False,
        data=a_break_glass_to_review,
    ),
    "GET /notifications": Case(everyone()),
    "GET /staff": Case(only("system_administrator")),
    "GET /staff/<str:username>/disable": Case(
        only("system_administrator"), path=lambda w: "/staff/sw.b/disable"
    ),
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
            may_name=with_household_of("peter"),
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
        may_name=with_household_of("maya"),
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


# A method no page takes: a view that says which methods it takes answers it with 405 and an
# Allow header listing them; one that says nothing answers it like any other request.
PROBE = "OPTIONS"
_PARAMETER = re.compile(r"<(?:(\w+):)?\w+>")


def _example_path(route: str) -> str:
    """The route with each parameter filled in (the method check comes before any lookup)."""
    return _PARAMETER.sub(lambda m: "1" if m.group(1) == "int" else "x", route)


# Django Ninja's own pages (the schema and its viewer) read the same for any method.
NINJA_PAGES = {"/api/docs", "/api/openapi.json"}


def page_methods(client: Client, route: str) -> set[str]:
    """The methods a page's view takes, asked of the view itself; {"?"} when it does not say."""
    if route in NINJA_PAGES:
        return {"GET"}
    response = client.generic(PROBE, _example_path(route))
    if response.status_code != 405:
        return {"?"}
    return {m.strip() for m in response["Allow"].split(",")} - {"HEAD", "OPTIONS"}


def project_routes(client: Client) -> set[str]:
    """Every API operation, and every page route with each method its view takes."""
    api_paths = api.get_openapi_schema()["paths"]
    routes = {f"{m.upper()} {path}" for path, ops in api_paths.items() for m in ops}
    pages = {r for r in _routes(get_resolver().url_patterns) if not r.startswith("/api/v1/")}
    pages -= {"/api/"}  # Ninja's root: a listing of nothing
    for page in pages:
        routes |= {f"{m} {page}" for m in page_methods(client, page)}
    return routes


def test_every_route_and_method_is_in_the_table() -> None:
    client = sign_in_as(Client(), staff("probe", role=Role.HEAD_OF_SERVICE, team=""))
    routes = project_routes(client)

    undeclared = sorted(r.split(" ", 1)[1] for r in routes if r.startswith("? "))
    assert not undeclared, f"say which methods these pages take (require_GET…): {undeclared}"
    missing = sorted(routes - set(MATRIX))
    assert not missing, f"add these routes to MATRIX with each role's access: {missing}"
    stale = sorted(set(MATRIX) - routes)
    assert not stale, f"MATRIX has routes or methods the project does not take: {stale}"


def test_the_world_is_as_the_table_says(world: World) -> None:
    """The statements the matrix checks against (SEES, FLAGGED) rest on the world's facts."""
    by_id = {pid: key for key, pid in world.people.items()}
    flagged = [by_id[int(p)] for p in Flag.objects.values_list("person_id", flat=True)]
    assert sorted(flagged) == sorted(["peter", "peter", "anna", "liam", "maya"])
    assert len(flagged) == FLAG_COUNT


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
    case.setup(world)
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
    if case.ok_as and response.status_code == case.ok_as:
        got = OK
    assert got == case.expect[role], (
        f"{route} as {role}: expected {case.expect[role]}, got {got}: {response.content[:300]!r}"
    )
    if got != OK or response.status_code != 200:
        return
    # A PDF's text is compressed: its content is tested where it is made (casework).
    if not response["Content-Type"].startswith(("text/", "application/json")):
        return
    body = response.content.decode()
    may_name = (case.may_name or visible_names)(world, role)
    leaked = sorted(key for key in NAMES if key not in may_name and NAMES[key] in body)
    assert not leaked, f"{route} as {role} shows people it may not see: {leaked}"
    if case.ids is not None and case.returns is not None:
        # Lists give ids, not names: compare the people in the answer with those expected.
        by_id = {pid: key for key, pid in world.people.items()}
        shown = case.ids(response.json())
        named = {by_id.get(pid, f"person {pid}") for pid in shown}
        expected = case.returns(role)
        assert named == expected, (
            f"{route} as {role} gave {sorted(named)}; expected {sorted(expected)}: "
            f"missing {sorted(expected - named)}, not theirs {sorted(named - expected)}"
        )
    if case.rows is not None:
        assert len(response.json()) == case.rows, f"{route} as {role}: wrong number of rows"
