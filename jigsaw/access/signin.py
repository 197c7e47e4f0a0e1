"""Signing in, in two steps (password, then the authenticator code), and keeping a session.

Nobody is logged in (in Django's sense) until both steps pass: between them the session only
holds who is part-way through, for a few minutes. Every outcome is an audit entry.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import authenticate, get_user_model, login, logout, user_login_failed
from django.http import HttpRequest
from django_otp import login as otp_login

from jigsaw.access.audit import audit_record
from jigsaw.access.models import AuditEntry, StaffProfile
from jigsaw.access.services import account_locked, totp_device, user_locked
from jigsaw.core.clock import clock

PENDING = "jigsaw_pending_sign_in"
SIGNED_IN_AT = "jigsaw_signed_in_at"
SEEN_AT = "jigsaw_seen_at"
PENDING_MINUTES = 5
MAX_CODE_FAILURES = 5


def _iso(at: datetime) -> str:
    return at.isoformat()


def _parse(value: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return None


@dataclass(frozen=True)
class Outcome:
    ok: bool
    problem: str = ""
    locked: bool = False


LOCKED = "Your account is locked after too many failed attempts. Ask your system administrator."
WRONG = "Enter a correct username and password"


def _usable_profile(user: Any) -> StaffProfile | None:
    profile = StaffProfile.objects.filter(user=user).first()
    if profile is None or not profile.usable_at(clock.now()):
        return None
    return profile


def password_step(request: HttpRequest, *, username: str, password: str) -> Outcome:
    """Check the password; on success the session waits for the code."""
    user = authenticate(request, username=username, password=password)
    if getattr(request, "axes_locked_out", False):
        audit_record(action=AuditEntry.Action.SIGN_IN_LOCKED, username=username)
        return Outcome(False, LOCKED, locked=True)
    if user is None:
        audit_record(action=AuditEntry.Action.SIGN_IN_FAILED, username=username)
        return Outcome(False, WRONG)
    # A right password for an account that may not be used says no more than a wrong one.
    if _usable_profile(user) is None or totp_device(user=user) is None:
        audit_record(
            action=AuditEntry.Action.SIGN_IN_FAILED,
            username=username,
            detail={"refused": "account not usable (disabled, expired or not set up)"},
        )
        return Outcome(False, WRONG)
    request.session.cycle_key()
    request.session[PENDING] = {
        "user": user.pk,
        "backend": getattr(user, "backend", settings.AUTHENTICATION_BACKENDS[-1]),
        "at": _iso(clock.now()),
        "failures": 0,
    }
    return Outcome(True)


def pending_user(request: HttpRequest) -> Any | None:
    """The user who has given their password and not yet their code (within a few minutes)."""
    pending = request.session.get(PENDING)
    if not pending:
        return None
    started = _parse(pending.get("at"))
    if started is None or clock.now() - started > timedelta(minutes=PENDING_MINUTES):
        request.session.pop(PENDING, None)
        return None
    return get_user_model().objects.filter(pk=pending["user"], is_active=True).first()


def code_step(request: HttpRequest, *, code: str) -> Outcome:
    """Check the authenticator code; on success the user is signed in."""
    user = pending_user(request)
    if user is None:
        return Outcome(False, "Your sign-in timed out. Sign in again.")
    username = user.get_username()
    if account_locked(username=username):
        request.session.pop(PENDING, None)
        audit_record(action=AuditEntry.Action.SIGN_IN_LOCKED, user=None, username=username)
        return Outcome(False, LOCKED, locked=True)
    device = totp_device(user=user)
    if device is None:
        return Outcome(False, "Your account has no authenticator app set up")
    allowed, _ = device.verify_is_allowed()
    if not allowed:
        return Outcome(False, "You have entered too many wrong codes. Wait a minute and try again.")
    if not device.verify_token(code):
        pending = request.session[PENDING]
        pending["failures"] += 1
        request.session.modified = True
        # Wrong codes count towards the same lockout as wrong passwords.
        user_login_failed.send(sender=__name__, credentials={"username": username}, request=request)
        audit_record(
            action=AuditEntry.Action.SIGN_IN_FAILED,
            username=username,
            detail={"step": "code"},
        )
        if pending["failures"] >= MAX_CODE_FAILURES:
            request.session.pop(PENDING, None)
            return Outcome(False, "Too many wrong codes. Sign in again.")
        return Outcome(False, "Enter the code shown in your authenticator app")
    backend = request.session[PENDING]["backend"]
    request.session.pop(PENDING, None)
    login(request, user, backend=backend)
    otp_login(request, device)
    now = _iso(clock.now())
    request.session[SIGNED_IN_AT] = now
    request.session[SEEN_AT] = now
    audit_record(action=AuditEntry.Action.SIGN_IN, user=user)
    return Outcome(True)


def sign_out(request: HttpRequest, *, why: str = "") -> None:
    user = request.user
    if user.is_authenticated:
        if why:
            audit_record(action=AuditEntry.Action.SESSION_ENDED, user=user, reason=why)
        else:
            audit_record(action=AuditEntry.Action.SIGN_OUT, user=user)
    logout(request)


def current_password_step(request: HttpRequest, *, password: str) -> Outcome:
    """Check the signed-in user's own password again, before they choose another: whoever has
    an unattended session must not be able to take the account over. A wrong one counts towards
    the same lockout as a wrong one at sign-in."""
    user = request.user
    username = user.get_username()
    checked = authenticate(request, username=username, password=password)
    if getattr(request, "axes_locked_out", False):
        audit_record(action=AuditEntry.Action.SIGN_IN_LOCKED, user=user)
        return Outcome(False, LOCKED, locked=True)
    if checked is None or checked.pk != user.pk:
        audit_record(
            action=AuditEntry.Action.REFUSED,
            user=user,
            object_type="password",
            detail={"why": "current password wrong"},
        )
        return Outcome(False, "Your current password is not right")
    return Outcome(True)


def must_change_password(request: HttpRequest) -> bool:
    profile = getattr(request.user, "staff_profile", None)
    return bool(profile and profile.must_change_password)


def session_problem(request: HttpRequest) -> str:
    """Why a signed-in session must end now ("" if it may go on); marks it seen."""
    user = request.user
    if not user.is_authenticated:
        return ""
    if not getattr(user, "is_verified", lambda: False)():
        return "Sign in with your password and authenticator code"
    profile = getattr(user, "staff_profile", None)
    now = clock.now()
    if profile is None or not profile.usable_at(now):
        return "Your account can no longer be used"
    if user_locked(user=user):
        return LOCKED
    session = request.session
    signed_in, seen = _parse(session.get(SIGNED_IN_AT)), _parse(session.get(SEEN_AT))
    if signed_in is None or seen is None:
        return "Sign in again"
    if now - seen > timedelta(minutes=settings.JIGSAW_IDLE_TIMEOUT_MINUTES):
        return "You were signed out because you had not used Jigsaw for a while"
    if now - signed_in > timedelta(hours=settings.JIGSAW_ABSOLUTE_TIMEOUT_HOURS):
        return "You were signed out because you had been signed in for a long time"
    # Writing the session on every request would be needless load: a minute is fine-grained
    # enough for a 30-minute limit.
    if now - seen >= timedelta(minutes=1):
        session[SEEN_AT] = _iso(now)
    return ""
