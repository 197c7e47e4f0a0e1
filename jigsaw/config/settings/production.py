"""Production: every secret from the environment, secure cookies and headers."""

import os

from .base import *  # noqa: F403

DEBUG = False
SECRET_KEY = os.environ["JIGSAW_SECRET_KEY"]
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
