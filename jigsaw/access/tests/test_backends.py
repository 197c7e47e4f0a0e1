"""A signed-in request's user is read with its profile, lock-out and managed teams, each time."""

from __future__ import annotations

from typing import Any

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.test import Client

from jigsaw.access.backends import StaffBackend
from jigsaw.access.models import StaffProfile, Team
from jigsaw.access.need_to_know import NoAccess, viewer_of
from jigsaw.access.roles import Role
from jigsaw.access.services import user_locked
from jigsaw.access.tests.helpers import sign_in_as, staff
from jigsaw.core.clock import clock

pytestmark = pytest.mark.django_db


def test_one_query_reads_the_user_with_what_every_request_checks(
    django_assert_num_queries: Any,
) -> None:
    user = staff("una.worker")
    with django_assert_num_queries(1):
        read = StaffBackend().get_user(user.pk)
        assert read.staff_profile.role == Role.SOCIAL_WORKER
        assert read.lockout_failures is None
        assert read.manages_teams is False
        assert not user_locked(user=read)
        viewer = viewer_of(read)  # nothing more to read for someone who manages no team
    assert viewer.role == Role.SOCIAL_WORKER
    assert viewer.managed_team_ids == frozenset()


def test_a_manager_s_teams_are_read_and_a_lock_out_is_seen(
    django_assert_num_queries: Any,
) -> None:
    manager = staff("mo.manager", role=Role.TEAM_MANAGER, team="Northfield Team A")
    team = Team.objects.get(name="Northfield Team A")
    team.manager = manager
    team.save()
    AccessAttempt.objects.create(
        username="mo.manager",
        ip_address="127.0.0.1",
        user_agent="test",
        failures_since_start=settings.AXES_FAILURE_LIMIT,
    )
    read = StaffBackend().get_user(manager.pk)
    assert read.manages_teams is True
    assert user_locked(user=read)
    with django_assert_num_queries(1):
        assert viewer_of(read).managed_team_ids == frozenset({team.pk})


def test_a_change_made_a_moment_ago_is_seen_on_the_next_request(client: Client) -> None:
    user = staff("ada.front", role=Role.MASH_PRACTITIONER, team="MASH")
    sign_in_as(client, user)
    assert client.get("/api/v1/people/search").status_code == 200
    StaffProfile.objects.filter(user=user).update(disabled_at=clock.now())
    assert client.get("/api/v1/people/search").status_code == 401  # signed out at once
    with pytest.raises(NoAccess):
        viewer_of(StaffBackend().get_user(user.pk))
