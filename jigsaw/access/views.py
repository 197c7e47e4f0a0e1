"""Pages for access: break-glass and its review, notifications, and the staff list.

Each view only checks the form, calls a selector or service (which decide who may) and renders.
A role a page is not for gets a 403 from the selector it calls.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods

from jigsaw.access.models import BreakGlass, Notification, StaffProfile
from jigsaw.access.roles import Role
from jigsaw.access.selectors import (
    break_glass_review_queue,
    break_glass_reviewable,
    may_break_glass,
    notifications_for,
    role_of,
    staff_account,
    staff_accounts,
)
from jigsaw.access.services import (
    BREAK_GLASS_HOURS,
    BreakGlassError,
    break_glass_open,
    break_glass_review,
    notifications_mark_read,
    user_disable,
)
from jigsaw.casework.selectors import allocation_of
from jigsaw.core.clock import clock
from jigsaw.core.dates import UK

REASON_MIN = 10  # as break_glass_open insists
TEXT_MAX = 2000
NOTIFICATIONS_SHOWN = 100
# Person ids are 64-bit: a longer number names nobody, and the database would refuse it.
PERSON_ID_MAX = 2**63 - 1


# --- how things read on these pages ---------------------------------------------------------


def when(value: datetime | None) -> str:
    """15 Jan 2008, 12:00 (UK time)"""
    if value is None:
        return ""
    local = value.astimezone(UK)
    return f"{local.day} {local:%b %Y, %H:%M}"


def long_day(value: datetime) -> str:
    """15 January 2008 (UK date)"""
    local = value.astimezone(UK)
    return f"{local.day} {local:%B %Y}"


def staff_name(user: Any) -> str:
    """Sam Taylor (sam.taylor), or just the username when no name is held."""
    full = user.get_full_name()
    return f"{full} ({user.get_username()})" if full else user.get_username()


def role_label(role: str) -> str:
    try:
        return str(Role(role).label)
    except ValueError:
        return role


def grant_row(grant: BreakGlass) -> dict[str, Any]:
    profile = getattr(grant.user, "staff_profile", None)
    team = profile.team.name if profile is not None and profile.team is not None else ""
    return {
        "id": grant.pk,
        "who": staff_name(grant.user),
        "role": role_label(profile.role) if profile is not None else "",
        "team": team,
        "person_id": grant.person_id,
        "started": when(grant.started_at),
        "expires": when(grant.expires_at),
        "reason": grant.reason,
    }


def notification_row(note: Notification) -> dict[str, Any]:
    return {"received": when(note.created_at), "message": note.message, "new": note.read_at is None}


def account_row(profile: StaffProfile, *, me: Any, now: datetime) -> dict[str, Any]:
    user = profile.user
    if profile.disabled_at is not None:
        status, colour = f"Disabled {long_day(profile.disabled_at)}", "grey"
    elif profile.expires_at is not None and profile.expires_at <= now:
        status, colour = "Ended", "grey"
    else:
        status, colour = "Active", "green"
    return {
        "username": user.get_username(),
        "name": user.get_full_name(),
        "role": role_label(profile.role),
        "team": profile.team.name if profile.team is not None else "",
        "agency": profile.agency_code,
        "ends": long_day(profile.expires_at) if profile.expires_at is not None else "",
        "status": status,
        "status_colour": colour,
        "last_sign_in": when(user.last_login) or "Never",
        "may_disable": profile.disabled_at is None and user.pk != me.pk,
    }


# --- helpers ---------------------------------------------------------------------------------


def _safe_next(request: HttpRequest) -> str:
    """The `next` page if it is a path on this site, else the home page."""
    next_url = request.POST.get("next") or request.GET.get("next") or "/"
    local = next_url.startswith("/") and not next_url.startswith(("//", "/\\"))
    if not local or not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return "/"
    return next_url


def _errors(field_errors: dict[str, str]) -> list[dict[str, str]]:
    return [{"text": text, "href": f"#{name}"} for name, text in field_errors.items()]


def _text_problem(text: str, *, empty: str, what: str, minimum: int = 1) -> str:
    if not text:
        return empty
    if len(text) < minimum:
        return f"{what} must be {minimum} characters or more"
    if len(text) > TEXT_MAX:
        return f"{what} must be {TEXT_MAX:,} characters or fewer"
    return ""


# --- break-glass -----------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def break_glass(request: HttpRequest, person_id: int) -> HttpResponse:
    """Ask why, then open the record for a few hours. Any id gets the same form and the same
    grant: refusing ids that name nobody would tell the user who exists."""
    if not may_break_glass(user=request.user):
        raise PermissionDenied("your role cannot use break-glass access")
    if person_id > PERSON_ID_MAX:
        raise Http404("no such person")
    next_url = _safe_next(request)
    reason = ""
    field_errors: dict[str, str] = {}
    if request.method == "POST":
        reason = request.POST.get("reason", "").strip()
        problem = _text_problem(
            reason,
            empty="Enter why you need to see this record now",
            what="Reason",
            minimum=REASON_MIN,
        )
        if problem:
            field_errors["reason"] = problem
        else:
            held = allocation_of(person_id=person_id, at=clock.now())
            manager = held.team.manager if held is not None and held.team is not None else None
            try:
                grant = break_glass_open(
                    user=request.user, person_id=str(person_id), reason=reason, team_manager=manager
                )
            except BreakGlassError as exc:
                field_errors["reason"] = str(exc)
            else:
                messages.success(
                    request,
                    f"You can see person {person_id}'s record until {when(grant.expires_at)}. "
                    "Your reason has been recorded and a manager will review it.",
                )
                return redirect(next_url)
    return render(
        request,
        "access/break_glass.html",
        {
            "title": "Break-glass access",
            "errors": _errors(field_errors),
            "field_errors": field_errors,
            "person_id": person_id,
            "reason": reason,
            "next": next_url,
            "hours": BREAK_GLASS_HOURS,
            "reason_min": REASON_MIN,
        },
        status=400 if field_errors else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def break_glass_reviews(request: HttpRequest) -> HttpResponse:
    """Uses of break-glass waiting for this manager's review, each with a form to review it."""
    field_errors: dict[str, str] = {}
    notes: dict[int, str] = {}
    if request.method == "POST":
        grant = break_glass_reviewable(
            reviewer=request.user, grant_id=request.POST.get("grant", "")
        )
        if grant is None:
            messages.info(request, "That use of break-glass access is not waiting for your review")
            return redirect("access:break-glass-review")
        note = request.POST.get("note", "").strip()
        problem = _text_problem(
            note, empty="Enter what you found when you reviewed this access", what="Review note"
        )
        if not problem:
            break_glass_review(grant=grant, reviewer=request.user, note=note)
            messages.success(
                request,
                f"Marked as reviewed: {staff_name(grant.user)}'s break-glass access to "
                f"person {grant.person_id}",
            )
            return redirect("access:break-glass-review")
        field_errors[f"note-{grant.pk}"] = problem
        notes[grant.pk] = note
    grants = break_glass_review_queue(reviewer=request.user)
    rows = [
        {
            **grant_row(g),
            "note": notes.get(g.pk, ""),
            "error": field_errors.get(f"note-{g.pk}", ""),
        }
        for g in grants
    ]
    return render(
        request,
        "access/break_glass_review.html",
        {
            "title": "Review break-glass access",
            "errors": _errors(field_errors),
            "grants": rows,
        },
        status=400 if field_errors else 200,
    )


# --- notifications ---------------------------------------------------------------------------


@login_required
@require_GET
def notifications(request: HttpRequest) -> HttpResponse:
    """The user's notifications, newest first; those shown are then marked read."""
    shown = list(notifications_for(user=request.user, unread_only=False)[:NOTIFICATIONS_SHOWN])
    rows = [notification_row(n) for n in shown]
    new = [n.pk for n in shown if n.read_at is None]
    notifications_mark_read(user=request.user, notification_ids=new)
    return render(
        request,
        "access/notifications.html",
        {
            "title": "Notifications",
            "notifications": rows,
            "new_count": len(new),
            "reviews": role_of(user=request.user) in (Role.TEAM_MANAGER, Role.HEAD_OF_SERVICE),
        },
    )


# --- staff accounts (system administrators) --------------------------------------------------


@login_required
@require_GET
def staff(request: HttpRequest) -> HttpResponse:
    accounts = staff_accounts(user=request.user)
    now = clock.now()
    return render(
        request,
        "access/staff.html",
        {
            "title": "Staff accounts",
            "accounts": [account_row(p, me=request.user, now=now) for p in accounts],
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def staff_disable(request: HttpRequest, username: str) -> HttpResponse:
    """Confirm, then disable: the account's sessions end on their next request."""
    profile = staff_account(user=request.user, username=username)
    if profile is None:
        raise Http404("no such account")
    if profile.disabled_at is not None:
        messages.info(request, f"{username}'s account is already disabled")
        return redirect("access:staff")
    field_errors: dict[str, str] = {}
    if profile.user.pk == request.user.pk:
        # Another administrator must do it, so the service is never left without one by mistake.
        field_errors["confirm"] = "You cannot disable your own account"
    elif request.method == "POST":
        user_disable(username=username, by=request.user)
        messages.success(request, f"{username}'s account has been disabled")
        return redirect("access:staff")
    return render(
        request,
        "access/staff_disable.html",
        {
            "title": f"Disable {username}'s account",
            "errors": _errors(field_errors),
            "field_errors": field_errors,
            "account": account_row(profile, me=request.user, now=clock.now()),
        },
        status=400 if field_errors else 200,
    )
