"""Pages render with production's static storage: hashed names from the collected manifest."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import Client, override_settings

MANIFEST_STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"},
}


@pytest.mark.django_db
def test_the_sign_in_page_renders_from_the_collected_manifest(tmp_path: Path) -> None:
    with override_settings(STATIC_ROOT=str(tmp_path), STORAGES=MANIFEST_STORAGES, DEBUG=False):
        call_command("collectstatic", "--noinput", verbosity=0, stdout=StringIO())
        response = Client().get("/sign-in")
    assert response.status_code == 200, response.content[:500]
    html = response.content.decode()
    # The stylesheet by its hashed name; GOV.UK's assets folder from STATIC_URL.
    assert "/static/govuk/jigsaw." in html
    assert "jigsaw.css" not in html
    assert "/static/govuk/assets/" in html
