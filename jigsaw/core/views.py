from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import authenticate, login, logout
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods

from jigsaw.records.selectors import agency_summaries


def _safe_next(request: HttpRequest) -> str:
    next_url = request.POST.get("next") or request.GET.get("next") or "/"
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return "/"
    return next_url


@require_http_methods(["GET", "POST"])
def sign_in(request: HttpRequest) -> HttpResponse:
    next_url = _safe_next(request)
    if request.method == "GET" and request.user.is_authenticated:
        return redirect(next_url)
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
            field_errors["password"] = "Enter a correct username and password"
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
    """POST signs out; GET (a bookmark, an old link) asks first: a link cannot sign anyone out."""
    if request.method == "GET":
        if not request.user.is_authenticated:
            return redirect("core:sign-in")
        return render(request, "core/sign_out.html", {"title": "Sign out"})
    logout(request)
    messages.success(request, "You have signed out")
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
            "person_record_count": sum(a.person_records for a in agencies),
            "event_count": sum(a.events for a in agencies),
        },
    )
