"""Signing in (password, then the authenticator code) and out, by mouse and by keyboard."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_a_stranger_is_asked_to_sign_in(ui):
    # Given someone who has not signed in
    # When they open Jigsaw's home page
    ui.visit("/")
    # Then they are sent to the sign-in page, which will bring them back afterwards
    expect(ui.page).to_have_url(ui.url("/sign-in?next=/"))
    expect(ui.page.get_by_role("heading", level=1)).to_have_text("Sign in to Jigsaw")
    expect(ui.page).to_have_title("Sign in \u2013 Jigsaw")
    ui.check("sign-in")


def test_a_wrong_password_is_explained_then_the_right_one_signs_in(ui):
    # Given the sign-in page
    ui.visit("/sign-in")
    ui.check("sign-in")
    # When a practitioner signs in with the wrong password
    ui.page.get_by_label("Username").fill(ui.account.username)
    ui.page.get_by_label("Password", exact=True).fill("not-the-password")
    ui.page.get_by_role("button", name="Sign in").click()
    # Then an error summary says what is wrong, links to the field, and takes the focus
    summary = ui.page.locator(".govuk-error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_be_focused()
    expect(summary.get_by_role("link")).to_have_text("Enter a correct username and password")
    expect(ui.page).to_have_title(re.compile(r"^Error: Sign in"))
    expect(ui.page.locator("#password-error")).to_contain_text(
        "Enter a correct username and password"
    )
    expect(ui.page.get_by_label("Username")).to_have_value(ui.account.username)
    expect(ui.page.get_by_label("Password", exact=True)).to_have_value("")
    ui.check("wrong-password")
    # When they follow the error's link, the password field has the focus
    summary.get_by_role("link").click()
    expect(ui.page.get_by_label("Password", exact=True)).to_be_focused()
    # When they enter the right password
    ui.page.get_by_label("Password", exact=True).fill(ui.account.password)
    ui.page.get_by_role("button", name="Sign in").click()
    # Then they are asked for the code from their authenticator app, and are not yet in
    code = ui.page.get_by_label("Enter the 6-digit code from your authenticator app")
    expect(code).to_have_attribute("autocomplete", "one-time-code")
    expect(code).to_have_attribute("inputmode", "numeric")
    expect(ui.page).to_have_title("Enter your code \u2013 Jigsaw")
    ui.check("code")
    # When they enter a code that is not 6 digits
    code.fill("12345")
    ui.page.get_by_role("button", name="Continue").click()
    # Then they are told how to enter it
    expect(ui.page.locator(".govuk-error-summary__list a")).to_have_text(
        "Enter the code as 6 digits, like 123456"
    )
    ui.check("code-error")
    # When they enter the code their app shows
    ui.enter_code()
    # Then they are on the home page, signed in: a social worker's caseload
    expect(ui.page).to_have_url(ui.url("/"))
    expect(ui.page.get_by_role("heading", level=1)).to_have_text("Your caseload")
    expect(ui.page.get_by_role("heading", name="My caseload")).to_be_visible()
    ui.check("home")


def test_empty_fields_each_get_an_error(ui):
    # Given the sign-in page
    ui.visit("/sign-in")
    # When the practitioner signs in without typing anything
    ui.page.get_by_role("button", name="Sign in").click()
    # Then each field says what to enter
    expect(ui.page.locator(".govuk-error-summary__list a")).to_have_text(
        ["Enter your username", "Enter your password"]
    )
    expect(ui.page.locator("#username-error")).to_contain_text("Enter your username")
    ui.check("empty-fields")


def test_signing_out_is_a_button_that_ends_the_session(ui):
    # Given a signed-in practitioner
    ui.sign_in()
    # When they choose "Sign out" in the header
    ui.page.get_by_role("button", name=re.compile("^Sign out")).click()
    # Then they are told they have signed out, and Jigsaw asks them to sign in again
    expect(ui.page).to_have_url(ui.url("/sign-in"))
    expect(ui.page.get_by_text("You have signed out")).to_be_visible()
    ui.check("signed-out")
    ui.visit("/agencies")
    expect(ui.page).to_have_url(ui.url("/sign-in?next=/agencies"))


def test_the_sign_in_form_works_from_the_keyboard(ui):
    # Given the sign-in page, with nothing focused
    ui.visit("/sign-in?next=/agencies")
    page = ui.page
    # When the practitioner tabs from the top of the page, the skip link comes first
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to main content")).to_be_focused()
    # And tabbing on reaches the username field
    for _ in range(10):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "username":
            break
    expect(page.get_by_label("Username")).to_be_focused()
    # When they type the username, tab to the password, type it and press Enter
    page.keyboard.type(ui.account.username)
    page.keyboard.press("Tab")
    expect(page.get_by_label("Password", exact=True)).to_be_focused()
    page.keyboard.type(ui.account.password)
    ui.check("keyboard-filled")
    page.keyboard.press("Enter")
    # And type the code from their app and press Enter
    expect(page).to_have_url(re.compile(r"/sign-in/code"))
    ui.enter_code(press_enter=True)
    # Then they are signed in, at the page they first asked for
    expect(page).to_have_url(ui.url("/agencies"))
    ui.check("keyboard-signed-in")


def test_a_password_alone_does_not_get_anyone_in(ui):
    # Given a practitioner who has given the right password but not the code
    ui.visit("/sign-in")
    ui.page.get_by_label("Username").fill(ui.account.username)
    ui.page.get_by_label("Password", exact=True).fill(ui.account.password)
    ui.page.get_by_role("button", name="Sign in").click()
    expect(ui.page).to_have_url(ui.url("/sign-in/code"))
    # When they go straight to a page
    ui.visit("/agencies")
    # Then they are asked to sign in
    expect(ui.page).to_have_url(ui.url("/sign-in?next=/agencies"))


def test_a_new_starter_chooses_a_password_at_first_sign_in(ui):
    # Given a new member of staff with the one-time password and code set-up they were given
    ui._account = ui.server.new_starter
    ui.visit("/sign-in")
    ui.page.get_by_label("Username").fill(ui.account.username)
    ui.page.get_by_label("Password", exact=True).fill(ui.account.password)
    ui.page.get_by_role("button", name="Sign in").click()
    ui.enter_code()
    # Then they must choose their own password before anything else
    expect(ui.page).to_have_url(ui.url("/change-password"))
    expect(ui.page.get_by_role("heading", level=1)).to_have_text("Change your password")
    ui.check("change-password")
    # When they choose one that is too short
    ui.page.get_by_label("New password", exact=True).fill("too-short")
    ui.page.get_by_label("Confirm new password").fill("too-short")
    ui.page.get_by_role("button", name="Change password").click()
    # Then they are told why
    expect(ui.page.locator("#new_password-error")).to_contain_text("at least 12 characters")
    ui.check("change-password-error")
    # When they choose a long one, twice
    ui.page.get_by_label("New password", exact=True).fill("plum kettle orbit lantern")
    ui.page.get_by_label("Confirm new password").fill("plum kettle orbit lantern")
    ui.page.get_by_role("button", name="Change password").click()
    # Then they are in, and told it worked
    expect(ui.page).to_have_url(ui.url("/"))
    expect(ui.page.get_by_text("Your password has been changed")).to_be_visible()
    ui.check("password-changed")
