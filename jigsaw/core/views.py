from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods

from jigsaw.access import signin
from jigsaw.access.services import password_change


def _safe_next(request: HttpRequest) -> str:
    next_url = request.POST.get("next") or request.GET.get("next") or "/"
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return "/"
    return next_url


def _with_next(name: str, next_url: str) -> str:
    url = reverse(name)
    return url if next_url == "/" else f"{url}?{urlencode({'next': next_url})}"


def _form_page(
    request: HttpRequest, template: str, title: str, field_errors: dict[str, str], **context: Any
) -> HttpResponse:
    errors = [{"text": text, "href": f"#{name}"} for name, text in field_errors.items()]
    status = context.pop("status", 400 if errors else 200)
    return render(
        request,
        template,
        {"title": title, "errors": errors, "field_errors": field_errors, **context},
        status=status,
    )


@require_http_methods(["GET", "POST"])
def sign_in(request: HttpRequest) -> HttpResponse:
    """Step 1 of 2: username and password."""
    next_url = _safe_next(request)
    if request.method == "GET" and request.user.is_authenticated:
        return redirect(next_url)
    field_errors: dict[str, str] = {}
    username = ""
    status = None
    if request.method == "POST":
        username = request.POST.get("username", "").strip()
        password = request.POST.get("password", "")
        if not username:
            field_errors["username"] = "Enter your username"
        if not password:
            field_errors["password"] = "Enter your password"
        if not field_errors:
            outcome = signin.password_step(request, username=username, password=password)
            if outcome.ok:
                return redirect(_with_next("core:sign-in-code", next_url))
            field_errors["password"] = outcome.problem
            status = 403 if outcome.locked else None
    context: dict[str, Any] = {"username": username, "next": next_url}
    if status:
        context["status"] = status
    return _form_page(request, "core/sign_in.html", "Sign in", field_errors, **context)


def locked_out(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: Any = None
) -> HttpResponse:
    """What django-axes shows for a locked account: the sign-in page saying so."""
    if original_response is not None and original_response.status_code == 403:
        return original_response
    username = (credentials or {}).get("username", "") if isinstance(credentials, dict) else ""
    return _form_page(
        request,
        "core/sign_in.html",
        "Sign in",
        {"password": signin.LOCKED},
        username=username,
        next="/",
        status=403,
    )


@require_http_methods(["GET", "POST"])
def sign_in_code(request: HttpRequest) -> HttpResponse:
    """Step 2 of 2: the 6-digit code from the authenticator app."""
    next_url = _safe_next(request)
    if signin.pending_user(request) is None:
        messages.info(request, "Sign in with your username and password first")
        return redirect(_with_next("core:sign-in", next_url))
    field_errors: dict[str, str] = {}
    status = None
    if request.method == "POST":
        code = "".join(request.POST.get("code", "").split())
        if not code:
            field_errors["code"] = "Enter the 6-digit code from your authenticator app"
        elif not (code.isdigit() and len(code) == 6):
            field_errors["code"] = "Enter the code as 6 digits, like 123456"
        else:
            outcome = signin.code_step(request, code=code)
            if outcome.ok:
                return redirect(next_url)
            if outcome.locked or signin.pending_user(request) is None:
                messages.info(request, outcome.problem)
                return redirect(_with_next("core:sign-in", next_url))
            field_errors["code"] = outcome.problem
            status = 400
    context: dict[str, Any] = {"next": next_url}
    if status:
        context["status"] = status
    return _form_page(request, "core/sign_in_code.html", "Enter your code", field_errors, **context)


@require_http_methods(["GET", "POST"])
def change_password(request: HttpRequest) -> HttpResponse:
    field_errors: dict[str, str] = {}
    first_time = signin.must_change_password(request)
    if request.method == "POST":
        current = request.POST.get("current_password", "")
        new = request.POST.get("new_password", "")
        again = request.POST.get("confirm_password", "")
        # A one-time password was just given at sign-in; any other change needs the current one.
        if not first_time:
            if not current:
                field_errors["current_password"] = "Enter your current password"
            else:
                checked = signin.current_password_step(request, password=current)
                if checked.locked:
                    # django-axes answers with the sign-in page saying the account is locked.
                    signin.sign_out(request, why=checked.problem)
                    return redirect("core:sign-in")
                if not checked.ok:
                    field_errors["current_password"] = checked.problem
        if not new:
            field_errors["new_password"] = "Enter a new password"
        elif new != again:
            field_errors["confirm_password"] = "Enter the same password twice"
        if not field_errors:
            try:
                password_change(user=request.user, new_password=new)
            except ValidationError as exc:
                field_errors["new_password"] = " ".join(exc.messages)
            else:
                # Changing the password ends other sessions; keep this one.
                update_session_auth_hash(request, request.user)  # type: ignore[arg-type]
                messages.success(request, "Your password has been changed")
                return redirect("core:home")
    return _form_page(
        request,
        "core/change_password.html",
        "Change your password",
        field_errors,
        first_time=first_time,
    )


@require_http_methods(["GET", "POST"])
def sign_out(request: HttpRequest) -> HttpResponse:
    """POST signs out; GET (a bookmark, an old link) asks first: a link cannot sign anyone out."""
    if request.method == "GET":
        if not request.user.is_authenticated:
            return redirect("core:sign-in")
        return render(request, "core/sign_out.html", {"title": "Sign out"})
    signin.sign_out(request)
    messages.success(request, "You have signed out")
    return redirect("core:sign-in")
