"""Small synthetic populations for identity tests, sent through the one ingest service."""

from __future__ import annotations

from typing import Any

from jigsaw.identity.linking import current_links
from jigsaw.records.models import PersonRecord
from jigsaw.records.tests.factories import AgencyObj, PersonObj, errors_of, ingest

AGENCIES = [
    AgencyObj(code="GP", name="A GP practice", sector="health"),
    AgencyObj(code="SCH", name="A primary school", sector="education"),
    AgencyObj(code="POL", name="A police force", sector="police"),
    AgencyObj(code="CSC", name="Children's social care", sector="social_care"),
]


def person(agency: str, local_id: str, given: str, family: str, dob: str | None, **kw: Any) -> Any:
    fields: dict[str, Any] = {
        "agency": agency,
        "local_id": local_id,
        "given_name": given,
        "family_name": family,
        "date_of_birth": dob,
        "sex": kw.pop("sex", "M"),
        "recorded_at": kw.pop("recorded_at", "2007-01-01T10:00:00Z"),
        **kw,
    }
    if dob is None:
        fields.pop("date_of_birth")
    return PersonObj(**fields)


def home(line1: str = "12 Acacia Road", postcode: str = "N17 6AB", since: str = "2005-01-01"):
    return {"address": {"line1": line1, "town": "London", "postcode": postcode},
            "address_from": since}  # fmt: skip


def send(*objs: Any) -> Any:
    report = ingest(list(objs))
    assert report.accepted, errors_of(report)
    return report


def record_id(ref: str) -> int:
    agency, local_id = ref.split(":", 1)
    return PersonRecord.objects.get(agency__code=agency, local_id=local_id).pk


def person_of(ref: str) -> int:
    return current_links([record_id(ref)])[record_id(ref)].person


def persons() -> dict[str, int]:
    """AGENCY:LOCAL_ID -> person, for every record now."""
    refs = {
        pk: f"{code}:{local}"
        for pk, code, local in PersonRecord.objects.values_list("pk", "agency__code", "local_id")
    }
    return {refs[r]: s.person for r, s in current_links(refs).items()}


def family() -> list[Any]:
    """A household seen by three agencies: twins, a sibling, a father and son of one name."""
    h = home()
    return [
        *AGENCIES,
        person("GP", "G1", "Chidi", "Okafor", "2005-06-01", **h),
        person("GP", "G2", "Chike", "Okafor", "2005-06-01", **h),
        person("SCH", "S1", "Chidi", "Okafor", "2005-06-01", **h),
        person("SCH", "S2", "Chike", "Okafor", "2005-06-01", **h),
        person("GP", "G3", "Adaeze", "Okafor", "2006-09-03", sex="F", **h),
        person("SCH", "S3", "Adaora", "Okafor", "2006-08-03", sex="F", **h),
        person("GP", "G4", "Emeka", "Okafor", "1974-02-05", **h),
        person("POL", "P1", "Emeka", "OKAFOR", "1974-02-05", **h),
        person("POL", "P2", "Emeka", "Okafor", "2006-02-05", **h),
    ]
