"""The flags inbox and a flag's page: what needs doing, for which child, by when; and, for those
who may act, acknowledging a flag, recording what was done, and closing it with a reason.

The risk app's selectors apply need-to-know and audit every read and change; a flag the user may
not see is a 404 like a missing one, a role that sees no flags a 403, and a change by someone
whose access is read-only a 403. Each form acts once (`once`) and carries the flag's version, so
a change someone else made since the page was shown is explained, never silently acted on.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from jigsaw.casework.inbox import (
    ACKNOWLEDGED,
    ALL_STATES,
    CLOSED,
    DUE_TODAY,
    GROUPS,
    OPEN,
    OVERDUE,
    FlagPage,
    FlagStale,
    Inbox,
    escalated_on,
    flag_change_unless_stale,
    flag_page,
    flags_inbox,
)
from jigsaw.casework.services import form_key, once
from jigsaw.core.clock import clock
from jigsaw.core.dates import UK, uk_date
from jigsaw.records.presenters import event_label
from jigsaw.risk.models import Flag, FlagAction
from jigsaw.risk.selectors import (
    ActionView,
    FlagNotFound,
    FlagsRefused,
    FlagView,
    flag_get,
)
from jigsaw.risk.services import (
    PERSON_CLOSE_REASONS,
    FlagError,
    flag_acknowledge,
    flag_action_record,
    flag_close,
)

TEXT_MAX = 5000

SEVERITY_TAGS = {
    "immediate": ("Immediate", "govuk-tag--red"),
    "high": ("High", "govuk-tag--orange"),
    "medium": ("Medium", "govuk-tag--yellow"),
}
STATE_TAGS = {
    "open": ("Open", "govuk-tag--blue"),
    "acknowledged": ("Acknowledged", "govuk-tag--grey"),
    "closed": ("Closed", "govuk-tag--green"),
}
GROUP_TITLES = {
    DUE_TODAY: "Due today",
    OVERDUE: "Overdue",
    OPEN: "Open",
    ACKNOWLEDGED: "Acknowledged",
    CLOSED: "Closed",
}
GROUP_EMPTY = {
    DUE_TODAY: "No flags are due today.",
    OVERDUE: "No flags are overdue.",
    OPEN: "No other open flags.",
    ACKNOWLEDGED: "No acknowledged flags still open.",
    CLOSED: "No closed flags.",
}
OWNERS = {
    "social_worker": "Social worker",
    "team_manager": "Team manager",
    "health_practitioner": "Health practitioner",
    "mash_practitioner": "MASH practitioner",
    "school_dsl": "School designated safeguarding lead",
}
LEVELS = {"team_manager": "team manager", "head_of_service": "head of service"}
CLOSE_REASONS = {
    "action_taken": "Action taken",
    "no_further_action_needed": "No further action needed",
    "duplicate": "Duplicate of another flag",
    "raised_in_error": "Raised in error",
    "transferred": "Transferred to another team or local authority",
    "historical": "Old history: closed by Jigsaw",
}
STATE_FILTERS = [
    ("", "Open and acknowledged"),
    ("open", "Open"),
    ("acknowledged", "Acknowledged"),
    ("closed", "Closed"),
    (ALL_STATES, "All"),
]
SEVERITY_FILTERS = [("", "All"), ("immediate", "Immediate"), ("high", "High"), ("medium", "Medium")]


# --- how flags read --------------------------------------------------------------------------


def when(value: datetime) -> str:
    """15 Jan 2008, 12:00 (UK time)"""
    local = value.astimezone(UK)
    return f"{local.day} {local:%b %Y, %H:%M}"


def day(value: datetime) -> str:
    """15 Jan 2008 (UK date)"""
    local = value.astimezone(UK)
    return f"{local.day} {local:%b %Y}"


def due_text(due_by: datetime, now: datetime) -> str:
    """When a flag is due, by the minute that counts: "Today, 23:59" reads at once."""
    local = due_by.astimezone(UK)
    if uk_date(due_by) == uk_date(now):
        return f"Today, {local:%H:%M}"
    return when(due_by)


def severity_tag(severity: str) -> dict[str, str]:
    text, classes = SEVERITY_TAGS.get(severity, (severity.capitalize(), "govuk-tag--grey"))
    return {"text": text, "classes": classes}


def state_tag(state: str) -> dict[str, str]:
    text, classes = STATE_TAGS.get(state, (state.capitalize(), "govuk-tag--grey"))
    return {"text": text, "classes": classes}


def owner_label(owner: str) -> str:
    return OWNERS.get(owner, owner.replace("_", " ").capitalize())


def escalation_text(view: FlagView) -> str:
    """Escalated to team manager on 16 Jan 2008"""
    if not view.escalation:
        return ""
    at = escalated_on(view)
    level = LEVELS.get(view.escalation, view.escalation.replace("_", " "))
    return f"Escalated to {level} on {day(at)}" if at else f"Escalated to {level}"


def child_url(person_id: int) -> str:
    return reverse("casework:child", args=[person_id])


def evidence_url(person_id: int, agency: str, event_id: str) -> str:
    """The event in the child's chronology (its entries carry the id `event-AGENCY-EVENTID`)."""
    return f"{reverse('casework:chronology', args=[person_id])}#event-{agency}-{event_id}"


def flag_row(view: FlagView, names: dict[int, str], now: datetime) -> dict[str, Any]:
    return {
        "id": view.id,
        "href": reverse("casework:flag", args=[view.id]),
        "title": view.title,
        "reason": view.reason,
        "child": names.get(view.person, f"Person {view.person}"),
        "child_href": child_url(view.person),
        "severity": severity_tag(view.severity),
        "state": state_tag(view.state),
        "raised": when(view.raised_at),
        "raised_iso": view.raised_at.isoformat(),
        "due": due_text(view.due_by, now),
        "due_iso": view.due_by.isoformat(),
        "owner": owner_label(view.owner),
        "escalation": escalation_text(view),
    }


def action_line(action: ActionView) -> dict[str, str]:
    """One entry of a flag's history, as a sentence and its details."""
    if action.kind == FlagAction.Kind.ACKNOWLEDGED:
        what = f"Acknowledged by {action.actor}"
    elif action.kind == FlagAction.Kind.ACTION_RECORDED:
        what = f"Action recorded by {action.actor}"
    elif action.kind == FlagAction.Kind.CLOSED:
        reason = CLOSE_REASONS.get(action.close_reason, action.close_reason)
        what = f"Closed by {action.actor}: {reason}"
    elif action.kind == FlagAction.Kind.ESCALATED:
        what = f"Escalated to the {LEVELS.get(action.level, action.level)}"
    else:
        what = action.kind.replace("_", " ").capitalize()
    return {"what": what, "when": when(action.at), "iso": action.at.isoformat(),
            "text": action.text}  # fmt: skip


def change_sentence(action: ActionView) -> str:
    """What someone else did since the page was shown, said plainly."""
    at = f"on {day(action.at)} at {action.at.astimezone(UK):%H:%M}"
    if action.kind == FlagAction.Kind.ACKNOWLEDGED:
        return f"{action.actor} acknowledged this flag {at}."
    if action.kind == FlagAction.Kind.ACTION_RECORDED:
        return f"{action.actor} recorded an action {at}: \u201c{action.text}\u201d"
    if action.kind == FlagAction.Kind.CLOSED:
        reason = CLOSE_REASONS.get(action.close_reason, action.close_reason)
        return f"{action.actor} closed this flag {at} ({reason.lower()}): \u201c{action.text}\u201d"
    return f"{action.actor}: {action.kind.replace('_', ' ')} {at}."


# --- the inbox -------------------------------------------------------------------------------


def _choice(value: str, options: list[tuple[str, str]]) -> str:
    return value if value in {v for v, _ in options} else ""


@login_required
@require_http_methods(["GET"])
def inbox(request: HttpRequest) -> HttpResponse:
    state = _choice(request.GET.get("state", ""), STATE_FILTERS)
    severity = _choice(request.GET.get("severity", ""), SEVERITY_FILTERS)
    try:
        found: Inbox = flags_inbox(
            user=request.user, state=state or None, severity=severity or None
        )
    except FlagsRefused as exc:
        raise PermissionDenied(str(exc)) from None
    now = clock.now()
    shown = [g for g in GROUPS if g != CLOSED or state in ("closed", ALL_STATES)]
    if state in ("open", "acknowledged", "closed"):
        shown = [g for g in shown if found.groups[g] or g in _groups_for(state)]
    groups = [
        {
            "key": g,
            "title": GROUP_TITLES[g],
            "empty": GROUP_EMPTY[g],
            "rows": [flag_row(v, found.names, now) for v in found.groups[g]],
        }
        for g in shown
    ]
    filtered = bool(state or severity)
    return render(
        request,
        "casework/flags.html",
        {
            "title": "Flags",
            "active_nav": "flags",
            "groups": groups,
            "escalated": [flag_row(v, found.names, now) for v in found.escalated],
            "escalated_to": LEVELS.get(found.escalated_level, ""),
            "total": found.total,
            "filtered": filtered,
            "state": state,
            "severity": severity,
            "state_items": [
                {"value": v, "text": t, "selected": v == state} for v, t in STATE_FILTERS
            ],
            "severity_items": [
                {"value": v, "text": t, "selected": v == severity} for v, t in SEVERITY_FILTERS
            ],
        },
    )


def _groups_for(state: str) -> set[str]:
    if state == "open":
        return {DUE_TODAY, OVERDUE, OPEN}
    return {ACKNOWLEDGED} if state == "acknowledged" else {CLOSED}


# --- one flag --------------------------------------------------------------------------------

FORMS = ("acknowledge", "action", "close")
FORM_NAMES = {"acknowledge": "flag_acknowledge", "action": "flag_action", "close": "flag_close"}


def _page(flag_id: int, user: Any) -> FlagPage:
    try:
        return flag_page(flag_id=flag_id, user=user)
    except FlagNotFound:
        raise Http404("no such flag") from None
    except FlagsRefused as exc:
        raise PermissionDenied(str(exc)) from None


def _render(
    request: HttpRequest,
    page: FlagPage,
    *,
    form: dict[str, str] | None = None,
    field_errors: dict[str, str] | None = None,
    changes: list[ActionView] | None = None,
    refused: str = "",
    status: int = 200,
) -> HttpResponse:
    view = page.view
    now = clock.now()
    field_errors = field_errors or {}
    form = form or {}
    posted = form.get("form", "")
    errors = [{"text": text, "href": f"#{name}"} for name, text in field_errors.items()]
    evidence = [
        {
            "when": day(datetime.fromisoformat(e["occurred_at"])),
            "iso": e["occurred_at"],
            "agency": page.agencies.get(e["agency"], e["agency"]),
            "type": "Restricted category" if e.get("restricted") else event_label(e["type"]),
            "event_id": e["event_id"],
            "href": evidence_url(view.person, e["agency"], e["event_id"]),
        }
        for e in view.evidence
    ]
    # A key per form, kept when the same form comes back with errors (it has not acted yet).
    keys = {name: form_key() for name in FORMS}
    if posted in keys and form.get("key") and not changes:
        keys[posted] = form["key"]
    closed = view.state == "closed"
    return render(
        request,
        "casework/flag.html",
        {
            "title": f"{view.title} \N{EN DASH} {page.child}",
            "active_nav": "flags",
            "errors": errors,
            "field_errors": field_errors,
            "flag": flag_row(view, {view.person: page.child}, now),
            "action": view.action,
            "evidence": evidence,
            "history": [action_line(a) for a in view.actions],
            "changes": [change_sentence(a) for a in changes or []],
            "refused": refused,
            "may_act": page.may_act and not closed,
            "may_acknowledge": page.may_act and view.state == "open",
            "read_only": not page.may_act,
            "closed": closed,
            "version": page.version,
            "me": request.user.get_full_name() or request.user.get_username(),  # type: ignore[union-attr]
            "keys": keys,
            "form": form,
            "close_reasons": [
                {
                    "value": str(r),
                    "text": CLOSE_REASONS[str(r)],
                    "checked": form.get("reason") == str(r),
                }
                for r in PERSON_CLOSE_REASONS
            ],
        },
        status=status,
    )


def _validate(posted: str, form: dict[str, str]) -> dict[str, str]:
    problems: dict[str, str] = {}
    if posted == "action":
        if not form["text"]:
            problems["action-text"] = "Enter what was done"
        elif len(form["text"]) > TEXT_MAX:
            problems["action-text"] = f"What was done must be {TEXT_MAX:,} characters or fewer"
    elif posted == "close":
        if form["reason"] not in {str(r) for r in PERSON_CLOSE_REASONS}:
            problems["close-reason"] = "Select why the flag is being closed"
        if not form["text"]:
            problems["close-text"] = "Enter an explanation of why the flag is being closed"
        elif len(form["text"]) > TEXT_MAX:
            problems["close-text"] = f"The explanation must be {TEXT_MAX:,} characters or fewer"
    return problems


def _change(posted: str, form: dict[str, str], user: Any) -> Callable[[Flag], FlagAction]:
    if posted == "acknowledge":
        return lambda f: flag_acknowledge(flag=f, user=user)
    if posted == "action":
        return lambda f: flag_action_record(flag=f, user=user, text=form["text"])
    return lambda f: flag_close(flag=f, user=user, reason=form["reason"], text=form["text"])


FORM_BROKEN = "The form was incomplete. Check the flag below and try again."
DONE = {
    "acknowledge": "You have acknowledged this flag",
    "action": "Your action has been recorded",
    "close": "This flag has been closed",
}


@login_required
@require_http_methods(["GET", "POST"])
def flag(request: HttpRequest, flag_id: int) -> HttpResponse:
    if request.method == "GET":
        return _render(request, _page(flag_id, request.user))

    # Who may change the flag is settled before anything else is read from the form.
    try:
        flag_get(flag_id=flag_id, user=request.user, act=True)
    except FlagNotFound:
        raise Http404("no such flag") from None
    posted = request.POST.get("form", "")
    if posted not in FORMS:
        return _render(request, _page(flag_id, request.user), refused=FORM_BROKEN, status=400)
    form = {
        "form": posted,
        "key": request.POST.get("key", ""),
        "text": request.POST.get("text", "").strip(),
        "reason": request.POST.get("reason", ""),
    }
    try:
        version = int(request.POST.get("version", ""))
    except ValueError:
        version = -1
    if version < 0:
        return _render(
            request, _page(flag_id, request.user), form=form, refused=FORM_BROKEN, status=400
        )
    problems = _validate(posted, form)
    if problems:
        return _render(
            request, _page(flag_id, request.user), form=form, field_errors=problems, status=400
        )
    here = reverse("casework:flag", args=[flag_id])

    def act() -> dict[str, Any]:
        flag_change_unless_stale(
            flag_id=flag_id,
            user=request.user,
            version=version,
            change=_change(posted, form, request.user),
        )
        return {"redirect": here, "message": DONE[posted]}

    try:
        result, _first = once(key=form["key"], user=request.user, form=FORM_NAMES[posted], act=act)
    except FlagStale as stale:
        return _render(
            request, _page(flag_id, request.user), form=form, changes=stale.changes, status=409
        )
    except FlagError as exc:
        said = str(exc)
        return _render(
            request,
            _page(flag_id, request.user),
            form=form,
            refused=f"{said[:1].upper()}{said[1:]}.",
            status=409,
        )
    messages.success(request, result.get("message", DONE[posted]))
    return redirect(result.get("redirect", here))
