"""Writes for access: agency API tokens, staff accounts, teams, break-glass.

Tokens are issued once, stored as a hash, revocable, with last use recorded (and audited).
Accounts are created with a one-time password and a confirmed authenticator (TOTP) device:
nobody has an account they could sign in to with a password alone.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.db import transaction
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from jigsaw.access.audit import audit_record
from jigsaw.access.models import ApiToken, AuditEntry, BreakGlass, Notification, StaffProfile, Team
from jigsaw.access.roles import Role, Sector, rules_for
from jigsaw.core.clock import clock

TOKEN_PREFIX = "jgs_"


class TokenError(Exception):
    pass


@dataclass(frozen=True)
class IssuedToken:
    token: ApiToken
    secret: str  # shown once, never stored


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def token_create(
    *, agency_code: str, name: str = "", scopes: list[str] | None = None
) -> IssuedToken:
    prefix = secrets.token_hex(4)
    secret = f"{TOKEN_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    token = ApiToken.objects.create(
        agency_code=agency_code,
        name=name,
        prefix=prefix,
        secret_hash=_hash(secret),
        scopes=scopes or [ApiToken.Scope.SEND],
        created_at=clock.now(),
    )
    return IssuedToken(token=token, secret=secret)


def token_revoke(*, prefix: str) -> ApiToken:
    with transaction.atomic():
        token = ApiToken.objects.select_for_update().filter(prefix=prefix).first()
        if token is None:
            raise TokenError(f"no token with prefix '{prefix}'")
        if token.revoked_at is None:
            token.revoked_at = clock.now()
            token.save(update_fields=["revoked_at"])
    return token


def token_authenticate(*, secret: str) -> ApiToken | None:
    """The live token for `secret`, or None. Marks it used."""
    if not secret.startswith(TOKEN_PREFIX):
        return None
    prefix = secret[len(TOKEN_PREFIX) :].split("_", 1)[0]
    token = ApiToken.objects.filter(prefix=prefix, revoked_at__isnull=True).first()
    if token is None or not hmac.compare_digest(token.secret_hash, _hash(secret)):
        return None
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=clock.now())
    audit_record(
        action=AuditEntry.Action.TOKEN_USED,
        username=f"token:{token.prefix}",
        object_type="api_token",
        object_id=token.prefix,
        basis="token",
        detail={"agency": token.agency_code},
    )
    return token


# --- staff accounts ------------------------------------------------------------------------


class AccountError(Exception):
    pass


@dataclass(frozen=True)
class NewAccount:
    user: Any
    password: str  # one-time: must be changed at first sign-in (unless given for a demo)
    otpauth_uri: str  # the two-factor secret, for any authenticator app


def one_time_password() -> str:
    return secrets.token_urlsafe(15)  # 20 characters, well past the 12 minimum


def team_get_or_create(*, name: str) -> Team:
    team, _ = Team.objects.get_or_create(name=name)
    return team


def user_create(
    *,
    username: str,
    role: str,
    team: str = "",
    agency_code: str = "",
    sector: str = "",
    expires_at: datetime | None = None,
    first_name: str = "",
    last_name: str = "",
    password: str | None = None,
    is_demo: bool = False,
    by: Any = None,
) -> NewAccount:
    """A staff account with its role and a confirmed authenticator device."""
    try:
        rules = rules_for(role)
    except ValueError as exc:
        raise AccountError(f"'{role}' is not a role; choose from {', '.join(Role)}") from exc
    if rules.needs_team and not team:
        raise AccountError(f"a {role} needs a team (--team)")
    if rules.needs_agency and not agency_code:
        raise AccountError(f"a {role} needs an agency (--agency)")
    if rules.needs_sector and sector not in Sector.values:
        raise AccountError(f"a {role} needs a sector: {', '.join(Sector)}")
    if rules.time_limited and expires_at is None:
        raise AccountError(f"a {role} account needs an end date (--expires)")
    if expires_at is not None and expires_at <= clock.now():
        raise AccountError("the end date has passed")
    User = get_user_model()
    if User.objects.filter(username=username).exists():
        raise AccountError(f"there is already an account '{username}'")
    chosen = password or one_time_password()
    with transaction.atomic():
        user = User(username=username, first_name=first_name, last_name=last_name)
        validate_password(chosen, user)
        user.set_password(chosen)
        user.save()
        the_team = team_get_or_create(name=team) if team else None
        if the_team is not None and role == Role.TEAM_MANAGER and the_team.manager is None:
            the_team.manager = user
            the_team.save(update_fields=["manager"])
        StaffProfile.objects.create(
            user=user,
            role=role,
            team=the_team,
            agency_code=agency_code,
            sector=sector,
            expires_at=expires_at,
            must_change_password=password is None,
            is_demo=is_demo,
            created_at=clock.now(),
        )
        device = TOTPDevice.objects.create(user=user, name="authenticator app", confirmed=True)
        audit_record(
            action=AuditEntry.Action.ACCOUNT,
            user=by,
            object_type="user",
            object_id=username,
            detail={"change": "created", "role": role, "team": team, "agency": agency_code},
        )
    return NewAccount(user=user, password=chosen, otpauth_uri=device.config_url)


def _profile(username: str) -> StaffProfile:
    profile = StaffProfile.objects.select_related("user").filter(user__username=username).first()
    if profile is None:
        raise AccountError(f"no staff account '{username}'")
    return profile


def user_disable(*, username: str, by: Any = None) -> StaffProfile:
    """The account stops working at once: its sessions end on their next request."""
    with transaction.atomic():
        profile = _profile(username)
        if profile.disabled_at is None:
            profile.disabled_at = clock.now()
            profile.save(update_fields=["disabled_at"])
        profile.user.is_active = False
        profile.user.save(update_fields=["is_active"])
        audit_record(
            action=AuditEntry.Action.ACCOUNT,
            user=by,
            object_type="user",
            object_id=username,
            detail={"change": "disabled"},
        )
    return profile


def user_unlock(*, username: str, by: Any = None) -> int:
    """Clear the failed sign-ins and code attempts that locked an account."""
    from axes.utils import reset

    with transaction.atomic():
        profile = _profile(username)
        cleared = reset(username=username)
        for device in TOTPDevice.objects.filter(user=profile.user):
            device.throttle_reset()
        audit_record(
            action=AuditEntry.Action.ACCOUNT,
            user=by,
            object_type="user",
            object_id=username,
            detail={"change": "unlocked", "attempts_cleared": cleared},
        )
    return cleared


def worst_failures(username: Any) -> Any:
    """The failures counted against a username, most first (`username` a value, or an
    `OuterRef` when read with the user: backends.StaffBackend)."""
    from axes.models import AccessAttempt

    return (
        AccessAttempt.objects.filter(username=username)
        .order_by("-failures_since_start")
        .values_list("failures_since_start", flat=True)
    )


def _over_limit(worst: int | None) -> bool:
    return worst is not None and worst >= settings.AXES_FAILURE_LIMIT


def account_locked(*, username: str) -> bool:
    return _over_limit(worst_failures(username).first())


def user_locked(*, user: Any) -> bool:
    """`account_locked` for a signed-in request's user, from what was read with it (see
    backends.StaffBackend) when it was."""
    if not hasattr(user, "lockout_failures"):
        return account_locked(username=user.get_username())
    return _over_limit(user.lockout_failures)


def password_change(*, user: Any, new_password: str) -> None:
    """Raises django's ValidationError when the password breaks the policy."""
    validate_password(new_password, user)
    with transaction.atomic():
        user.set_password(new_password)
        user.save(update_fields=["password"])
        StaffProfile.objects.filter(user=user).update(must_change_password=False)
        audit_record(action=AuditEntry.Action.PASSWORD_CHANGED, user=user)


def totp_device(*, user: Any) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def demo_code(*, username: str) -> str:
    """The current code of a demo account, for demonstrations on synthetic data only."""
    profile = _profile(username)
    if not (profile.is_demo or settings.DEBUG):
        raise AccountError(f"'{username}' is not a demo account: its codes stay in its app")
    device = totp_device(user=profile.user)
    if device is None:
        raise AccountError(f"'{username}' has no authenticator device")
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():0{device.digits}d}"


def demo_otpauth_uri(*, username: str) -> str:
    """A demo account's two-factor secret, printed again each time the demo is loaded."""
    profile = _profile(username)
    device = totp_device(user=profile.user)
    if not profile.is_demo or device is None:
        raise AccountError(f"'{username}' is not a demo account")
    return str(device.config_url)


# --- break-glass ---------------------------------------------------------------------------

BREAK_GLASS_HOURS = 4


class BreakGlassError(Exception):
    pass


def break_glass_open(
    *, user: Any, person_id: str, reason: str, team_manager: Any = None
) -> BreakGlass:
    """Open a child's record beyond need-to-know for a while, with a reason, for review.

    `team_manager` is the manager of the team the child is allocated to; without one (a child
    not yet allocated) the notice goes to the manager of the user's own team.
    """
    reason = reason.strip()
    if len(reason) < 10:
        raise BreakGlassError("Give the reason you need to see this record")
    profile = getattr(user, "staff_profile", None)
    if profile is None or not rules_for(profile.role).may_break_glass:
        raise BreakGlassError("Your role cannot use break-glass access")
    now = clock.now()
    with transaction.atomic():
        grant = BreakGlass.objects.create(
            user=user,
            person_id=str(person_id),
            reason=reason,
            started_at=now,
            expires_at=now + timedelta(hours=BREAK_GLASS_HOURS),
        )
        manager = team_manager or (profile.team.manager if profile.team else None)
        if manager is not None and manager != user:
            Notification.objects.create(
                recipient=manager,
                kind=Notification.Kind.BREAK_GLASS,
                message=(
                    f"{user.get_full_name() or user.get_username()} used break-glass access "
                    f"to person {person_id}: {reason}"
                ),
                created_at=now,
                break_glass=grant,
            )
        audit_record(
            action=AuditEntry.Action.BREAK_GLASS,
            user=user,
            object_type="break_glass",
            object_id=str(grant.pk),
            person_ids=[str(person_id)],
            basis="break_glass",
            reason=reason,
            detail={"expires_at": grant.expires_at.isoformat()},
        )
    return grant


def break_glass_review(*, grant: BreakGlass, reviewer: Any, note: str = "") -> BreakGlass:
    with transaction.atomic():
        grant.reviewed_at = clock.now()
        grant.reviewed_by = reviewer
        grant.review_note = note
        grant.save(update_fields=["reviewed_at", "reviewed_by", "review_note"])
        audit_record(
            action=AuditEntry.Action.WRITE,
            user=reviewer,
            object_type="break_glass",
            object_id=str(grant.pk),
            person_ids=[grant.person_id],
            detail={"change": "reviewed"},
        )
    return grant


# --- notifications -------------------------------------------------------------------------


def notifications_mark_read(*, user: Any, notification_ids: list[int]) -> int:
    """Mark these of the user's notifications read (once shown to them); returns how many."""
    if not notification_ids:
        return 0
    with transaction.atomic():
        return Notification.objects.filter(
            recipient=user, pk__in=notification_ids, read_at__isnull=True
        ).update(read_at=clock.now())
