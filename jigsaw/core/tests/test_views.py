"""Sign in, sign out, the home page and the error pages, through Django's test client."""

from __future__ import annotations

import re

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery-staple"


def page_text(response) -> str:
    """What the page says: its HTML less the tags, whitespace collapsed."""
    return " ".join(re.sub(r"<[^>]+>", " ", response.content.decode()).split())


@pytest.fixture
def user(django_user_model):
    return django_user_model.objects.create_user("sam.taylor", password=PASSWORD)


@pytest.mark.parametrize("path", ["/", "/agencies", "/agencies/NMUH", "/chronology"])
def test_pages_send_a_stranger_to_sign_in(client: Client, path: str) -> None:
    response = client.get(path)

    assert response.status_code == 302
    assert response["Location"] == f"/sign-in?next={path}"


def test_sign_in_page_renders_the_gov_uk_form(client: Client) -> None:
    response = client.get("/sign-in?next=/agencies")

    assert response.status_code == 200
    html = response.content.decode()
    assert "<title>Sign in \u2013 Jigsaw</title>" in html
    assert 'name="csrfmiddlewaretoken"' in html
    assert 'value="/agencies"' in html
    assert 'class="govuk-error-summary' not in html


def test_empty_sign_in_is_a_400_with_an_error_for_each_field(client: Client) -> None:
    response = client.post("/sign-in", {"username": "", "password": ""})

    assert response.status_code == 400
    html = response.content.decode()
    assert "<title>Error: Sign in \u2013 Jigsaw</title>" in html
    assert 'href="#username">Enter your username</a>' in html
    assert 'href="#password">Enter your password</a>' in html
    assert 'id="username-error"' in html
    assert 'id="password-error"' in html


def test_a_wrong_password_is_a_400_and_does_not_sign_in(client: Client, user) -> None:
    response = client.post("/sign-in", {"username": "sam.taylor", "password": "wrong"})

    assert response.status_code == 400
    assert "Enter a correct username and password" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_the_right_password_signs_in_and_goes_to_next(client: Client, user) -> None:
    response = client.post(
        "/sign-in", {"username": "sam.taylor", "password": PASSWORD, "next": "/agencies"}
    )

    assert response.status_code == 302
    assert response["Location"] == "/agencies"
    assert client.session["_auth_user_id"] == str(user.pk)


def test_next_cannot_leave_the_site(client: Client, user) -> None:
    response = client.post(
        "/sign-in",
        {"username": "sam.taylor", "password": PASSWORD, "next": "https://example.com/"},
    )

    assert response["Location"] == "/"


def test_home_shows_the_navigation_and_a_sign_out_button(client: Client, user) -> None:
    client.force_login(user)

    response = client.get("/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "<title>Home \u2013 Jigsaw</title>" in html
    assert 'class="govuk-service-navigation' in html
    assert '<form method="post" action="/sign-out"' in html
    assert "0 agencies have sent 0 person records and 0 events so far." in page_text(response)


def test_sign_out_needs_a_post(client: Client, user) -> None:
    client.force_login(user)

    asked = client.get("/sign-out")
    assert asked.status_code == 200
    assert "_auth_user_id" in client.session

    response = client.post("/sign-out", follow=True)
    assert response.redirect_chain == [("/sign-in", 302)]
    assert "_auth_user_id" not in client.session
    assert "You have signed out" in response.content.decode()


def test_an_unknown_page_is_a_gov_uk_404(client: Client) -> None:
    response = client.get("/no-such-page")

    assert response.status_code == 404
    html = response.content.decode()
    assert "<title>Page not found \u2013 Jigsaw</title>" in html
    assert '<h1 class="govuk-heading-l">Page not found</h1>' in html


def test_the_500_page_renders_without_a_request() -> None:
    from django.template.loader import render_to_string

    html = render_to_string("500.html")

    assert "Sorry, there is a problem with the service" in html
    assert "govuk-service-navigation" in html


def test_a_stale_form_gets_the_timed_out_page(user) -> None:
    client = Client(enforce_csrf_checks=True)

    response = client.post("/sign-in", {"username": "sam.taylor", "password": PASSWORD})

    assert response.status_code == 403
    assert "Your page timed out" in response.content.decode()
