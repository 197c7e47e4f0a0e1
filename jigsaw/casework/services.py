"""Writes for casework. Every write is audited and appends; nothing is changed in place."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction

from jigsaw.access.audit import audit_record
from jigsaw.access.models import AuditEntry, Team
from jigsaw.casework.models import (
    Allocation,
    Contact,
    ContactDecision,
    ContactSubject,
    FormReceipt,
)
from jigsaw.core.clock import clock
from jigsaw.identity.models import Person


class CaseworkError(ValueError):
    """A write that cannot be made as asked; the message says what to change."""


def _actor(by: Any) -> Any:
    return by if getattr(by, "is_authenticated", False) else None


def allocation_set(
    *,
    person: Person,
    team: Team | None,
    worker: Any = None,
    started_at: datetime | None = None,
    reason: str = "",
    by: Any = None,
) -> Allocation:
    """Hand a child's case to a team (and worker) from `started_at`; team None closes it."""
    if worker is not None and team is None:
        raise CaseworkError("a worker can only hold a case through a team")
    if worker is not None:
        profile = getattr(worker, "staff_profile", None)
        if profile is None or profile.team_id != team.pk:  # type: ignore[union-attr]
            raise CaseworkError(f"{worker.get_username()} is not a member of {team}")
    now = clock.now()
    with transaction.atomic():
        row = Allocation.objects.create(
            person=person,
            team=team,
            worker=worker,
            started_at=started_at or now,
            recorded_at=now,
            recorded_by=_actor(by),
            reason=reason,
        )
        audit_record(
            action=AuditEntry.Action.WRITE,
            user=_actor(by),
            object_type="allocation",
            object_id=str(row.pk),
            person_ids=[str(person.pk)],
            detail={
                "team": team.name if team else None,
                "worker": worker.get_username() if worker else None,
            },
        )
    return row


def contact_record(
    *,
    summary: str,
    persons: Sequence[tuple[Person, str]],
    received_at: datetime | None = None,
    source_agency: str = "",
    source_name: str = "",
    source_role: str = "",
    source_contact: str = "",
    by: Any = None,
) -> Contact:
    """A contact at the front door about `persons` ((person, role) pairs, a child first)."""
    if not summary.strip():
        raise CaseworkError("summary: say what the contact is about")
    if not persons:
        raise CaseworkError("persons: a contact must be about at least one person")
    now = clock.now()
    actor = _actor(by)
    team = getattr(getattr(actor, "staff_profile", None), "team", None)
    with transaction.atomic():
        contact = Contact.objects.create(
            received_at=received_at or now,
            recorded_at=now,
            recorded_by=actor,
            team=team,
            source_agency=source_agency,
            source_name=source_name,
            source_role=source_role,
            source_contact=source_contact,
            summary=summary.strip(),
        )
        ContactSubject.objects.bulk_create(
            ContactSubject(contact=contact, person=person, role=role, recorded_at=now)
            for person, role in persons
        )
        audit_record(
            action=AuditEntry.Action.WRITE,
            user=actor,
            object_type="contact",
            object_id=str(contact.pk),
            person_ids=[str(p.pk) for p, _ in persons],
            detail={"change": "recorded"},
        )
    return contact


def contact_decide(*, contact: Contact, decision: str, reason: str, by: Any = None) -> Any:
    if decision not in ContactDecision.Decision.values:
        raise CaseworkError(f"decision: choose one of {', '.join(ContactDecision.Decision)}")
    if not reason.strip():
        raise CaseworkError("reason: give the reason for the decision")
    if ContactDecision.objects.filter(contact=contact).exists():
        raise CaseworkError(f"contact {contact.pk} has already been decided")
    now = clock.now()
    with transaction.atomic():
        row = ContactDecision.objects.create(
            contact=contact,
            decision=decision,
            reason=reason.strip(),
            decided_at=now,
            recorded_at=now,
            decided_by=_actor(by),
        )
        audit_record(
            action=AuditEntry.Action.WRITE,
            user=_actor(by),
            object_type="contact",
            object_id=str(contact.pk),
            person_ids=[str(p) for p in contact.subjects.values_list("person_id", flat=True)],
            detail={"change": "decided", "decision": decision},
        )
    return row


# --- forms that act once ---------------------------------------------------------------------


def form_key() -> str:
    """A one-time key for a form as it is shown (a hidden field)."""
    return str(uuid.uuid4())


def once(
    *, key: str, user: Any, form: str, act: Callable[[], dict[str, Any]]
) -> tuple[dict[str, Any], bool]:
    """Do `act` once for this form key: (its result, True) the first time; (the first time's
    result, False) for any resubmission, which records nothing. A key that is not a UUID is
    treated as a new submission without protection: the form always sends one."""
    try:
        parsed = uuid.UUID(str(key))
    except ValueError:
        return act(), True
    done = FormReceipt.objects.filter(key=parsed).first()
    if done is not None:
        return done.result, False
    try:
        with transaction.atomic():
            result = act()
            FormReceipt.objects.create(
                key=parsed, user=user, form=form, created_at=clock.now(), result=result
            )
    except IntegrityError:
        # The same form, sent twice at once: the other one won, and this one's work is undone.
        done = FormReceipt.objects.filter(key=parsed).first()
        if done is None:
            raise
        return done.result, False
    return result, True
