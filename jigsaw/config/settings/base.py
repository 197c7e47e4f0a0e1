"""Settings shared by every environment. Secrets and the database come from the environment."""

from __future__ import annotations

import math
import os
from pathlib import Path

import dj_database_url
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parents[2]  # the jigsaw package

SECRET_KEY = os.environ.get("JIGSAW_SECRET_KEY", "insecure-development-key-not-for-production")
DEBUG = os.environ.get("JIGSAW_DEBUG", "0") == "1"
ALLOWED_HOSTS = [
    h for h in os.environ.get("JIGSAW_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h
]

# Default: a SQLite file in the working directory, so every command works with no set-up.
DATABASE_URL = os.environ.get("DATABASE_URL") or f"sqlite:///{Path.cwd() / 'jigsaw.sqlite3'}"
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers work while the ingest writes; busy timeout rides out short write locks.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        # recursive_triggers: INSERT OR REPLACE fires the append-only DELETE guard too.
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA recursive_triggers=ON;"
        ),
    }

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "jigsaw.core",
    "jigsaw.access",
    "jigsaw.records",
    "jigsaw.identity",
    "jigsaw.risk",
    "jigsaw.casework",
    "jigsaw.oversight",
    "jigsaw.synth",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Ends sessions that must end and sends anyone not fully signed in to sign in.
    "jigsaw.access.middleware.AccessMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes requires: turns a locked-out sign-in into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "jigsaw.config.urls"
WSGI_APPLICATION = "jigsaw.config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.jinja2.Jinja2",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "environment": "jigsaw.core.jinja2.environment",
            "extensions": ["jinja2.ext.do"],
        },
    },
    {
        # Django templates only for the built-in pages (admin is not installed; error pages).
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    },
]

# --- sign-in (docs/security.md) -----------------------------------------------------------
# Passwords: length over complexity, common passwords refused, no composition rules, no expiry.
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "jigsaw.access.passwords.PredictablePasswordValidator"},
]

LOGIN_URL = "/sign-in"
LOGIN_REDIRECT_URL = "/"

# django-axes first, so a locked account is refused before its password is even checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    # Django's ModelBackend, reading a session's user with its profile and lock-out in one query.
    "jigsaw.access.backends.StaffBackend",
]
AXES_FAILURE_LIMIT = 5  # wrong passwords or codes in a row
# Lock the account, whichever machine tries: rotating addresses gains an attacker nothing, and
# locking by address would lock out a whole office behind one gateway (hence axes.W006 off).
AXES_LOCKOUT_PARAMETERS = ["username"]
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
AXES_COOLOFF_TIME = None  # locked until `jigsaw user unlock`
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "jigsaw.core.views.locked_out"
AXES_DISABLE_ACCESS_LOG = True  # the audit trail records every sign-in
AXES_VERBOSE = False
OTP_TOTP_ISSUER = "Jigsaw"
OTP_TOTP_THROTTLE_FACTOR = 1  # after n wrong codes, wait 2^(n-1) seconds

# Sessions: end after 30 minutes unused or 10 hours after signing in, whichever comes first.
JIGSAW_IDLE_TIMEOUT_MINUTES = int(os.environ.get("JIGSAW_IDLE_TIMEOUT_MINUTES", "30"))
JIGSAW_ABSOLUTE_TIMEOUT_HOURS = int(os.environ.get("JIGSAW_ABSOLUTE_TIMEOUT_HOURS", "10"))
SESSION_COOKIE_AGE = JIGSAW_ABSOLUTE_TIMEOUT_HOURS * 3600
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True

# --- headers ---------------------------------------------------------------------------------
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# Content Security Policy: only Jigsaw's own files; the one inline script (GOV.UK's template
# marks the page as having JavaScript) carries the request's nonce.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = False
USE_TZ = True

STATIC_URL = "/static/"
# Only where collectstatic writes (production); here static files are served from the sources.
STATIC_ROOT = os.environ.get("JIGSAW_STATIC_ROOT") or None
STATICFILES_DIRS = [BASE_DIR / "static"] if (BASE_DIR / "static").is_dir() else []
# WhiteNoise serves static files from the app itself. Straight from the source folders here
# (no collectstatic needed for `jigsaw serve`); production collects them with hashed names.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Pseudonyms for analysts: HMAC-SHA256 of the person id under this key. Whoever holds the key
# can re-identify, so it lives only in the environment; production refuses this default.
DEVELOPMENT_PSEUDONYM_KEY = "insecure-development-pseudonym-key-not-for-production"
JIGSAW_PSEUDONYM_KEY = os.environ.get("JIGSAW_PSEUDONYM_KEY", DEVELOPMENT_PSEUDONYM_KEY)

# Exchange format: how far in the future an occurred_at/recorded_at may be (clock skew between
# agency systems and Jigsaw) before it is rejected.
JIGSAW_FUTURE_TOLERANCE_SECONDS = int(os.environ.get("JIGSAW_FUTURE_TOLERANCE_SECONDS", "900"))
# Largest HTTP batch body accepted; larger loads go through `jigsaw ingest`.
DATA_UPLOAD_MAX_MEMORY_SIZE = int(os.environ.get("JIGSAW_MAX_BATCH_BYTES", str(50 * 1024 * 1024)))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("JIGSAW_LOG_LEVEL", "WARNING")},
}
# The agency code Jigsaw writes practitioners' records as (visits, new people at the front
# door): by default the one social care agency, or Jigsaw's own if there is none.
JIGSAW_SOCIAL_CARE_AGENCY = os.environ.get("JIGSAW_SOCIAL_CARE_AGENCY", "")


def env_weight(name: str) -> float | None:
    """A match weight (log2 odds) from the environment; None when unset."""
    text = os.environ.get(name, "").strip()
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise ImproperlyConfigured(f"{name} must be a match weight such as 6 or -4, not {text!r}")
    return value


# Person linkage: the match weight at or above which two records are linked without a person
# looking, and the one at or above which a person is asked. Unset: the stored model's (6 and -4
# unless `jigsaw linkage train --auto-link/--review` stored others; docs/linkage.md says why).
JIGSAW_LINK_AUTO_THRESHOLD = env_weight("JIGSAW_LINK_AUTO_THRESHOLD")
JIGSAW_LINK_REVIEW_THRESHOLD = env_weight("JIGSAW_LINK_REVIEW_THRESHOLD")
