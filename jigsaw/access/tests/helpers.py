"""Staff accounts and fully signed-in test clients, for any app's tests."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from jigsaw.access import signin
from jigsaw.access.models import StaffProfile, Team
from jigsaw.access.roles import Role
from jigsaw.core.clock import clock

PASSWORD = "correct-horse-battery-staple"


def staff(
    username: str = "sam.taylor",
    *,
    role: str = Role.SOCIAL_WORKER,
    team: str = "Northfield Team A",
    password: str = PASSWORD,
    **profile: Any,
) -> Any:
    """A user with a role, a team and a confirmed authenticator device (no password change due)."""
    user = get_user_model().objects.create_user(username, password=password)
    return make_staff(user, role=role, team=team, **profile)


def make_staff(user: Any, *, role: str = Role.SOCIAL_WORKER, team: str = "Northfield Team A",
               **profile: Any) -> Any:  # fmt: skip
    """Give an existing user what a staff account has, if it lacks it."""
    if not StaffProfile.objects.filter(user=user).exists():
        the_team = Team.objects.get_or_create(name=team)[0] if team else None
        profile.setdefault("must_change_password", False)
        StaffProfile.objects.create(
            user=user, role=role, team=the_team, created_at=clock.now(), **profile
        )
    if not TOTPDevice.objects.filter(user=user).exists():
        TOTPDevice.objects.create(user=user, name="authenticator app", confirmed=True)
    user.refresh_from_db()
    return user


def sign_in_as(client: Client, user: Any, **staff_options: Any) -> Client:
    """The client's session as if the user had given their password and code just now."""
    make_staff(user, **staff_options)
    device = TOTPDevice.objects.get(user=user)
    client.force_login(user, backend="jigsaw.access.backends.StaffBackend")
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    now = clock.now().isoformat()
    session[signin.SIGNED_IN_AT] = now
    session[signin.SEEN_AT] = now
    session.save()
    return client


def current_code(user: Any, *, steps_ahead: int = 0) -> str:
    """The code the user's authenticator app shows now (or `steps_ahead` periods later)."""
    device = TOTPDevice.objects.get(user=user)
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = totp.time + steps_ahead * device.step
    return f"{totp.token():0{device.digits}d}"
