"""The agency API: send a batch with a bearer token; read the format's JSON Schema."""

from __future__ import annotations

from typing import Any

import jsonschema
import orjson
import pytest
from django.test import Client

from jigsaw.access.models import ApiToken
from jigsaw.access.services import token_create, token_revoke
from jigsaw.core.tests.helpers import NOW
from jigsaw.records.models import Event, EventVersion, PersonRecord, Submission
from jigsaw.records.tests.factories import (
    AgencyObj,
    EventObj,
    base_objects,
    ingest,
    jsonl_bytes,
    row_counts,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]

URL = "/api/v1/batches"

# The examples of exchange format v1, as the spec gives them.
SPEC_AGENCY = {
    "kind": "agency",
    "code": "NMUH",
    "name": "North Middlesex University Hospital",
    "sector": "health",
}
SPEC_PERSON = {
    "kind": "person",
    "agency": "NMUH",
    "local_id": "H-204311",
    "given_name": "Peter",
    "family_name": "Smith",
    "other_names": ["Pete"],
    "date_of_birth": "2006-03-01",
    "sex": "M",
    "nhs_number": "9434765919",
    "address": {"line1": "12 Acacia Road", "line2": None, "town": "London", "postcode": "N17 6AB"},
    "address_from": "2006-03-01",
    "recorded_at": "2006-12-11T21:05:00Z",
}
SPEC_EVENT = {
    "kind": "event",
    "agency": "NMUH",
    "event_id": "AE-88123",
    "type": "ae_attendance",
    "occurred_at": "2006-12-11T20:15:00Z",
    "recorded_at": "2006-12-11T23:40:00Z",
    "subjects": [
        {"local_id": "H-204311", "role": "child"},
        {"local_id": "H-204312", "role": "parent"},
    ],
    "author": {"name": "Dr A. Example", "role": "paediatric registrar"},
    "details": {
        "injuries": [{"kind": "bruise", "site": "face"}, {"kind": "head_injury"}],
        "explanation": "fell against the sofa",
        "explanation_consistent": False,
        "child_independently_mobile": None,
        "delay_hours": 30,
    },
    "narrative": "Free text as the professional wrote it.",
}
SPEC_PARENT = {**SPEC_PERSON, "local_id": "H-204312", "given_name": "Mary", "other_names": []}
SPEC_BATCH = [SPEC_AGENCY, SPEC_PERSON, SPEC_PARENT, SPEC_EVENT]


@pytest.fixture
def secret() -> str:
    return token_create(agency_code="NMUH", name="PAS feed").secret


def post(
    client: Client, body: bytes | list[Any], secret: str | None, content_type: str = ""
) -> Any:
    if isinstance(body, list):
        body, content_type = orjson.dumps(body), content_type or "application/json"
    headers = {"authorization": f"Bearer {secret}"} if secret else {}
    return client.post(
        URL, data=body, content_type=content_type or "application/x-ndjson", headers=headers
    )


def test_valid_batch_as_a_json_array_is_stored(client: Client, secret: str) -> None:
    response = post(client, SPEC_BATCH, secret)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["accepted"] is True
    assert (body["new"], body["unchanged"], body["superseded"]) == (4, 0, 0)
    assert body["by_kind"] == {
        "agency": {"new": 1, "unchanged": 0, "superseded": 0},
        "person": {"new": 2, "unchanged": 0, "superseded": 0},
        "event": {"new": 1, "unchanged": 0, "superseded": 0},
    }
    submission = Submission.objects.get()
    assert str(submission.id) == body["submission"]
    assert (submission.channel, submission.source, submission.received_at) == ("api", "NMUH", NOW)
    stored = EventVersion.objects.get()
    assert stored.details["injuries"][0] == {"kind": "bruise", "site": "face"}
    assert stored.author_name == "Dr A. Example"


def test_valid_batch_as_json_lines_is_stored(client: Client, secret: str) -> None:
    response = post(client, jsonl_bytes(SPEC_BATCH), secret)
    assert response.status_code == 201, response.content
    assert response.json()["new"] == 4
    assert PersonRecord.objects.count() == 2


@pytest.mark.parametrize(
    "body",
    [
        orjson.dumps(SPEC_AGENCY),
        orjson.dumps(SPEC_AGENCY) + b"\n",
        orjson.dumps(SPEC_AGENCY, option=orjson.OPT_INDENT_2),
    ],
    ids=["one line", "one line and newline", "pretty printed"],
)
def test_one_object_is_a_batch_of_one(client: Client, secret: str, body: bytes) -> None:
    response = post(client, body, secret, content_type="application/json")
    assert response.status_code == 201, response.content
    assert response.json()["by_kind"]["agency"]["new"] == 1


def test_retrying_the_same_body_duplicates_nothing(client: Client, secret: str) -> None:
    assert post(client, SPEC_BATCH, secret).status_code == 201
    before = row_counts()
    response = post(client, SPEC_BATCH, secret)
    assert response.status_code == 201
    body = response.json()
    assert (body["new"], body["unchanged"], body["superseded"]) == (0, 4, 0)
    after = row_counts()
    assert after.pop("records.Submission") == before.pop("records.Submission") + 1
    assert after == before


def test_a_correction_supersedes(client: Client, secret: str) -> None:
    assert post(client, SPEC_BATCH, secret).status_code == 201
    corrected = {**SPEC_EVENT, "details": {**SPEC_EVENT["details"], "delay_hours": 2}}
    response = post(client, [corrected], secret)
    assert response.status_code == 201
    assert response.json()["superseded"] == 1
    assert list(EventVersion.objects.order_by("version").values_list("version", flat=True)) == [
        1,
        2,
    ]


def test_invalid_batch_is_422_with_every_error_and_stores_nothing(
    client: Client, secret: str
) -> None:
    bad_person = {**SPEC_PERSON, "nhs_number": "9434765918"}
    bad_event = {**SPEC_EVENT, "type": "phone_call", "occurred_at": "2006-12-32"}
    before = row_counts()
    response = post(client, [SPEC_AGENCY, bad_person, SPEC_PARENT, bad_event, "x"], secret)
    assert response.status_code == 422
    body = response.json()
    assert body["accepted"] is False
    assert body["error_count"] == 4
    assert set(body) == {"accepted", "error_count", "errors"}
    # A JSON array's positions are indexes.
    assert body["errors"] == [
        {"position": 1, "path": "nhs_number", "message": "'9434765918' fails the modulus 11 check"},
        {
            "position": 3,
            "path": "occurred_at",
            "message": "'2006-12-32' is not a date in the form YYYY-MM-DD",
        },
        {
            "position": 3,
            "path": "type",
            "message": "'phone_call' is not an event type of exchange format v1",
        },
        {"position": 4, "path": "(object)", "message": "must be a JSON object"},
    ]
    assert row_counts() == before


def test_json_lines_errors_are_by_line_number(client: Client, secret: str) -> None:
    body = jsonl_bytes([SPEC_AGENCY, "", "{oops", SPEC_PERSON])
    response = post(client, body, secret)
    assert response.status_code == 422
    [error] = response.json()["errors"]
    assert (error["position"], error["path"]) == (3, "(line)")
    assert error["message"].startswith("invalid JSON")
    assert PersonRecord.objects.count() == 0


@pytest.mark.parametrize("body", [b"", b"   \n"])
def test_empty_body_is_422(client: Client, secret: str, body: bytes) -> None:
    response = post(client, body, secret)
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"position": 0, "path": "(body)", "message": "the body is empty"}
    ]


def test_broken_json_array_is_422(client: Client, secret: str) -> None:
    response = post(client, b'[{"kind": "agency"', secret, content_type="application/json")
    assert response.status_code == 422
    [error] = response.json()["errors"]
    assert error["message"].startswith("invalid JSON")


def test_object_of_another_agency_is_403_and_stores_nothing(client: Client, secret: str) -> None:
    assert ingest(base_objects("P-1", code="MET", sector="police")).accepted
    before = row_counts()
    met_event = EventObj(
        agency="MET",
        event_id="X-1",
        type="police_incident",
        subjects=[{"local_id": "P-1", "role": "victim"}],
        details={"incident_type": "violence"},
    )
    response = post(client, [*SPEC_BATCH, met_event, AgencyObj(code="MET")], secret)
    assert response.status_code == 403
    assert response.json()["errors"] == [
        {"position": 4, "path": "agency", "message": "this token sends as 'NMUH', not 'MET'"},
        {"position": 5, "path": "code", "message": "this token sends as 'NMUH', not 'MET'"},
    ]
    assert row_counts() == before
    assert not Event.objects.filter(event_id="X-1").exists()


def test_token_without_the_send_scope_is_403(client: Client) -> None:
    secret = token_create(agency_code="NMUH", scopes=["read"]).secret
    response = post(client, SPEC_BATCH, secret)
    assert response.status_code == 403
    assert response.json()["errors"][0]["message"] == "this token may not send batches"
    assert PersonRecord.objects.count() == 0


def test_no_token_is_401(client: Client) -> None:
    assert post(client, SPEC_BATCH, None).status_code == 401
    assert PersonRecord.objects.count() == 0


@pytest.mark.parametrize(
    "mangle",
    [
        lambda s: s[:-1] + ("A" if s[-1] != "A" else "B"),  # wrong secret, right prefix
        lambda s: "jgs_00000000_" + s.split("_", 2)[2],  # unknown prefix
        lambda s: s.removeprefix("jgs_"),  # not a Jigsaw token
        lambda s: "",
    ],
    ids=["wrong secret", "unknown prefix", "no prefix", "empty"],
)
def test_wrong_token_is_401(client: Client, secret: str, mangle: Any) -> None:
    response = client.post(
        URL,
        data=orjson.dumps(SPEC_BATCH),
        content_type="application/json",
        headers={"authorization": f"Bearer {mangle(secret)}"},
    )
    assert response.status_code == 401
    assert PersonRecord.objects.count() == 0


def test_other_authorisation_schemes_are_401(client: Client, secret: str) -> None:
    response = client.post(
        URL,
        data=orjson.dumps(SPEC_BATCH),
        content_type="application/json",
        headers={"authorization": f"Token {secret}"},
    )
    assert response.status_code == 401


def test_revoked_token_is_401(client: Client, secret: str) -> None:
    assert post(client, [SPEC_AGENCY], secret).status_code == 201
    token_revoke(prefix=ApiToken.objects.get().prefix)
    assert post(client, SPEC_BATCH, secret).status_code == 401
    assert PersonRecord.objects.count() == 0


def test_token_use_is_recorded(client: Client, secret: str) -> None:
    assert ApiToken.objects.get().last_used_at is None
    post(client, [SPEC_AGENCY], secret)
    assert ApiToken.objects.get().last_used_at == NOW


def test_get_is_not_allowed_on_batches(client: Client, secret: str) -> None:
    response = client.get(URL, headers={"authorization": f"Bearer {secret}"})
    assert response.status_code == 405


# --- schema and docs ----------------------------------------------------------------------------


@pytest.fixture
def schema(client: Client) -> dict[str, Any]:
    response = client.get("/api/v1/schema")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    body: dict[str, Any] = response.json()
    return body


def test_schema_is_a_valid_json_schema(schema: dict[str, Any]) -> None:
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert {s["title"] for s in schema["oneOf"]} == {"agency", "person", "event"}


@pytest.mark.parametrize("example", SPEC_BATCH, ids=lambda e: str(e["kind"]))
def test_schema_validates_the_spec_examples(schema: dict[str, Any], example: Any) -> None:
    jsonschema.validate(example, schema, cls=jsonschema.Draft202012Validator)


@pytest.mark.parametrize(
    "bad",
    [
        {**SPEC_AGENCY, "kind": "hospital"},
        {**SPEC_AGENCY, "sector": "charity"},
        {**SPEC_PERSON, "sex": "male"},
        {**SPEC_PERSON, "surname": "Smith"},
        {k: v for k, v in SPEC_EVENT.items() if k != "occurred_at"},
        {**SPEC_EVENT, "subjects": []},
        {**SPEC_EVENT, "subjects": [{"local_id": "H-1", "role": "uncle"}]},
    ],
)
def test_schema_refuses_what_the_ingest_refuses(schema: dict[str, Any], bad: Any) -> None:
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, schema, cls=jsonschema.Draft202012Validator)


def test_schema_describes_each_event_types_details(schema: dict[str, Any]) -> None:
    details = schema["x-event-details"]
    assert len(details) == 21
    assert details["police_incident"]["x-sent-by"] == ["police"]
    assert details["note"]["x-sent-by"] == ["any"]
    assert details["cp_conference"]["required"] == ["conference", "outcome"]

    def check(type_name: str, value: Any) -> None:
        sub = {"$defs": schema["$defs"], **details[type_name]}
        jsonschema.validate(value, sub, cls=jsonschema.Draft202012Validator)

    check("ae_attendance", SPEC_EVENT["details"])
    with pytest.raises(jsonschema.ValidationError):
        check("ae_attendance", {"injuries": [{"kind": "graze"}]})
    with pytest.raises(jsonschema.ValidationError):
        check("home_visit", {"seen_alone": True})


def test_openapi_lists_the_batches_endpoint(client: Client) -> None:
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert "post" in paths["/api/v1/batches"]
    assert "get" in paths["/api/v1/schema"]
    operation = paths["/api/v1/batches"]["post"]
    assert set(operation["responses"]) == {"201", "403", "422"}
    assert operation["security"] == [{"AgencyToken": []}]


def test_api_docs_page(client: Client) -> None:
    response = client.get("/api/docs")
    assert response.status_code == 200
    assert b"openapi.json" in response.content
