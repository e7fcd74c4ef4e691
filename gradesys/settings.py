"""
Settings for gradesys, all read from the environment.

A `.env` file in the project directory is read when present; a variable set in
the real environment wins over the same one in `.env`. Every variable is
documented in `.env.example` and in the README.
"""

import datetime
import re
from pathlib import Path
from urllib.parse import urlsplit

import environ
from django.core.exceptions import ImproperlyConfigured

from common.databases import database_config, legacy_database_config

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
# overwrite=False: the process environment wins over the file.
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)


# --- Core -------------------------------------------------------------------

DEBUG = env.bool("DEBUG", default=False)

SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if DEBUG:
        # Only a development server may run with a throw-away key.
        SECRET_KEY = "django-insecure-development-only-key-do-not-use-in-production"
    else:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set the SECRET_KEY environment variable (or add it to .env) "
            "to a long random string, for example the output of "
            "`python -c \"import secrets; print(secrets.token_urlsafe(50))\"`, "
            "or set DEBUG=1 for local development."
        )

ALLOWED_HOSTS = env.list(
    "ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"] if DEBUG else []
)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "axes",
    "csp",
    "simple_history",
    "grades",
    "reviews",
    "exports",
    "jobs",
    "imports",
    "pay",
    "dashboard",
    "webhooks",
    # The API (/api/v1/) on django-ninja, whose static files hold the docs page's Swagger UI.
    "ninja",
    "api",
    "sso",
]

# The demo organisation (`manage.py seed_demo`) and its fake names are development tools:
# production installs requirements.txt alone, which has no Faker, and leaves the app out.
GRADESYS_DEMO = env.bool("GRADESYS_DEMO", default=DEBUG)
if GRADESYS_DEMO:
    INSTALLED_APPS.append("demo")

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Under /api/: every refusal in JSON, nothing cached (api/middleware.py).
    "api.middleware.ApiJsonMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Signed-in answers: Cache-Control private, no-store (set on the way out, after the views).
    "gradesys.middleware.PrivatePagesMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "gradesys.middleware.DatabaseUnavailableMiddleware",
    "csp.middleware.CSPMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, as django-axes asks: it turns a lockout raised during login into its response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "gradesys.urls"
WSGI_APPLICATION = "gradesys.wsgi.application"

_CONTEXT_PROCESSORS = [
    "django.template.context_processors.request",
    "django.contrib.auth.context_processors.auth",
    "django.contrib.messages.context_processors.messages",
    "django.template.context_processors.i18n",
    "gradesys.context_processors.navigation",
]
TEMPLATES = [
    # The site's pages (jinja2/): compiled templates, see gradesys/jinja2.py.
    {
        "BACKEND": "django.template.backends.jinja2.Jinja2",
        "DIRS": [BASE_DIR / "jinja2"],
        "APP_DIRS": False,
        "OPTIONS": {"environment": "gradesys.jinja2.environment", "context_processors": _CONTEXT_PROCESSORS},
    },
    # The admin, the mails and the form widgets (templates/ and the apps' templates).
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": _CONTEXT_PROCESSORS,
            # |bidi_visible for text people typed (links); see common/text_filters.py.
            # |absolute for the links in mail (SITE_URL); see common/links.py.
            "builtins": ["common.text_filters", "common.links"],
        },
    },
]


# --- Databases ----------------------------------------------------------------

# SQLite in the project directory unless DATABASE_URL says otherwise.
DEFAULT_DATABASE_URL = f"sqlite:///{BASE_DIR / 'db.sqlite3'}"

# How long a connection is kept between requests, and whether it is checked
# before reuse (so a restarted database server does not break the next request).
CONN_MAX_AGE = env.int("CONN_MAX_AGE", default=60)


DATABASES = {"default": database_config(env.str("DATABASE_URL", default=DEFAULT_DATABASE_URL), conn_max_age=CONN_MAX_AGE)}

# Optional read replica for CSV exports. Tests read the primary through it (MIRROR).
if env.str("REPORTS_DATABASE_URL", default=""):
    DATABASES["reports"] = database_config(env.str("REPORTS_DATABASE_URL"), conn_max_age=CONN_MAX_AGE)
    DATABASES["reports"]["ATOMIC_REQUESTS"] = False
    DATABASES["reports"]["TEST"] = {"MIRROR": "default"}
DATABASE_ROUTERS = ["exports.router.ReportsReplicaRouter"]
# Before a report reads the replica it asks how far behind it is. Further behind than this
# (or not replicating at all), the report is refused with a 503, or with
# REPORTS_LAG_FALLBACK=primary read from the primary instead. Without a replica: no check.
REPORTS_MAX_LAG_SECONDS = env.int("REPORTS_MAX_LAG_SECONDS", default=300)
REPORTS_LAG_FALLBACK = env.str("REPORTS_LAG_FALLBACK", default="refuse")
if REPORTS_LAG_FALLBACK not in ("refuse", "primary"):
    raise ImproperlyConfigured(
        f"REPORTS_LAG_FALLBACK must be 'refuse' or 'primary', not {REPORTS_LAG_FALLBACK!r}."
    )

# Optional old system that `import_legacy` reads people and grade history from, with
# raw SQL only: no models, no migrations, read-only (imports.router). Tests never
# create it; they connect to a database of their own through legacy_database_config.


if env.str("LEGACY_DATABASE_URL", default=""):
    DATABASES["legacy"] = legacy_database_config(env.str("LEGACY_DATABASE_URL"), conn_max_age=CONN_MAX_AGE)
DATABASE_ROUTERS += ["imports.router.LegacyReadOnlyRouter"]

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"


# --- Authentication -------------------------------------------------------------

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

AUTHENTICATION_BACKENDS = [
    # Refuses sign-ins while a username + address is locked out, before checking the password.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    # Sign-in through the OpenID Connect provider (the sso app); does nothing without OIDC_ISSUER.
    "sso.backends.ProviderBackend",
]

# Login rate limit (django-axes): after AXES_FAILURE_LIMIT failed sign-ins for the same
# username from the same address, that pair is locked out for AXES_COOLOFF_MINUTES.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = datetime.timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
# The client address behind reverse proxies: how many proxies in front of the site
# append to X-Forwarded-For (0: the direct peer is the client). See common.http.client_address.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
AXES_CLIENT_IP_CALLABLE = "common.http.client_address"
AXES_VERBOSE = False
# The identity provider's callback carries no username to count (sso.backends).
AXES_WHITELIST_CALLABLE = "sso.backends.is_provider_callback"

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Single sign-on with an OpenID Connect provider (the sso app, README "Single sign-on"). Off
# while OIDC_ISSUER is empty. The endpoints and keys come from the issuer's discovery document.
OIDC_ISSUER = env.str("OIDC_ISSUER", default="").rstrip("/")
OIDC_CLIENT_ID = env.str("OIDC_CLIENT_ID", default="")
OIDC_CLIENT_SECRET = env.str("OIDC_CLIENT_SECRET", default="")
OIDC_PROVIDER_NAME = env.str("OIDC_PROVIDER_NAME", default="")
OIDC_SCOPES = env.str("OIDC_SCOPES", default="openid email profile")
# The claim listing the person's groups; empty: roles are not taken from the provider.
OIDC_GROUPS_CLAIM = env.str("OIDC_GROUPS_CLAIM", default="groups")
# Provider group -> role name (or list of role names); {} maps each role's own name.
OIDC_ROLE_MAP = env.json("OIDC_ROLE_MAP", default={})
OIDC_CREATE_USERS = env.bool("OIDC_CREATE_USERS", default=True)
# Only for a provider that sends no email_verified and vouches for every address it holds.
OIDC_ASSUME_EMAIL_VERIFIED = env.bool("OIDC_ASSUME_EMAIL_VERIFIED", default=False)
OIDC_TIMEOUT_SECONDS = env.int("OIDC_TIMEOUT_SECONDS", default=10)
if OIDC_ISSUER and not (OIDC_CLIENT_ID and OIDC_CLIENT_SECRET):
    raise ImproperlyConfigured("OIDC_ISSUER is set: set OIDC_CLIENT_ID and OIDC_CLIENT_SECRET too.")
if not isinstance(OIDC_ROLE_MAP, dict):
    raise ImproperlyConfigured('OIDC_ROLE_MAP must be a JSON object, e.g. {"idp-hr": "HR"}.')


# --- Internationalisation --------------------------------------------------------

LANGUAGE_CODE = env.str("LANGUAGE_CODE", default="en")
LANGUAGES = [("en", "English"), ("ru", "Русский")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True


# --- Security ---------------------------------------------------------------------

# Production runs behind a TLS-terminating reverse proxy that sets X-Forwarded-Proto.
if env.bool("BEHIND_TLS_PROXY", default=not DEBUG):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SESSION_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=8 * 60 * 60)
# Sessions live in the database. With a cache shared by every worker (CACHE_URL=redis://...),
# django.contrib.sessions.backends.cached_db saves a query per request; with a per-process
# cache it would let a signed-out session live on in other workers (check gradesys.W004).
SESSION_ENGINE = env.str("SESSION_ENGINE", default="django.contrib.sessions.backends.db")
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Content-Security-Policy (django-csp): everything from this site only, no inline
# scripts or styles, no framing, forms post only here.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
# Sign-out posts here and is redirected on to the provider's sign-out page, which
# form-action governs too.
if OIDC_ISSUER:
    CONTENT_SECURITY_POLICY["DIRECTIVES"]["form-action"].append(
        "{0.scheme}://{0.netloc}".format(urlsplit(OIDC_ISSUER))
    )


# --- Static files ----------------------------------------------------------------

STATIC_URL = "static/"
# Where collectstatic gathers the files that WhiteNoise serves when DEBUG is off.
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}


# --- E-mail ----------------------------------------------------------------------

EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="gradesys@localhost")
# The site's address as people open it (scheme, host, port; no trailing slash): every link
# in a mail is this plus the page's path, since a mail has no request to take the host from.
# The development server's address with DEBUG=1; without it the links carry no host and
# `manage.py check --deploy` warns (gradesys.W007).
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000" if DEBUG else "").rstrip("/")


# --- Webhooks --------------------------------------------------------------------
# Posting events to chat and other receivers (webhooks app; `send_webhooks` from cron).
# Seconds a POST may take; attempts before a delivery is given up; the first retry's wait
# in seconds (doubled after each failure, at most six hours).
WEBHOOKS_TIMEOUT = env.float("WEBHOOKS_TIMEOUT", default=5.0)
WEBHOOKS_MAX_ATTEMPTS = env.int("WEBHOOKS_MAX_ATTEMPTS", default=12)
WEBHOOKS_RETRY_SECONDS = env.int("WEBHOOKS_RETRY_SECONDS", default=60)


# --- Cache -----------------------------------------------------------------------

CACHES = {"default": env.cache_url("CACHE_URL", default="locmemcache://")}


# --- Logging ---------------------------------------------------------------------

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    # Sign-in attempts are counted in the database; the per-attempt lines add nothing.
    "loggers": {"axes": {"level": "WARNING"}},
}


# --- The grade system ------------------------------------------------------------

# Months a candidate waits after a failed defense before the next one.
GRADES_FAILED_DEFENSE_COOLDOWN_MONTHS = env.int("GRADES_FAILED_DEFENSE_COOLDOWN_MONTHS", default=3)

# Days a claim may wait for the team lead's decision before HR's inbox lists it as overdue.
GRADES_OVERDUE_CLAIM_DAYS = env.int("GRADES_OVERDUE_CLAIM_DAYS", default=14)

# How the committee's votes decide a defense is data, not a setting: the decision
# policy (reviews.DecisionPolicy, in the admin under Reviews), with its history.


# --- The API (/api/v1/) -------------------------------------------------------------

# Requests per personal access token (N/s, N/min, N/hour, N/day), counted in the cache
# (CACHE_URL: shared by every worker with Redis). Past it the API answers 429 with Retry-After.
API_RATE_LIMIT = env.str("API_RATE_LIMIT", default="120/min")
if not re.fullmatch(r"[1-9][0-9]*/(s|sec|m|min|h|hour|d|day)", API_RATE_LIMIT):
    raise ImproperlyConfigured(
        f"API_RATE_LIMIT must be a number of requests per period such as 120/min (periods: s, min, hour, "
        f"day), not {API_RATE_LIMIT!r}."
    )


# --- Salary bands (the pay app) ----------------------------------------------------

# Who sees the salary bands on the ladder pages: "hr" (HR and admins only) or
# "everyone" (every signed-in person, for companies that publish their bands).
# There is no personal pay in the product, whatever this says.
PAY_BANDS_VISIBLE_TO = env.str("PAY_BANDS_VISIBLE_TO", default="hr")
if PAY_BANDS_VISIBLE_TO not in ("hr", "everyone"):
    raise ImproperlyConfigured(
        f"PAY_BANDS_VISIBLE_TO must be 'hr' or 'everyone', not {PAY_BANDS_VISIBLE_TO!r}."
    )

# The calculator's weights and rounding are data, not settings: the pay policy
# (pay.PayPolicy, in the admin under Pay), with its history. Who sees the bands and
# the default currency stay here: see the PayPolicy docstring for why.

# The currency of the calculator when none is given (ISO 4217 code).
PAY_DEFAULT_CURRENCY = env.str("PAY_DEFAULT_CURRENCY", default="EUR").upper()
if not (len(PAY_DEFAULT_CURRENCY) == 3 and PAY_DEFAULT_CURRENCY.isascii() and PAY_DEFAULT_CURRENCY.isalpha()):
    raise ImproperlyConfigured(
        f"PAY_DEFAULT_CURRENCY must be a three-letter ISO 4217 code such as EUR, not {PAY_DEFAULT_CURRENCY!r}."
    )
