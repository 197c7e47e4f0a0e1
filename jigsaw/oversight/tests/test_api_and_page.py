"""The analytics API and page: who may use them, and that nothing identifying gets out."""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

import pytest
from django.test import Client

from jigsaw.access.models import AuditEntry
from jigsaw.access.tests.helpers import sign_in_as
from jigsaw.access.tests.world import EVENTS, HOME, PEOPLE, STAFF
from jigsaw.oversight.selectors import pseudonym
from jigsaw.risk.models import Flag

pytestmark = pytest.mark.django_db

URL = "/api/v1/analytics/flags"
ALLOWED = {"analyst", "hos", "director"}
EVERYONE = [key for key, *_ in STAFF]


def client_for(user: Any) -> Client:
    return sign_in_as(Client(), user)


def identifying(world) -> list[str]:
    """Every value in the world that could name, date, locate or lead back to someone."""
    values = []
    for _key, given, family, dob, _sex, nhs, refs in PEOPLE:
        year, month, day = dob.split("-")
        values += [given, family, f"{given} {family}", dob, f"{day}/{month}/{year}", nhs,
                   f"{nhs[:3]} {nhs[3:6]} {nhs[6:]}"]  # fmt: skip
        values += [ref.split(":")[1] for ref in refs]  # local ids
    address = HOME["address"]
    values += [
        address["line1"],
        "Acacia",
        address["postcode"],
        address["postcode"].replace(" ", ""),
    ]
    for event in EVENTS:
        values += [event["event_id"], event["occurred_at"][:10], event["recorded_at"][:10]]
    values += ["fell against the sofa", "scared to go home", "Ms A. Teacher"]
    values += [flag.raised_at.date().isoformat() for flag in Flag.objects.all()]
    return values


def json_values(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return [v for item in value.values() for v in json_values(item)]
    if isinstance(value, list):
        return [v for item in value for v in json_values(item)]
    return [value]


@pytest.mark.parametrize("key", EVERYONE)
def test_the_api_is_for_analysts_heads_of_service_and_directors(world, key: str) -> None:
    response = client_for(world.user(key)).get(URL)

    assert response.status_code == (200 if key in ALLOWED else 403)
    if key not in ALLOWED:
        assert response.json() == {
            "detail": "pseudonymised flags are for analysts and service leaders"
        }
        assert not AuditEntry.objects.filter(object_type="analytics_flags").exists()


def test_the_api_needs_a_signed_in_session() -> None:
    assert Client().get(URL).status_code == 401


def test_the_api_gives_one_pseudonymised_row_per_flag_and_audits_it(world) -> None:
    response = client_for(world.user("analyst")).get(URL)

    rows = response.json()
    assert len(rows) == 5
    assert {tuple(sorted(row)) for row in rows} == {
        ("age_band", "child", "evidence_sectors", "raised_month", "rule", "severity", "state")
    }
    injury = next(row for row in rows if row["rule"] == "injury-non-mobile")
    assert injury == {
        "child": pseudonym(world.people["peter"]),
        "rule": "injury-non-mobile",
        "severity": "immediate",
        "state": injury["state"],  # risk's business; followed in test_selectors
        "raised_month": "2006-08",
        "age_band": "0",
        "evidence_sectors": ["health"],
    }
    assert injury["state"] in ("open", "acknowledged", "closed")
    entry = AuditEntry.objects.get(object_type="analytics_flags")
    assert (entry.action, entry.detail["rows"], entry.person_ids) == ("export", 5, [])


def test_no_identifying_value_is_in_the_extract(world) -> None:
    response = client_for(world.user("analyst")).get(URL)

    body = response.content.decode()
    for value in identifying(world):
        assert value not in body, value
    person_ids = {str(pid) for pid in world.people.values()}
    record_ids = {str(rid) for rid in world.records.values()}
    values = {str(v) for v in json_values(json.loads(body))}
    assert not values & (person_ids | record_ids)
    unkeyed = {hashlib.sha256(pid.encode()).hexdigest() for pid in person_ids}
    assert not values & unkeyed
    assert {row["child"] for row in response.json()} == {
        pseudonym(world.people[k]) for k in ("peter", "anna", "liam", "maya")
    }


@pytest.mark.parametrize("key", EVERYONE)
def test_the_analytics_page_is_for_the_same_roles(world, key: str) -> None:
    response = client_for(world.user(key)).get("/analytics")

    assert response.status_code == (200 if key in ALLOWED else 403)


def test_the_analytics_page_counts_flags_by_month_rule_and_severity(world) -> None:
    response = client_for(world.user("analyst")).get("/analytics")

    html = response.content.decode()
    text = " ".join(html.split())
    assert "<title>Flags by month \u2013 Jigsaw</title>" in html
    assert "5 flags, newest month first" in text
    table = html[html.index("<table") : html.index("</table>")]
    rows = [" ".join(row.split()) for row in table.split("<tr")[2:]]
    assert "June 2007" in rows[0]
    assert "domestic-abuse-child-present" in rows[0]
    assert "August 2006" in rows[1]
    assert "Injury to a child who is not independently mobile" in rows[1]
    cells = [re.sub(r"<[^>]+>", "", "<td" + c).strip() for c in rows[1].split("<td")[1:]]
    assert cells[1:] == ["1", "0", "0", "1"]  # immediate, high, medium, all
    # Less the logo's SVG path data and the random CSP nonce and CSRF token, where short ids
    # like "S1" turn up by chance.
    shown = re.sub(r"<svg.*?</svg>", "", html, flags=re.S)
    shown = re.sub(r'(nonce|value)="[^"]*"', "", shown)
    for value in identifying(world):
        assert value not in shown, value
    for key in world.people:
        assert pseudonym(world.people[key]) not in html
    entry = AuditEntry.objects.get(object_type="analytics_flags")
    assert entry.action == "read"
