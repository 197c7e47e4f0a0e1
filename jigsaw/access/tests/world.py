"""A small local authority with staff of every role, for need-to-know tests in any app.

Children and adults come in through the one ingest (so they are linked and evaluated as in
life); allocations and a front-door contact through casework's services. Who should see whom:

- Peter Smith (child, 5 months at a bruise to the face, so flagged) is held by Team A and its
  worker `sw_a`. His mother Tracey is named with him by the hospital; Steven Barker, her
  partner, only by the police, with Peter, at a domestic-abuse incident. Tracey has a
  sexual-health contact at the hospital, marked restricted.
- Anna Jones is held by Team B (`sw_b`). Liam Brown is known only to the hospital: nobody in
  social care holds him. Maya Patel is the subject of a contact in triage at the MASH.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from jigsaw.access.models import Team
from jigsaw.access.roles import Role, Sector
from jigsaw.access.tests.helpers import staff
from jigsaw.casework.services import allocation_set, contact_record
from jigsaw.core.clock import clock
from jigsaw.identity.linking import current_links
from jigsaw.identity.models import Person
from jigsaw.records.models import PersonRecord
from jigsaw.records.tests.factories import AgencyObj, EventObj, PersonObj, errors_of, ingest

HOME = {"address": {"line1": "12 Acacia Road", "town": "London", "postcode": "N17 6AB"}}
AGENCIES = [
    AgencyObj(code="CSC", name="Northfield Children's Social Care", sector="social_care"),
    AgencyObj(code="NMUH", name="North Middlesex Hospital", sector="health"),
    AgencyObj(code="MPS", name="Metropolitan Police", sector="police"),
    AgencyObj(code="SCH", name="Northfield Primary School", sector="education"),
]
# (key, given, family, date of birth, sex, NHS number, records as AGENCY:LOCAL_ID)
PEOPLE = [
    ("peter", "Peter", "Smith", "2006-03-01", "M", "9434765005", ["CSC:C1", "NMUH:H1", "MPS:P2"]),
    ("tracey", "Tracey", "Smith", "1980-05-12", "F", "9434765013", ["CSC:C2", "NMUH:H2"]),
    ("steven", "Steven", "Barker", "1975-11-02", "M", "9434765021", ["MPS:P1"]),
    ("anna", "Anna", "Jones", "2001-07-19", "F", "9434765048", ["CSC:C3", "SCH:S1"]),
    ("liam", "Liam", "Brown", "2007-01-05", "M", "9434765056", ["NMUH:H3"]),
    ("maya", "Maya", "Patel", "2000-02-14", "F", "9434765064", ["SCH:S2"]),
]
EVENTS = [
    EventObj(agency="NMUH", event_id="AE-1", type="ae_attendance",
             occurred_at="2006-08-01T20:15:00Z", recorded_at="2006-08-01T23:40:00Z",
             subjects=[{"local_id": "H1", "role": "child"}, {"local_id": "H2", "role": "parent"}],
             details={"injuries": [{"kind": "bruise", "site": "face"}],
                      "explanation": "fell against the sofa"}),
    EventObj(agency="MPS", event_id="INC-1", type="police_incident",
             occurred_at="2007-06-02T23:00:00Z", recorded_at="2007-06-03T09:00:00Z",
             subjects=[{"local_id": "P2", "role": "child"},
                       {"local_id": "P1", "role": "alleged_perpetrator"}],
             details={"incident_type": "domestic_abuse", "children_present": True}),
    EventObj(agency="NMUH", event_id="SH-1", type="health_contact",
             occurred_at="2007-09-10T10:00:00Z", recorded_at="2007-09-10T12:00:00Z",
             subjects=[{"local_id": "H2", "role": "other"}],
             details={"service": "other", "restriction": "sexual_health"}),
    EventObj(agency="SCH", event_id="ABS-1", type="school_absence",
             occurred_at="2007-10-01T09:00:00Z", recorded_at="2007-10-05T09:00:00Z",
             subjects=[{"local_id": "S1", "role": "child"}], details={"sessions_missed": 8}),
    EventObj(agency="NMUH", event_id="GP-1", type="health_contact",
             occurred_at="2007-11-01T10:00:00Z", recorded_at="2007-11-01T12:00:00Z",
             subjects=[{"local_id": "H3", "role": "child"}], details={"service": "gp"}),
]  # fmt: skip

# (key, role, team, extra profile fields)
STAFF: list[tuple[str, str, str, dict[str, Any]]] = [
    ("sw_a", Role.SOCIAL_WORKER, "Team A", {}),
    ("sw_a2", Role.SOCIAL_WORKER, "Team A", {}),
    ("sw_b", Role.SOCIAL_WORKER, "Team B", {}),
    ("tm_a", Role.TEAM_MANAGER, "Team A", {}),
    ("tm_b", Role.TEAM_MANAGER, "Team B", {}),
    ("hos", Role.HEAD_OF_SERVICE, "", {}),
    ("director", Role.DIRECTOR, "", {}),
    ("mash", Role.MASH_PRACTITIONER, "MASH", {}),
    ("nmuh", Role.AGENCY_PRACTITIONER, "", {"agency_code": "NMUH", "sector": Sector.HEALTH}),
    ("nmuh_lead", Role.AGENCY_SAFEGUARDING_LEAD, "",
     {"agency_code": "NMUH", "sector": Sector.HEALTH}),
    ("school", Role.AGENCY_PRACTITIONER, "", {"agency_code": "SCH", "sector": Sector.EDUCATION}),
    ("analyst", Role.ANALYST, "", {}),
    ("inspector", Role.INSPECTOR, "", {"expires_in": timedelta(days=30)}),
    ("sysadmin", Role.SYSTEM_ADMINISTRATOR, "", {}),
]  # fmt: skip


@dataclass
class World:
    people: dict[str, int] = field(default_factory=dict)  # key → person id
    users: dict[str, Any] = field(default_factory=dict)  # key → user
    records: dict[str, int] = field(default_factory=dict)  # "AGENCY:LOCAL_ID" → record id

    def person(self, key: str) -> Person:
        return Person.objects.get(pk=self.people[key])

    def user(self, key: str) -> Any:
        return self.users[key]

    def now(self) -> Any:
        return clock.now()


def _person_objects() -> list[Any]:
    out = []
    for _key, given, family, dob, sex, nhs, refs in PEOPLE:
        for ref in refs:
            agency, local_id = ref.split(":")
            out.append(
                PersonObj(agency=agency, local_id=local_id, given_name=given, family_name=family,
                          date_of_birth=dob, sex=sex, nhs_number=nhs,
                          recorded_at="2006-03-02T10:00:00Z", **HOME)
            )  # fmt: skip
    return out


def build_world() -> World:
    """Ingest the population, create the staff, allocate and open the contact."""
    report = ingest([*AGENCIES, *_person_objects(), *EVENTS])
    assert report.accepted, errors_of(report)
    world = World()
    refs = {
        pk: f"{code}:{local}"
        for pk, code, local in PersonRecord.objects.values_list("pk", "agency__code", "local_id")
    }
    world.records = {ref: pk for pk, ref in refs.items()}
    links = current_links(list(refs))
    for key, *_rest, record_refs in PEOPLE:
        persons = {links[world.records[ref]].person for ref in record_refs}
        assert len(persons) == 1, f"{key}'s records did not link to one person: {persons}"
        world.people[key] = persons.pop()

    for key, role, team, extra in STAFF:
        options = dict(extra)
        expires_in = options.pop("expires_in", None)
        if expires_in is not None:
            options["expires_at"] = clock.now() + expires_in
        world.users[key] = staff(key.replace("_", "."), role=role, team=team, **options)
    for team_name, manager in (("Team A", "tm_a"), ("Team B", "tm_b")):
        Team.objects.filter(name=team_name).update(manager=world.users[manager])

    team_a, team_b = Team.objects.get(name="Team A"), Team.objects.get(name="Team B")
    allocation_set(person=world.person("peter"), team=team_a, worker=world.users["sw_a"],
                   started_at=clock.now() - timedelta(days=90), reason="assessment")  # fmt: skip
    allocation_set(person=world.person("anna"), team=team_b, worker=world.users["sw_b"],
                   started_at=clock.now() - timedelta(days=60), reason="child in need")  # fmt: skip
    contact_record(
        summary="School worried: Maya says she is scared to go home.",
        persons=[(world.person("maya"), "child")],
        source_agency="SCH",
        source_name="Ms A. Teacher",
        by=world.users["mash"],
    )
    return world
