"""Reading pages in tests: their text, error summary and banners."""

from __future__ import annotations

import re
from html import unescape
from typing import Any

from django.test import Client

from jigsaw.access.tests.helpers import sign_in_as


def page_text(response: Any) -> str:
    """What the page says: its HTML less the tags, whitespace collapsed."""
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", response.content.decode())).split())


def error_summary(response: Any) -> list[tuple[str, str]]:
    """(href, text) of each link in the error summary."""
    html = response.content.decode()
    summary = html[html.index('class="govuk-error-summary"') :]
    summary = summary[: summary.index("</ul>")]
    return [
        (href, " ".join(unescape(text).split()))
        for href, text in re.findall(r'<a href="([^"]+)">(.*?)</a>', summary, flags=re.S)
    ]


def client_for(user: Any) -> Client:
    return sign_in_as(Client(), user)
