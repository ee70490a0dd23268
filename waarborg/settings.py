"""The one settings module. Everything that differs between machines comes from the environment."""

from __future__ import annotations

from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from waarborg.conf import (
    env_bool,
    env_cache,
    env_int,
    env_list,
    env_mail_url,
    env_networks,
    env_path,
    env_proxy_https_header,
    env_rate,
    env_secret,
    env_smtp,
    env_str,
    session_idle_minutes,
    session_max_hours,
)

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = env_path("WAARBORG_VAR_DIR", BASE_DIR / "var")

DEBUG = env_bool("WAARBORG_DEBUG", default=False)

_secret = env_secret("WAARBORG_SECRET_KEY")
if _secret is None:
    if not DEBUG:
        raise ImproperlyConfigured(
            "WAARBORG_SECRET_KEY (or WAARBORG_SECRET_KEY_FILE) is not set. Set it, or set "
            "WAARBORG_DEBUG=1 for a development server with a throw-away key."
        )
    _secret = "dev-only-insecure-key-not-for-production"  # noqa: S105 - only with WAARBORG_DEBUG=1
elif len(_secret) < 32:
    raise ImproperlyConfigured("WAARBORG_SECRET_KEY must be at least 32 characters long.")
SECRET_KEY = _secret

ALLOWED_HOSTS = env_list(
    "WAARBORG_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"] if DEBUG else []
)

WAARBORG_POLICY = env_path("WAARBORG_POLICY", BASE_DIR / "policies" / "cms.yaml")

# The contact mailbox that `waarborg mail fetch` reads requests from (docs/intake.md).
WAARBORG_MAIL_URL = env_mail_url("WAARBORG_MAIL_URL")

# The erasure ledger: a directory outside the database where every erasure is recorded before it
# commits, so a restored backup erases again whoever was erased after it was made
# (waarborg/vault/erasures.py). Under var/ in development; in production it must be set (the
# server and the commands refuse to start without it).
WAARBORG_ERASURE_LEDGER = (
    env_path("WAARBORG_ERASURE_LEDGER", VAR_DIR / "erasures")
    if DEBUG
    else (Path(_ledger) if (_ledger := env_str("WAARBORG_ERASURE_LEDGER")) else None)
)

_database_url = env_str("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'waarborg.sqlite3'}"
try:
    _db = dj_database_url.parse(_database_url, conn_max_age=60)
except Exception as exc:  # dj_database_url raises several kinds of errors on a bad URL
    raise ImproperlyConfigured(f"DATABASE_URL cannot be understood: {exc}") from None
if _db["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE: a transaction takes the write lock when it starts, so concurrent requests wait
    # (up to the timeout) instead of failing with "database is locked" halfway. FULL: a
    # committed erasure survives a power cut.
    _db["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    _db["CONN_MAX_AGE"] = 0
    # The test database sits beside the configured one, so parallel runs with their own
    # DATABASE_URL never share a file.
    _db["TEST"] = {"NAME": str(Path(str(_db["NAME"])).with_suffix(".test.sqlite3"))}
# On PostgreSQL the gate's read and the audit log's append are prepared once per connection
# (waarborg/core/sql.py); off behind a connection pooler in transaction mode that cannot keep
# prepared statements.
WAARBORG_DB_PREPARE = env_bool("WAARBORG_DB_PREPARE", default=True)
DATABASES = {"default": _db}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "csp",  # its checks of the CONTENT_SECURITY_POLICY setting
    "ninja",  # its Swagger UI files, served here: /api/docs loads nothing from a CDN
    "django_tasks",
    "django_tasks_db",  # the queue of background tasks, a table (waarborg worker runs them)
    "waarborg.core",
    "waarborg.policy",
    "waarborg.audit",
    "waarborg.vault",
    "waarborg.gate",
    "waarborg.access",
    "waarborg.rights",
    "waarborg.consent",
    "waarborg.billing",
    "waarborg.retention",
    "waarborg.campaigns",
    "waarborg.api",
    "waarborg.console",
    "waarborg.center",
    "waarborg.intake",
]

# Outermost first: the HTTPS redirect and the security headers hold for every answer, also the
# API's own early ones (413) and static files.
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "waarborg.core.middleware.SiteCSPMiddleware",
    "waarborg.core.middleware.no_store_middleware",
    "waarborg.core.outage.DatabaseOutageMiddleware",
    "waarborg.api.middleware.api_guard",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "waarborg.core.i18n.language_middleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # After messages: a session that ran out is ended with a message on the login page.
    "waarborg.access.sessions.session_limits_middleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "waarborg.urls"
WSGI_APPLICATION = "waarborg.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "waarborg.console.views.navigation",
            ],
        },
    },
]

PASSWORD_HASHERS = ["django.contrib.auth.hashers.Argon2PasswordHasher"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "nl"
LANGUAGES = [("nl", "Nederlands"), ("en", "English")]
# Each app keeps its own catalogue in <app>/locale (docs/architecture.md).
USE_I18N = True
TIME_ZONE = "Europe/Amsterdam"
USE_TZ = True

STATIC_URL = "static/"
# Static files are few (the API docs' Swagger UI): WhiteNoise serves them from the apps, so neither
# collectstatic (no STATIC_ROOT) nor a separate web server is needed.
WHITENOISE_USE_FINDERS = True

# HTTPS. Both on unless in development mode (make serve): the redirect sends plain HTTP to
# HTTPS, HSTS (sent only over HTTPS) tells browsers to never try plain HTTP for this host again.
# Tests, which talk plain HTTP, switch the redirect off in waarborg/conftest.py.
SECURE_SSL_REDIRECT = env_bool("WAARBORG_SSL_REDIRECT", default=not DEBUG)
SECURE_HSTS_SECONDS = env_int(
    "WAARBORG_HSTS_SECONDS", default=0 if DEBUG else 31_536_000, minimum=0, maximum=63_072_000
)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("WAARBORG_HSTS_INCLUDE_SUBDOMAINS", default=True)
# Asks browsers to put the domain on their built-in HTTPS list once it is submitted there: a
# commitment for the whole domain, so the operator's to make.
SECURE_HSTS_PRELOAD = env_bool("WAARBORG_HSTS_PRELOAD", default=False)
# Behind a TLS-terminating proxy: the header it sets to "https" (never trusted otherwise).
SECURE_PROXY_SSL_HEADER = env_proxy_https_header("WAARBORG_SECURE_PROXY_HEADER")

# Only our own files, no inline script or style anywhere (the templates have none); no frames,
# no plugins, forms post only to us.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [NONE],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF],
        "font-src": [SELF],
        "connect-src": [SELF],
        "manifest-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [NONE],
        "object-src": [NONE],
    }
}
# ninja's Swagger UI draws its icons as data: images; only its page may show them.
WAARBORG_CSP_PAGE_ADDITIONS = {"/api/docs": {"img-src": ["data:"]}}

# Where personal data is answered: always Cache-Control: no-store (waarborg/core/middleware.py),
# whatever a view says; elsewhere it is the default.
WAARBORG_NO_STORE_PATHS = ["/api/", "/console/"]

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
DATA_UPLOAD_MAX_MEMORY_SIZE = 64 * 1024

# Requests per API token, and requests without a valid token per client address (N/s, N/m,
# N/h, N/d), counted in the shared cache below, so every server process sees one count.
WAARBORG_API_RATE = env_rate("WAARBORG_API_RATE", "600/m")
WAARBORG_API_ANONYMOUS_RATE = env_rate("WAARBORG_API_ANONYMOUS_RATE", "60/m")
# The cache holds the counters every server process must share (rate limits, login pauses, the
# token revocation generation): a table in the database (made by core's migration) unless
# WAARBORG_CACHE_URL names a Redis server.
CACHES = {"default": env_cache("WAARBORG_CACHE_URL", table="waarborg_cache")}
# Off: the server's processes only append to the audit log and 'waarborg audit seal --every N',
# run beside them, gives entries their place in the hash chain (waarborg/audit/services.py).
WAARBORG_SEAL_IN_SERVER = env_bool("WAARBORG_SEAL_IN_SERVER", default=True)
# Sites (scheme://host[:port]) that embed the cookie banner and may record choices from their
# pages (waarborg/consent/views.py); this server's own pages always may.
WAARBORG_BANNER_ORIGINS = [o.rstrip("/") for o in env_list("WAARBORG_BANNER_ORIGINS", [])]
# Reverse proxies whose X-Forwarded-For is believed (waarborg/core/clients.py); none by default.
WAARBORG_TRUSTED_PROXIES = env_networks("WAARBORG_TRUSTED_PROXIES")
LOGIN_URL = "console:login"
# Staff sessions end after this long without a request, and this long after logging in
# (waarborg/access/sessions.py); the cookie does not outlive the second.
WAARBORG_SESSION_IDLE_MINUTES = session_idle_minutes()
WAARBORG_SESSION_MAX_HOURS = session_max_hours()
SESSION_COOKIE_AGE = WAARBORG_SESSION_MAX_HOURS * 3600
# Wrong codes count toward the login pause (waarborg/access/logins.py) instead of django-otp's
# own doubling delay, which would also hold back the right code after a typo.
OTP_TOTP_THROTTLE_FACTOR = 0
OTP_TOTP_ISSUER = "waarborg"
LOGIN_REDIRECT_URL = "console:home"

# Outgoing mail (waarborg/core/mail.py): through the SMTP server of WAARBORG_SMTP_URL; unset, every
# mail is written as a file to var/mail/ instead (development; `check --deploy` warns).
_smtp = env_smtp("WAARBORG_SMTP_URL")  # or WAARBORG_SMTP_URL_FILE: it can hold a password
if _smtp is None:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = str(VAR_DIR / "mail")
else:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST, EMAIL_PORT = _smtp.host, _smtp.port
    EMAIL_HOST_USER, EMAIL_HOST_PASSWORD = _smtp.user, _smtp.password
    EMAIL_USE_SSL, EMAIL_USE_TLS = _smtp.ssl, _smtp.starttls
EMAIL_TIMEOUT = 30
# The address people reach this server at, for links in mail (the confirmation of a request).
WAARBORG_PUBLIC_URL = (env_str("WAARBORG_PUBLIC_URL") or "http://127.0.0.1:8000").rstrip("/")
# The collection agency's age public key (age1...): a handover is encrypted to it, and refused
# while it is not set (waarborg/billing/handover.py).
WAARBORG_COLLECTION_AGENCY_RECIPIENT = env_str("WAARBORG_COLLECTION_AGENCY_RECIPIENT") or ""

# Background tasks (carrying out rights requests) wait in a table of this database; `waarborg
# worker` runs them (docs/rights.md).
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}
