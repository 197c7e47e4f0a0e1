"""Exchange format v1 objects for tests, and a way to send them through the one ingest service.

The factories build the dicts an agency would send (kind, agency, local ids, ...), with defaults
that pass validation: `base_objects()` is a health agency `NMUH` and its child `H-1`, and an
`EventObj()` is a concern about that child.
"""

from __future__ import annotations

import gzip
import hashlib
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import factory
import orjson
from django.apps import apps

from jigsaw.records.services import IngestReport, batch_ingest

VALID_NHS_NUMBER = "9434765919"  # the spec's example: passes modulus 11


class AgencyObj(factory.DictFactory):
    kind = "agency"
    code = "NMUH"
    name = factory.LazyAttribute(lambda o: f"{o.code} (test agency)")
    sector = "health"
    recorded_at = "2006-01-01T00:00:00Z"


class PersonObj(factory.DictFactory):
    kind = "person"
    agency = "NMUH"
    local_id = factory.Sequence(lambda n: f"H-{n + 1000}")
    given_name = "Peter"
    family_name = "Smith"
    date_of_birth = "2006-03-01"
    sex = "M"
    recorded_at = "2006-12-11T21:05:00Z"


class EventObj(factory.DictFactory):
    kind = "event"
    agency = "NMUH"
    event_id = factory.Sequence(lambda n: f"E-{n + 1000}")
    type = "concern_raised"
    occurred_at = "2007-04-09T14:00:00Z"
    recorded_at = "2007-04-09T15:00:00Z"
    subjects = factory.LazyFunction(lambda: [{"local_id": "H-1", "role": "child"}])
    details = factory.LazyFunction(lambda: {"category": "physical"})


def without(obj: dict[str, Any], *keys: str) -> dict[str, Any]:
    """`obj` less the given top-level keys."""
    return {k: v for k, v in obj.items() if k not in keys}


def base_objects(*people: str, code: str = "NMUH", sector: str = "health") -> list[dict[str, Any]]:
    """An agency and its person records (`H-1` if none named)."""
    return [
        AgencyObj(code=code, sector=sector),
        *(PersonObj(agency=code, local_id=local_id) for local_id in (people or ("H-1",))),
    ]


def list_source(objs: Iterable[Any]) -> Any:
    """A batch source over decoded objects, positions numbered from 1 like file lines."""
    items = list(objs)

    def source() -> Iterator[tuple[int, Any]]:
        return iter(enumerate(items, start=1))

    return source


def ingest(objs: Iterable[Any], *, as_agency: str | None = None) -> IngestReport:
    """Send decoded objects through `batch_ingest` as one batch."""
    items = list(objs)
    return batch_ingest(
        source=list_source(items),
        channel="file",
        source_name="test batch",
        sha256=hashlib.sha256(orjson.dumps(items)).hexdigest(),
        as_agency=as_agency,
    )


def errors_of(report: IngestReport) -> list[tuple[int, str, str]]:
    return [(e.position, e.path, e.message) for e in report.errors]


def jsonl_bytes(lines: Iterable[Any]) -> bytes:
    """JSON Lines: each dict or list encoded, each str written exactly as given."""
    out = []
    for line in lines:
        out.append(line if isinstance(line, str) else orjson.dumps(line).decode())
    return ("\n".join(out) + "\n").encode()


def write_jsonl(path: Path, lines: Iterable[Any]) -> Path:
    data = jsonl_bytes(lines)
    if path.suffix == ".gz":
        path.write_bytes(gzip.compress(data))
    else:
        path.write_bytes(data)
    return path


# The audit trail records every attempt (a rejected batch, a token's use), so it grows even when
# nothing is stored: it is left out of "nothing changed".
AUDIT_TABLES = {"access.AuditEntry", "access.AuditPerson"}


def row_counts() -> dict[str, int]:
    """Rows in every table Jigsaw has (the record store and everything else), bar the audit."""
    return {
        m._meta.label: m._default_manager.count()
        for m in apps.get_models()
        if m._meta.managed and not m._meta.proxy and m._meta.label not in AUDIT_TABLES
    }
