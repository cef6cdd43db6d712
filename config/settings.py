"""Concord settings: one file, driven by the environment (see README and .env.example).

Defaults are for development: SQLite, DEBUG on, console email, no Redis
needed. Production is this same file with the environment set, checked by
``manage.py check --deploy``.
"""

from __future__ import annotations

import hashlib
import os
import re
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlparse

import dj_database_url
from django.utils.translation import gettext_lazy as _

from .env import Env, ImproperlyConfiguredEnv

BASE_DIR = Path(__file__).resolve().parent.parent
env = Env()

# --- Core -------------------------------------------------------------------

DEBUG = env.bool("DEBUG", default=True)
_DEV_SECRET = "django-insecure-concord-development-only-key-do-not-use-in-production"
SECRET_KEY = env.str("SECRET_KEY", default=_DEV_SECRET if DEBUG else None)
if not SECRET_KEY:
    raise ImproperlyConfiguredEnv("SECRET_KEY must be set when DEBUG is off.")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
DEMO_MODE = env.bool("DEMO_MODE", default=False)
# Behind a TLS-terminating proxy: trust its X-Forwarded-Proto, and its X-Forwarded-For for the client's address.
BEHIND_TLS_PROXY = env.bool("BEHIND_TLS_PROXY", default=False)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "knox",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "django_htmx",
    "template_partials",
    "axes",
    "core",
    "teams",
    "campaigns",
    "budgets",
    "risks",
    "members",
    "reviews",
    "dashboards",
    "demo",
]

MIDDLEWARE = [
    # First: every later log line of the request carries its id (core/requestid.py); then the request metrics
    # (core/metrics.py), so their latency covers the whole stack below.
    "core.requestid.RequestIdMiddleware",
    "core.metrics.RequestMetricsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "core.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "core.middleware.UserPreferencesMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into the lock-out page.
    "axes.middleware.AxesMiddleware",
    # Innermost, after Axes: it only answers logged-in GETs (never a sign-in), and every middleware above runs on
    # a cached answer as on a fresh one (core/pagecache.py).
    "core.pagecache.PageCacheMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "core.context_processors.layout",
            ],
        },
    },
]

# Django's renderer, with <select> drawn in Python (the same HTML, a fraction of the time: core/renderers.py).
FORM_RENDERER = "core.renderers.ConcordFormRenderer"

# --- Database ---------------------------------------------------------------

DATABASE_URL = env.url(
    "DATABASE_URL",
    default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
    schemes=("sqlite", "postgres", "postgresql", "pgsql"),
)
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    # A file (not memory) so that a worker process started by the tests sees the same data.
    # One file per test process, so that two test runs on one checkout never share it.
    DATABASES["default"]["TEST"] = {"NAME": str(BASE_DIR / f".test-db-{os.getpid()}.sqlite3")}
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20
    # make run's web, workers and beat share one file: WAL lets readers run beside the writer, and IMMEDIATE
    # transactions take the write lock up front, so two writers wait their turn (busy timeout) instead of one
    # failing at once with "database is locked" when a read transaction turns into a write.
    DATABASES["default"]["OPTIONS"].update(
        transaction_mode="IMMEDIATE", init_command="PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
    )
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis, cache, Celery -------------------------------------------------

REDIS_URL = env.url("REDIS_URL", default=None, schemes=("redis", "rediss", "unix"))
# Every key Concord writes to Redis — cache entries, Celery queues, bindings, control messages — starts with this
# prefix. In development and demo mode it is derived from the checkout's folder, so two checkouts (or CI beside a
# developer) on one Redis never read each other's cache or run each other's tasks; in production it is "concord"
# on every node, wherever each is installed. REDIS_KEY_PREFIX overrides both (all nodes of one deployment must agree).
_checkout_prefix = "concord-" + hashlib.sha256(str(BASE_DIR).encode()).hexdigest()[:10]
REDIS_KEY_PREFIX = env.str("REDIS_KEY_PREFIX", default=_checkout_prefix if DEBUG or DEMO_MODE else "concord")

# SPEC 10.1 "Dependencies that stall": every Redis and broker call has connect and read timeouts, and a
# failure opens a short per-process breaker (core/resilience.py) so a frozen Redis costs one timeout, not one per
# request.
REDIS_TIMEOUT_SECONDS = env.int("REDIS_TIMEOUT_SECONDS", default=2, minimum=1)
REDIS_BREAKER_SECONDS = env.int("REDIS_BREAKER_SECONDS", default=5, minimum=1)

if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "core.resilience.ResilientRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": REDIS_KEY_PREFIX,
            "OPTIONS": {"socket_connect_timeout": REDIS_TIMEOUT_SECONDS, "socket_timeout": REDIS_TIMEOUT_SECONDS},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Logged-in GET pages and API lists answered from the cache while no table they read was written (core/pagecache.py,
# issue 20). Needs the versions shared by every process, so it is on by default only with Redis.
PAGE_CACHE = env.bool("PAGE_CACHE", default=bool(REDIS_URL))
PAGE_CACHE_SECONDS = env.int("PAGE_CACHE_SECONDS", default=60, minimum=1)
# Part of every key; empty: a hash of the code, templates and catalogues (a deploy never serves the old pages).
PAGE_CACHE_SALT = env.str("PAGE_CACHE_SALT", default="")

# The broker is REDIS_URL unless CELERY_BROKER_URL names another (make run uses
# kombu's filesystem transport when no Redis can be reached).
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL or "")
if not CELERY_BROKER_URL:
    # Without a broker every .delay() would fail; say so now rather than later.
    CELERY_BROKER_URL = "redis://127.0.0.1:6379/0"
# How long a task taken by a worker that then dies stays invisible before Redis redelivers it (acks_late).
CELERY_BROKER_TRANSPORT_OPTIONS: dict = {
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=3600, minimum=1),
    "socket_connect_timeout": REDIS_TIMEOUT_SECONDS,
    "socket_timeout": REDIS_TIMEOUT_SECONDS,
    # kombu's Redis transport prefixes every key and pub/sub channel with it (queues, unacked, bindings, pidbox).
    "global_keyprefix": f"{REDIS_KEY_PREFIX}:",
}
if CELERY_BROKER_URL.startswith("filesystem://"):
    _folder = Path(env.str("CELERY_FILESYSTEM_FOLDER", default=str(BASE_DIR / ".run" / "broker")))
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_folder / "out"),
        "data_folder_out": str(_folder / "out"),
        "processed_folder": str(_folder / "processed"),
        "control_folder": str(_folder / "control"),
        "store_processed": False,
    }
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Publishing gives up quickly when the broker is down, so a page never hangs on it; work that matters is
# kept in the database (outbox rows) and picked up by periodic sweeps once the broker is back.
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2}
CELERY_BROKER_CONNECTION_TIMEOUT = REDIS_TIMEOUT_SECONDS
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=30 * 60, minimum=10)
CELERY_TASK_SOFT_TIME_LIMIT = CELERY_TASK_TIME_LIMIT - 5
# Tasks are acknowledged after they finish, one at a time per worker process,
# and re-queued if the worker dies: every task must therefore be idempotent.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_TASK_DEFAULT_QUEUE", default="concord")
# Member imports go to "<default queue>.imports" (config.celery.route_task): a worker must consume it too.
CELERY_TASK_ROUTES = ("config.celery.route_task",)
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_EAGER_PROPAGATES = True

# --- Auth -------------------------------------------------------------------

AUTH_USER_MODEL = "teams.User"
# django-axes first: it refuses a locked-out username + address before the password is even checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
# --- Company sign-in: LDAP (SPEC 10.5) ----------------------------------------
# Active when LDAP_SERVER_URI is set (django-auth-ldap from requirements-ldap.txt; teams/ldap.py). A person is found
# with LDAP_USER_FILTER under LDAP_USER_BASE (searching as LDAP_BIND_DN), signs in with their directory password,
# and is created here on first sign-in with the department named by LDAP_DEPARTMENT_ATTR (teams.directory). A
# disabled account is one the filter leaves out, e.g. (&(uid=%(user)s)(!(employeeType=disabled))): it cannot sign
# in, and teams.sync_directory (every 15 minutes) deactivates it here, which revokes its API tokens and sessions.
LDAP_SERVER_URI = env.url("LDAP_SERVER_URI", default="", schemes=("ldap", "ldaps", "ldapi"))
LDAP_BIND_DN = env.str("LDAP_BIND_DN", default="")
LDAP_BIND_PASSWORD = env.str("LDAP_BIND_PASSWORD", default="")
LDAP_USER_BASE = env.str("LDAP_USER_BASE", default="")
LDAP_USER_FILTER = env.str("LDAP_USER_FILTER", default="(uid=%(user)s)")
# Not in the contract: the attribute holding the username (read from the filter's "(attr=%(user)s)" unless set), the
# attributes for department and names, StartTLS, and how long a dead directory may keep a sign-in waiting.
_ldap_user_term = re.search(r"\(([\w;-]+)=%\(user\)s\)", LDAP_USER_FILTER)
LDAP_USERNAME_ATTR = env.str("LDAP_USERNAME_ATTR", default=_ldap_user_term[1] if _ldap_user_term else "uid")
LDAP_DEPARTMENT_ATTR = env.str("LDAP_DEPARTMENT_ATTR", default="departmentNumber")
LDAP_FIRST_NAME_ATTR = env.str("LDAP_FIRST_NAME_ATTR", default="givenName")
LDAP_LAST_NAME_ATTR = env.str("LDAP_LAST_NAME_ATTR", default="sn")
LDAP_EMAIL_ATTR = env.str("LDAP_EMAIL_ATTR", default="mail")
LDAP_START_TLS = env.bool("LDAP_START_TLS", default=False)
LDAP_TIMEOUT = env.int("LDAP_TIMEOUT", default=5, minimum=1)
if LDAP_SERVER_URI:
    from django.core.exceptions import ImproperlyConfigured

    try:
        import ldap
        from django_auth_ldap.config import LDAPSearch
    except ImportError as error:
        raise ImproperlyConfigured(
            f"LDAP_SERVER_URI is set but django-auth-ldap cannot be imported ({error}): "
            "run `pip install -r requirements-ldap.txt` (python-ldap needs libldap-dev and libsasl2-dev to build)."
        ) from error
    if not LDAP_USER_BASE:
        raise ImproperlyConfiguredEnv("LDAP_USER_BASE must be set when LDAP_SERVER_URI is.")
    if "%(user)s" not in LDAP_USER_FILTER:
        raise ImproperlyConfiguredEnv(f"LDAP_USER_FILTER={LDAP_USER_FILTER!r} must contain %(user)s.")
    AUTH_LDAP_SERVER_URI = LDAP_SERVER_URI
    AUTH_LDAP_BIND_DN = LDAP_BIND_DN
    AUTH_LDAP_BIND_PASSWORD = LDAP_BIND_PASSWORD
    AUTH_LDAP_USER_SEARCH = LDAPSearch(LDAP_USER_BASE, ldap.SCOPE_SUBTREE, LDAP_USER_FILTER)
    AUTH_LDAP_USER_ATTR_MAP = {
        "first_name": LDAP_FIRST_NAME_ATTR,
        "last_name": LDAP_LAST_NAME_ATTR,
        "email": LDAP_EMAIL_ATTR,
    }
    AUTH_LDAP_ALWAYS_UPDATE_USER = True  # name, email and department follow the directory at every sign-in
    AUTH_LDAP_START_TLS = LDAP_START_TLS
    # A directory that does not answer costs LDAP_TIMEOUT seconds (connect, then each operation), never a hang.
    AUTH_LDAP_CONNECTION_OPTIONS = {
        ldap.OPT_NETWORK_TIMEOUT: LDAP_TIMEOUT,
        ldap.OPT_TIMEOUT: LDAP_TIMEOUT,
        ldap.OPT_REFERRALS: 0,
    }
    # After axes' backend (locked-out pairs are refused before the directory is asked, and failed directory
    # passwords count towards the lock-out) and before the local passwords.
    AUTHENTICATION_BACKENDS.insert(
        AUTHENTICATION_BACKENDS.index("django.contrib.auth.backends.ModelBackend"), "teams.ldap.ConcordLDAPBackend"
    )

# --- Company sign-in: OpenID Connect (SPEC 10.5) -------------------------------
# Active when OIDC_ISSUER is set (mozilla-django-oidc; teams/oidc.py). The login page then shows "Sign in with
# OIDC_PROVIDER_NAME"; register <SITE_URL>/oidc/callback/ as the client's redirect URI at the provider. Endpoints
# come from <OIDC_ISSUER>/.well-known/openid-configuration, fetched at the first sign-in (never at start-up, so a
# provider that is down cannot stop the site) and kept for an hour; OIDC_OP_*_ENDPOINT set them by hand instead.
# ID tokens must be RS256-signed with a key of the provider's JWKS, issued by OIDC_ISSUER for OIDC_CLIENT_ID.
OIDC_ISSUER = env.str("OIDC_ISSUER", default="").rstrip("/")
OIDC_CLIENT_ID = env.str("OIDC_CLIENT_ID", default="")
OIDC_CLIENT_SECRET = env.str("OIDC_CLIENT_SECRET", default="")
# Not in the contract: the claims read for the username and the department, the button's label, the timeout.
OIDC_USERNAME_CLAIM = env.str("OIDC_USERNAME_CLAIM", default="preferred_username")
OIDC_DEPARTMENT_CLAIM = env.str("OIDC_DEPARTMENT_CLAIM", default="department")
OIDC_PROVIDER_NAME = env.str("OIDC_PROVIDER_NAME", default="")  # empty: "your company account"
OIDC_OP_AUTHORIZATION_ENDPOINT = env.str("OIDC_OP_AUTHORIZATION_ENDPOINT", default="")
OIDC_OP_TOKEN_ENDPOINT = env.str("OIDC_OP_TOKEN_ENDPOINT", default="")
OIDC_OP_USER_ENDPOINT = env.str("OIDC_OP_USER_ENDPOINT", default="")
OIDC_OP_JWKS_ENDPOINT = env.str("OIDC_OP_JWKS_ENDPOINT", default="")
# mozilla-django-oidc's own names; every call to the provider times out after OIDC_TIMEOUT seconds.
OIDC_RP_CLIENT_ID = OIDC_CLIENT_ID
OIDC_RP_CLIENT_SECRET = OIDC_CLIENT_SECRET
OIDC_RP_SIGN_ALGO = "RS256"
OIDC_RP_SCOPES = "openid email profile"
OIDC_USE_PKCE = True
OIDC_TIMEOUT = env.int("OIDC_TIMEOUT", default=5, minimum=1)
if OIDC_ISSUER:
    if not (OIDC_CLIENT_ID and OIDC_CLIENT_SECRET):
        raise ImproperlyConfiguredEnv("OIDC_CLIENT_ID and OIDC_CLIENT_SECRET must be set when OIDC_ISSUER is.")
    AUTHENTICATION_BACKENDS.append("teams.oidc.ConcordOIDCBackend")
# Local passwords (SPEC 10.5) keep working unless LOCAL_LOGIN=0. Then no local password opens an account — not even
# a superuser's: give an admin role to a directory account first (README "Company sign-in"). LDAP passwords still
# work; the model backend stays only for permission checks (teams.oidc.PermissionsOnlyBackend).
LOCAL_LOGIN = env.bool("LOCAL_LOGIN", default=True)
if not LOCAL_LOGIN:
    AUTHENTICATION_BACKENDS[AUTHENTICATION_BACKENDS.index("django.contrib.auth.backends.ModelBackend")] = (
        "teams.oidc.PermissionsOnlyBackend"
    )

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Internationalisation -------------------------------------------------

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("zh-hans", _("Simplified Chinese"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env.str("TIME_ZONE", default="Asia/Shanghai")
USE_I18N = True
# Dates and numbers follow the active language (Django's locale formats, with ours in config/formats first).
FORMAT_MODULE_PATH = ["config.formats"]
USE_TZ = True

# --- Static files -----------------------------------------------------------

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
# Uploaded files (task attachments, SPEC 10.3). They are never served from a public folder: MEDIA_ROOT is not
# mapped to a URL, and every download goes through a view that applies the access rules.
MEDIA_ROOT = env.str("MEDIA_ROOT", default=str(BASE_DIR / "media"))
ATTACHMENT_MAX_BYTES = env.int("ATTACHMENT_MAX_BYTES", default=20 * 1024 * 1024)
_S3_BUCKET = env.str("ATTACHMENT_S3_BUCKET", default="")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Local disk under MEDIA_ROOT by default; any S3-compatible store (MinIO, Aliyun OSS, Tencent COS, AWS) when
    # ATTACHMENT_S3_BUCKET is set, through django-storages (credentials from the usual AWS_* variables).
    "attachments": (
        {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": _S3_BUCKET,
                "endpoint_url": env.str("ATTACHMENT_S3_ENDPOINT_URL", default="") or None,
                "region_name": env.str("ATTACHMENT_S3_REGION", default="") or None,
                "default_acl": "private",
                "querystring_auth": True,
                "file_overwrite": False,
            },
        }
        if _S3_BUCKET
        else {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": MEDIA_ROOT}}
    ),
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if env.bool("STATIC_MANIFEST", default=not DEBUG)
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

# --- Email ------------------------------------------------------------------


def _email_from_url(url: str) -> dict:
    parsed = urlparse(url)
    if parsed.scheme == "consolemail":
        return {"EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"}
    if parsed.scheme == "memorymail":
        return {"EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend"}
    if parsed.scheme in ("smtp", "smtps", "submission"):
        query = parse_qs(parsed.query)
        return {
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": parsed.hostname or "localhost",
            "EMAIL_PORT": parsed.port
            or (465 if parsed.scheme == "smtps" else 587 if parsed.scheme == "submission" else 25),
            "EMAIL_HOST_USER": unquote(parsed.username or ""),
            "EMAIL_HOST_PASSWORD": unquote(parsed.password or ""),
            "EMAIL_USE_SSL": parsed.scheme == "smtps",
            "EMAIL_USE_TLS": parsed.scheme == "submission" or query.get("tls", ["0"])[0] in ("1", "true"),
        }
    raise ImproperlyConfiguredEnv(
        f"EMAIL_URL={url!r} must use consolemail://, memorymail://, smtp://, smtps:// or submission://."
    )


_email_url = env.str("EMAIL_URL", default="")
if _email_url:
    globals().update(_email_from_url(_email_url))
else:
    EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
    EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
    EMAIL_PORT = env.int("EMAIL_PORT", default=25, minimum=1)
    EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
    EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
    EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
    EMAIL_USE_SSL = env.bool("EMAIL_USE_SSL", default=False)
    # For the file backend (make run's default): one .log file per sent batch in this folder.
    EMAIL_FILE_PATH = env.str("EMAIL_FILE_PATH", default=str(BASE_DIR / ".run" / "mail"))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Concord <concord@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Absolute links in emails are built from this.
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")

# --- Team chat channels (SPEC 10.4) -------------------------------------------
# Robots are posted to only on these hosts (no request to an address someone typed in: no SSRF); add a private
# deployment's host here. Each attempt waits CHAT_TIMEOUT_SECONDS; a timeout or 5xx is retried after
# CHAT_RETRY_SECONDS × 2^(attempt − 1), up to five attempts.
CHAT_WEBHOOK_HOSTS = env.list(
    "CHAT_WEBHOOK_HOSTS", default=["qyapi.weixin.qq.com", "oapi.dingtalk.com", "open.feishu.cn", "open.larksuite.com"]
)
CHAT_TIMEOUT_SECONDS = env.int("CHAT_TIMEOUT_SECONDS", default=5, minimum=1)
CHAT_RETRY_SECONDS = env.int("CHAT_RETRY_SECONDS", default=30, minimum=1)

# --- REST API ---------------------------------------------------------------

# Beside the per-username lock-out, the token endpoint answers 429 past this many requests per client address.
API_TOKEN_THROTTLE_RATE = env.str("API_TOKEN_THROTTLE_RATE", default="30/minute")
if not re.fullmatch(r"[1-9][0-9]*/(second|minute|hour|day|[smhd])", API_TOKEN_THROTTLE_RATE):
    raise ImproperlyConfiguredEnv(
        f"API_TOKEN_THROTTLE_RATE={API_TOKEN_THROTTLE_RATE!r} must look like 30/minute (per second, minute, hour or day)."
    )
# SPEC 10.1 "API tokens": hashed at rest (django-rest-knox, SHA-512), expiring, revocable.
API_TOKEN_TTL_HOURS = env.int("API_TOKEN_TTL_HOURS", default=168, minimum=1)
REST_KNOX = {
    "TOKEN_TTL": timedelta(hours=API_TOKEN_TTL_HOURS),
    "AUTO_REFRESH": False,
    "AUTH_HEADER_PREFIX": "Token",
}
REST_FRAMEWORK = {
    # Token first: its WWW-Authenticate header turns "not logged in" into 401, not 403.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "core.api.authentication.ProfileLanguageTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "core.api.pagination.StandardPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "core.api.exceptions.exception_handler",
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_PARSER_CLASSES": [
        "rest_framework.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_THROTTLE_RATES": {"auth": API_TOKEN_THROTTLE_RATE},
    "NUM_PROXIES": 1 if BEHIND_TLS_PROXY else None,
    # ISO 8601 (date.isoformat()): always four-digit years. "%Y-%m-%d" renders the year 235 as "235-06-23".
    "DATE_FORMAT": "iso-8601",
    "COERCE_DECIMAL_TO_STRING": True,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Concord API",
    "DESCRIPTION": "Campaign planning, three-way budget sign-off, risks, membership and reviews.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # One named enum per choice set, so clients see the same type wherever a status or role appears.
    "ENUM_NAME_OVERRIDES": {
        "CampaignStatusEnum": "campaigns.models.CampaignStatus",
        "TaskStatusEnum": "campaigns.models.TaskStatus",
        "BudgetStatusEnum": "budgets.models.BudgetStatus",
        "SignoffRoleEnum": "budgets.models.SignoffRole",
        "TeamRoleEnum": "core.roles.TeamRole",
        "CalendarDayKindEnum": "core.models.CalendarDayKind",
        # Members (SPEC 10.6): a tier code is one set wherever it shows (a member's tier, its tier history).
        "TierEnum": "members.models.TierCode",
        "PointsReasonEnum": "members.models.PointsReason",
    },
}

# --- Security -----------------------------------------------------------------

SESSION_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG:
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    # Cookies only over HTTPS. make run (DEBUG off, plain HTTP on this machine) sets SECURE_COOKIES=0.
    SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=True)
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000, minimum=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    if BEHIND_TLS_PROXY:
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Login throttling (django-axes): after LOGIN_FAILURE_LIMIT failed logins for one username from one address,
# that pair is locked out for LOGIN_LOCKOUT_MINUTES (the login page and the API token endpoint alike);
# a successful login resets the count. Failed attempts are kept in the database (shared by every process).
AXES_ENABLED = env.bool("LOGIN_THROTTLE", default=True)
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("LOGIN_LOCKOUT_MINUTES", default=15, minimum=1))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "teams.views.login_locked_out"
AXES_CLIENT_IP_CALLABLE = "core.security.client_ip"
AXES_HTTP_RESPONSE_CODE = 429

# Content-Security-Policy (core.middleware.ContentSecurityPolicyMiddleware): no inline script or style, Swagger UI
# included (its start-up script is served as a file, its inline stylesheet moved to static/concord/swagger.css).
# One exception, set by the view with core.security.csp_update: the Gantt page allows style *attributes*
# (style-src-attr 'unsafe-inline'), which Frappe Gantt writes on its SVG; <style> elements stay refused there too.
# CSP_REPORT_ONLY=1 sends the policy as Content-Security-Policy-Report-Only (to try a change without breaking pages).
CONTENT_SECURITY_POLICY = {
    "default-src": ["'self'"],
    # 'report-sample' only adds the first characters of a refused inline script or style to the report.
    "script-src": ["'self'", "'report-sample'"],
    "style-src": ["'self'", "'report-sample'"],
    "img-src": ["'self'", "data:"],
    "font-src": ["'self'", "data:"],
    "connect-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
}
CSP_REPORT_ONLY = env.bool("CSP_REPORT_ONLY", default=False)

# --- Logging ----------------------------------------------------------------

# LOG_FORMAT=json: one JSON object per line (time, level, logger, message, request_id, and task_id/task_name in
# Celery tasks; python-json-logger). The default stays the plain format. The request id: core/requestid.py.
from pythonjsonlogger.core import RESERVED_ATTRS as _JSON_LOG_RESERVED  # noqa: E402

LOG_FORMAT = env.str("LOG_FORMAT", default="plain").strip().lower()
if LOG_FORMAT not in ("plain", "json"):
    raise ImproperlyConfiguredEnv(f"LOG_FORMAT={LOG_FORMAT!r} must be plain or json.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "core.requestid.RequestIdFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(levelname)s %(name)s %(message)s",
            "rename_fields": {"levelname": "level", "name": "logger"},
            "timestamp": "time",
            # Celery passes a task's arguments and result as the extra "data": never printed (personal data).
            "reserved_attrs": [*_JSON_LOG_RESERVED, "taskName", "data"],
        },
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT, "filters": ["request_id"]},
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "django.db.backends": {"level": "WARNING"},
    },
}

# --- Operations: metrics, JSON logs, error reporting (SPEC 10.5) ---------------
# (Observability section: /metrics, LOG_FORMAT=json with request ids, SENTRY_DSN.)
# GET /metrics (core/metrics.py, Prometheus text format) answers only these client addresses or networks (CIDR;
# the address as core.security.client_ip sees it, so behind the proxy the forwarded one); anyone else gets 404.
# With several gunicorn workers, set PROMETHEUS_MULTIPROC_DIR (an empty folder, emptied at each start) so the
# counters of every worker process are added up (prometheus_client's multiprocess mode).
METRICS_ALLOWED_IPS = env.list("METRICS_ALLOWED_IPS", default=["127.0.0.0/8", "::1"])
try:
    import ipaddress as _ipaddress

    for _network in METRICS_ALLOWED_IPS:
        _ipaddress.ip_network(_network, strict=False)
except ValueError as _error:
    raise ImproperlyConfiguredEnv(f"METRICS_ALLOWED_IPS: {_error}") from None
_multiproc_dir = os.environ.get("PROMETHEUS_MULTIPROC_DIR", "")
if _multiproc_dir and not os.path.isdir(_multiproc_dir):
    raise ImproperlyConfiguredEnv(f"PROMETHEUS_MULTIPROC_DIR={_multiproc_dir!r} must be an existing folder.")
# Prometheus and the load balancer's health checks reach each node directly over plain HTTP inside the network:
# no redirect to HTTPS for /metrics and /healthz.
SECURE_REDIRECT_EXEMPT = [r"^metrics$", r"^healthz$"]
# The gauges read at each scrape: callables yielding prometheus_client metric families (config wires the apps).
METRICS_GAUGES = [
    "core.metrics.broker_gauges",
    "core.metrics.notification_gauges",
    "members.metrics.import_gauges",
]
# Optional error reporting (core/sentry.py): nothing is initialised without SENTRY_DSN. No personal data is sent
# (send_default_pii off, request bodies, cookies, auth headers, emails and phone numbers scrubbed); traces off
# unless SENTRY_TRACES_SAMPLE_RATE (0 to 1) says otherwise.
SENTRY_DSN = env.str("SENTRY_DSN", default="")
SENTRY_ENVIRONMENT = env.str("SENTRY_ENVIRONMENT", default="production" if not DEBUG else "development")
try:
    SENTRY_TRACES_SAMPLE_RATE = float(env.str("SENTRY_TRACES_SAMPLE_RATE", default="0"))
except ValueError:
    raise ImproperlyConfiguredEnv("SENTRY_TRACES_SAMPLE_RATE must be a number from 0 to 1.") from None
if not 0 <= SENTRY_TRACES_SAMPLE_RATE <= 1:
    raise ImproperlyConfiguredEnv("SENTRY_TRACES_SAMPLE_RATE must be a number from 0 to 1.")
if SENTRY_DSN:
    from core.sentry import init_sentry

    init_sentry(dsn=SENTRY_DSN, environment=SENTRY_ENVIRONMENT, traces_sample_rate=SENTRY_TRACES_SAMPLE_RATE)

# --- Concord organisation settings ------------------------------------------

# Risk early warnings (SPEC 5): blue this many days before the expected date, yellow this many.
RISK_ALERT_BLUE_DAYS = env.int("RISK_ALERT_BLUE_DAYS", default=7, minimum=1)
RISK_ALERT_YELLOW_DAYS = env.int("RISK_ALERT_YELLOW_DAYS", default=3, minimum=1)

# Member imports (SPEC 6): rows per committed batch, how long a run's lease lasts without a heartbeat, upload limit.
MEMBER_IMPORT_BATCH_ROWS = env.int("MEMBER_IMPORT_BATCH_ROWS", default=5000, minimum=1)
# Short, so a new worker resumes an import whose worker died within a minute (it waits for the lease to lapse).
MEMBER_IMPORT_LEASE_SECONDS = env.int("MEMBER_IMPORT_LEASE_SECONDS", default=30, minimum=1)
# An import's own hard time limit (its queue's worker is killed past it; that counts as one of 3 attempts).
# Error rows kept per import (all are counted); the job shows the first 1,000, the report every one kept.
MEMBER_IMPORT_MAX_ERROR_ROWS = env.int("MEMBER_IMPORT_MAX_ERROR_ROWS", default=10_000, minimum=1000)
MEMBER_IMPORT_TIME_LIMIT = env.int("MEMBER_IMPORT_TIME_LIMIT", default=4 * 3600, minimum=60)
MEMBER_IMPORT_MAX_BYTES = env.int("MEMBER_IMPORT_MAX_BYTES", default=300 * 1024 * 1024, minimum=1024)
# Members' points (SPEC 10.6): points earned in year Y lapse after 31 December of year Y + this many years
# (1: the end of the following calendar year; 0: the end of the same year). members.expire_points runs daily.
MEMBER_POINTS_EXPIRY_YEARS = env.int("MEMBER_POINTS_EXPIRY_YEARS", default=1, minimum=0)
# Phone lookup by customer service (SPEC 10.6, members.lookup): lookups per user (API and page together); 429 past it.
MEMBER_LOOKUP_RATE = env.str("MEMBER_LOOKUP_RATE", default="30/minute")
if not re.fullmatch(r"[1-9][0-9]*/(second|minute|hour|day|[smhd])", MEMBER_LOOKUP_RATE):
    raise ImproperlyConfiguredEnv(
        f"MEMBER_LOOKUP_RATE={MEMBER_LOOKUP_RATE!r} must look like 30/minute (per second, minute, hour or day)."
    )
