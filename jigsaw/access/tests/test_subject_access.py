"""A subject access export holds everything about the person, and nothing about anyone else."""

from __future__ import annotations

import json

import pytest

from jigsaw.access.models import AuditEntry
from jigsaw.access.need_to_know import NoAccess, require_access, viewer_of

pytestmark = pytest.mark.django_db


def test_export_lists_every_record_event_flag_allocation_and_look(world, jigsaw_cli, tmp_path):
    peter = world.people["peter"]
    require_access(viewer_of(world.user("sw_a")), peter)  # allowed: not itself audited here
    with pytest.raises(NoAccess):
        require_access(viewer_of(world.user("sw_b")), peter)  # refused and audited
    out = tmp_path / "peter.json"
    code, stdout, _ = jigsaw_cli("audit", "export", str(peter), "--out", str(out))
    assert code == 0, stdout
    data = json.loads(out.read_text())
    assert {(r["agency"], r["local_id"]) for r in data["records"]} == {
        ("CSC", "C1"), ("NMUH", "H1"), ("MPS", "P2")}  # fmt: skip
    assert {e["event_id"] for e in data["events"]} == {"AE-1", "INC-1"}
    assert len(data["record_versions"]) == 3
    assert data["flags"], "Peter's bruise raised a flag"
    assert data["flags"][0]["revisions"]
    assert [a["worker_id"] for a in data["allocations"]] == [world.user("sw_a").pk]
    assert any(e["action"] == "refused" and e["username"] == "sw.b" for e in data["access_log"])
    # The world's one ingest named everyone in it; Peter's export shows only his own ids.
    (loaded,) = (e for e in data["access_log"] if e["action"] == "ingest")
    peter_records = {r["record_id"] for r in data["records"]}
    assert loaded["person_ids"] == [str(peter)]
    assert set(loaded["record_ids"]) == peter_records
    assert loaded["others_named"] == {"people": 5, "records": len(world.records) - 3}
    text = out.read_text()
    for other in ("Anna", "Liam", "Maya", "9434765048"):
        assert other not in text
    exported = AuditEntry.objects.get(action=AuditEntry.Action.EXPORT)
    assert exported.person_ids == [str(peter)]
    assert exported.object_type == "subject_access"


def test_export_of_an_unknown_person_is_an_error(db, jigsaw_cli):
    code, _, err = jigsaw_cli("audit", "export", "424242")
    assert code != 0
    assert "there is no person 424242" in err
