"""Production: every secret from the environment, secure cookies and headers."""

import os

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import DEVELOPMENT_PSEUDONYM_KEY

DEBUG = False
SECRET_KEY = os.environ["JIGSAW_SECRET_KEY"]
# The repository's default would let anyone re-identify analysts' pseudonyms.
JIGSAW_PSEUDONYM_KEY = os.environ["JIGSAW_PSEUDONYM_KEY"]
if JIGSAW_PSEUDONYM_KEY == DEVELOPMENT_PSEUDONYM_KEY or len(JIGSAW_PSEUDONYM_KEY) < 32:
    raise ImproperlyConfigured(
        "JIGSAW_PSEUDONYM_KEY must be a secret of at least 32 characters, not the default"
    )
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_SSL_REDIRECT = os.environ.get("JIGSAW_SSL_REDIRECT", "1") == "1"
SECURE_HSTS_SECONDS = 31536000
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_HTTPONLY = True
WHITENOISE_USE_FINDERS = False
STATIC_ROOT = os.environ.get("JIGSAW_STATIC_ROOT", "/var/lib/jigsaw/static")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
