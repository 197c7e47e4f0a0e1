"""Home visits recorded in Jigsaw: who may record one for a child, and the write itself.

A visit is written as the local authority's own `home_visit` event (local_authority.event_write),
through the one ingest, so it joins the child's chronology like any agency's record and the risk
engine evaluates the child at once. What changed in the child's flags is worked out here, so the
worker is told straight away if the visit raised or changed a flag.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count

from jigsaw.access.audit import audit_record
from jigsaw.access.models import AuditEntry
from jigsaw.access.need_to_know import (
    Access,
    NoAccess,
    access_to,
    audit_read,
    audit_refused,
    require_access,
    viewer_of,
)
from jigsaw.casework.inbox import child_names
from jigsaw.casework.local_authority import event_write
from jigsaw.casework.services import CaseworkError
from jigsaw.core.clock import clock
from jigsaw.core.dates import uk_date
from jigsaw.identity.models import Person
from jigsaw.risk.models import Flag, FlagAction, FlagRevision

PURPOSES = {
    "statutory_visit": "Statutory visit",
    "child_in_need_visit": "Child in need visit",
    "other": "Other",
}
TEXT_MAX = 10_000
ADULTS_MAX = 20
ADULT_NAME_MAX = 200
_MAX_ID = 2**63 - 1


class VisitReadOnly(PermissionDenied):
    """The user may see the child but not record work on the case."""


@dataclass(frozen=True)
class VisitChild:
    person: Person
    name: str
    access: Access


def visit_child(*, person_id: int, user: Any) -> VisitChild:
    """The child a visit is to be recorded for, if `user` may act on their case. A child the
    user may not see (or no such person) is NoAccess, as for any record; a role that only
    reads, or access that is read-only, is VisitReadOnly. Showing the form is audited as a read
    (it names the child); refusals are audited by need-to-know."""
    viewer = viewer_of(user)
    asked = str(person_id)[:40]
    if viewer.rules is not None and not viewer.rules.may_write:
        audit_refused(viewer, object_type="visit", object_id=asked, why="role may not record work")
        raise VisitReadOnly("your role cannot record visits")
    person = Person.objects.filter(pk=person_id).first() if 0 < person_id <= _MAX_ID else None
    if person is None:
        audit_refused(viewer, object_type="visit", object_id=asked, why="no such person")
        raise NoAccess(f"there is no person {person_id} open to you")
    seen = access_to(viewer, person.pk)
    if seen is not None and not seen.may_act:
        audit_refused(
            viewer,
            object_type="visit",
            object_id=str(person.pk),
            person_ids=[str(person.pk)],
            why="read-only access",
        )
        raise VisitReadOnly("your access to this child's case is read-only")
    access = require_access(viewer, person.pk, act=True, object_type="visit")
    audit_read(viewer, object_type="visit_form", object_id=str(person.pk), accesses=[access])
    names = child_names(person_ids=[person.pk], access=lambda _p: access)
    return VisitChild(person, names[person.pk], access)


@dataclass(frozen=True)
class FlagChange:
    flag_id: int
    title: str
    severity: str
    new: bool  # raised by the visit; otherwise its severity or evidence changed


@dataclass
class VisitRecorded:
    event_id: str
    flags: list[FlagChange] = field(default_factory=list)


def _flag_states(person_id: int) -> dict[int, tuple[int, bool]]:
    """flag id → (number of revisions, closed) for the child's flags."""
    closed = set(
        FlagAction.objects.filter(
            flag__person_id=person_id, kind=FlagAction.Kind.CLOSED
        ).values_list("flag_id", flat=True)
    )
    return {
        flag_id: (count, flag_id in closed)
        for flag_id, count in Flag.objects.filter(person_id=person_id)
        .annotate(revision_count=Count("revisions"))
        .values_list("id", "revision_count")
    }


def _changed_flags(person_id: int, before: dict[int, tuple[int, bool]]) -> list[FlagChange]:
    after = _flag_states(person_id)
    touched = [
        flag_id
        for flag_id, (revisions, closed) in after.items()
        if not closed and (flag_id not in before or revisions > before[flag_id][0])
    ]
    if not touched:
        return []
    latest: dict[int, FlagRevision] = {}
    for r in (
        FlagRevision.objects.filter(flag_id__in=touched)
        .select_related("flag")
        .order_by("flag_id", "number")
    ):
        latest[r.flag_id] = r
    return [
        FlagChange(
            flag_id, latest[flag_id].flag.title, latest[flag_id].severity, flag_id not in before
        )
        for flag_id in sorted(touched)
    ]


def one_year_before(day: date) -> date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


def visit_record(
    *,
    child: VisitChild,
    occurred_at: datetime,
    child_seen: bool,
    seen_alone: bool | None,
    childs_views: str,
    adults_present: list[str],
    purpose: str,
    not_seen_alone_reason: str,
    not_seen_reason: str,
    by: Any,
) -> VisitRecorded:
    """Record a home visit to the child as the local authority's `home_visit` event and say
    which of the child's flags it raised or changed. Only what applies is kept: whether the
    child was seen alone and their words only if they were seen, why not alone only if not
    alone, why not seen only if not seen."""
    now = clock.now()
    if occurred_at > now:
        raise CaseworkError("occurred_at: a visit cannot be in the future")
    if uk_date(occurred_at) < one_year_before(uk_date(now)):
        raise CaseworkError("occurred_at: a visit more than a year ago cannot be recorded here")
    if purpose not in PURPOSES:
        raise CaseworkError(f"purpose: choose one of {', '.join(PURPOSES)}")
    details: dict[str, Any] = {"child_seen": child_seen, "purpose": purpose}
    if child_seen:
        if seen_alone is None:
            raise CaseworkError("seen_alone: say whether the child was seen alone")
        if not childs_views.strip():
            raise CaseworkError("childs_views: record what the child said")
        details["seen_alone"] = seen_alone
        details["childs_views"] = childs_views.strip()
        if not seen_alone:
            if not not_seen_alone_reason.strip():
                raise CaseworkError("not_seen_alone_reason: say why the child was not seen alone")
            details["not_seen_alone_reason"] = not_seen_alone_reason.strip()
    else:
        # A visit that did not see the child is a no-access visit: the manager deciding the
        # next step needs to know why (no answer at the door, refused entry, child elsewhere).
        if not not_seen_reason.strip():
            raise CaseworkError("not_seen_reason: say why the child was not seen")
        details["not_seen_reason"] = not_seen_reason.strip()
    adults = [a.strip() for a in adults_present if a.strip()]
    if adults:
        details["adults_present"] = adults
    person = child.person
    with transaction.atomic():
        before = _flag_states(person.pk)
        event_id = event_write(
            person=person, type="home_visit", occurred_at=occurred_at, details=details, by=by
        )
        changes = _changed_flags(person.pk, before)
        audit_record(
            action=AuditEntry.Action.WRITE,
            user=by if getattr(by, "is_authenticated", False) else None,
            object_type="visit",
            object_id=event_id,
            person_ids=[str(person.pk)],
            basis=child.access.basis.value,
            detail={
                "child_seen": child_seen,
                "seen_alone": details.get("seen_alone"),
                "flags": [c.flag_id for c in changes],
            },
        )
    return VisitRecorded(event_id, changes)
