from __future__ import annotations

from django.contrib.auth import authenticate, login, logout
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods

from jigsaw.records.selectors import agency_summaries


@require_http_methods(["GET", "POST"])
def sign_in(request: HttpRequest) -> HttpResponse:
    next_url = request.POST.get("next") or request.GET.get("next") or "/"
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = "/"
    field_errors: dict[str, str] = {}
    username = ""
    if request.method == "POST":
        username = request.POST.get("username", "").strip()
        password = request.POST.get("password", "")
        if not username:
            field_errors["username"] = "Enter your username"
        if not password:
            field_errors["password"] = "Enter your password"
        if not field_errors:
            user = authenticate(request, username=username, password=password)
            if user is not None:
                login(request, user)
                return redirect(next_url)
            field_errors["password"] = "The username or password is not right"
    errors = [{"text": text, "href": f"#{name}"} for name, text in field_errors.items()]
    return render(
        request,
        "core/sign_in.html",
        {
            "title": "Sign in",
            "errors": errors,
            "field_errors": field_errors,
            "username": username,
            "next": next_url,
        },
        status=400 if errors else 200,
    )


@require_http_methods(["GET", "POST"])
def sign_out(request: HttpRequest) -> HttpResponse:
    logout(request)
    return redirect("core:sign-in")


@login_required
def home(request: HttpRequest) -> HttpResponse:
    agencies = agency_summaries()
    return render(
        request,
        "core/home.html",
        {
            "title": "Home",
            "active_nav": "home",
            "agency_count": len(agencies),
            "event_count": sum(a.events for a in agencies),
        },
    )
