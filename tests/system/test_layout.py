"""The page frame: header, navigation and the menu on a narrow screen."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_on_a_phone_the_menu_button_shows_the_navigation(ui):
    # Given a signed-in practitioner on a narrow screen
    ui.page.set_viewport_size({"width": 375, "height": 740})
    ui.sign_in()
    menu = ui.page.get_by_role("button", name="Menu")
    sign_out = ui.page.get_by_role("button", name=re.compile("^Sign out"))
    # Then the navigation is folded away behind a menu button
    expect(menu).to_be_visible()
    expect(sign_out).to_be_hidden()
    ui.check("phone-menu-closed")
    # When they open the menu
    menu.click()
    # Then the pages and the sign-out button are there
    expect(menu).to_have_attribute("aria-expanded", "true")
    nav = ui.page.get_by_role("navigation", name="Jigsaw menu")
    expect(nav.get_by_role("link", name="Agencies")).to_be_visible()
    expect(sign_out).to_be_visible()
    ui.check("phone-menu-open")
