"""Every request: end sessions that must end, and let nobody past sign-in half-signed-in."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from jigsaw.access import signin
from jigsaw.access.audit import current_token

# Paths anyone may reach. The API is listed because it authenticates each call itself (agency
# tokens, or this session: ended below if it must end, and refused by `StaffSession` while a
# one-time password is still to be changed).
OPEN_PREFIXES = ("/sign-in", "/static/", "/api/")
# Pages a signed-in user who must change their password may still reach.
PASSWORD_CHANGE_PATHS = ("/change-password", "/sign-out")


class AccessMiddleware:
    """After Django's and django-otp's authentication middleware."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        reset = current_token.set(None)
        try:
            return self._handle(request)
        finally:
            current_token.reset(reset)

    def _handle(self, request: HttpRequest) -> HttpResponse:
        problem = signin.session_problem(request)
        if problem:
            signin.sign_out(request, why=problem)
            messages.info(request, problem)
        path = request.path_info
        if path.startswith(OPEN_PREFIXES):
            return self.get_response(request)
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path(), "core:sign-in")
        if signin.must_change_password(request) and not path.startswith(PASSWORD_CHANGE_PATHS):
            return redirect("core:change-password")
        return self.get_response(request)
