"""Django's Jinja2 environment with the GOV.UK Frontend macros on the loader path."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.messages import get_messages
from django.templatetags.static import static
from django.urls import reverse
from jinja2 import ChoiceLoader, Environment, PackageLoader, PrefixLoader

from jigsaw.core.navigation import navigation


def _url(name: str, *args: Any, **kwargs: Any) -> str:
    return reverse(name, args=args or None, kwargs=kwargs or None)


def environment(**options: Any) -> Environment:
    env = Environment(**options)
    # App templates, then the maintained GOV.UK macros under `govuk_frontend_jinja/...`.
    govuk = PrefixLoader({"govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja")})
    env.loader = ChoiceLoader([env.loader, govuk] if env.loader else [govuk])
    env.globals.update(
        {
            "static": static,
            "static_url": settings.STATIC_URL,
            "url": _url,
            "get_messages": get_messages,
            "navigation": navigation,
        }
    )
    env.autoescape = True
    return env
