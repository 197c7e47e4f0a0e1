"""How a signed-in request's user is read: with what every request then checks.

Every request (a page or an API call) checks the account's staff profile (role, disabled,
expired), whether it is locked out, and which teams the user manages (need-to-know). Read one at
a time that is four queries before any work is done; here they are one. Nothing is cached
between requests: an account disabled or locked a moment ago is refused on its next request.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.db.models import Exists, OuterRef, Subquery

from jigsaw.access.models import Team
from jigsaw.access.services import worst_failures


class StaffBackend(ModelBackend):
    """Django's own username-and-password backend; only the reading of a session's user
    differs. The user it gives carries `staff_profile` (loaded), `lockout_failures` (the most
    wrong attempts counted against the username, or None) and `manages_teams` (bool)."""

    def get_user(self, user_id: Any) -> Any:
        user_model = get_user_model()
        failures = worst_failures(OuterRef(user_model.USERNAME_FIELD))[:1]
        user = (
            user_model._default_manager.select_related("staff_profile")
            .annotate(
                lockout_failures=Subquery(failures),
                manages_teams=Exists(Team.objects.filter(manager=OuterRef("pk"))),
            )
            .filter(pk=user_id)
            .first()
        )
        return user if user is not None and self.user_can_authenticate(user) else None
