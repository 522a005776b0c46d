"""Settings for viareferents, all read from the environment (django-environ).

The defaults run as-is in development: SQLite file database, console e-mail, DEBUG on.
Production sets DEBUG=false, SECRET_KEY, ALLOWED_HOSTS and DATABASE_URL (see README.md).
"""

from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
env.read_env(BASE_DIR / ".env")  # Optional file; real environment variables win.

DEBUG = env.bool("DEBUG", default=True)

_DEV_SECRET_KEY = "django-insecure-development-only-key-do-not-use-in-production"  # noqa: S105
SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = _DEV_SECRET_KEY

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
_LOCAL_HOSTS = {"localhost", "127.0.0.1", "[::1]", "::1", "testserver"}
if DEBUG and not set(ALLOWED_HOSTS) <= _LOCAL_HOSTS:
    # A public host name with DEBUG on would show stack traces and settings to the world.
    raise ImproperlyConfigured(
        "DEBUG is on but ALLOWED_HOSTS names a non-local host: set DEBUG=false in production."
    )
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "core",
    "audit",
    "structures",
    "accounts",
    "mfa",
    "oidc",
    "referents",
    "administration",
    "reviews",
    "demo",
]

MIDDLEWARE = [
    # The client's address from the trusted proxy's X-Real-IP, before anything reads it.
    "core.middleware.ClientAddressMiddleware",
    # First: every answer, HTTPS redirects and static files included, gets an id and a log line.
    "core.request_log.RequestLogMiddleware",
    # E-mails that must not make an answer slower for existing accounts go after the response.
    "core.after_response.AfterResponseMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "core.middleware.ContentSecurityPolicyMiddleware",
    "core.middleware.RejectNullCharactersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # After authentication and messages: signs out blocked people, gates the usage charter.
    "accounts.middleware.AccountChecksMiddleware",
    # Then, until the session gives its second factor, only the sign-in step answers.
    "mfa.middleware.SecondFactorMiddleware",
    # Then signing in is the default: the few public views say so (``login_not_required``).
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # After the views: the product's page for a 405.
    "core.middleware.MethodNotAllowedPageMiddleware",
]
# A stale form (CSRF) gets the product's page, in the person's language.
CSRF_FAILURE_VIEW = "core.views.csrf_failure"

ROOT_URLCONF = "viareferents.urls"
WSGI_APPLICATION = "viareferents.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "administration.menu.navigation",
            ],
        },
    },
]

# Database: SQLite file by default, PostgreSQL through DATABASE_URL (postgres://user@host/db).
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
# Persistent connections: opening a PostgreSQL connection per request triples page time.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    _pg_options = DATABASES["default"].setdefault("OPTIONS", {})
    # Parallel query and JIT compilation pay off for reports, not for a web page's small
    # queries: starting workers or compiling cost more than the query (docs/benchmarks.md).
    _pg_options.setdefault(
        "options",
        f"-c max_parallel_workers_per_gather={env.int('PG_PARALLEL_WORKERS', default=0)} "
        "-c jit=off",
    )
    # Server-side binding lets psycopg prepare the statements a worker repeats, so PostgreSQL
    # stops planning them. Off by default: after five runs PostgreSQL may switch to a generic
    # plan, chosen for an average establishment, which made the accounts list of a teaching
    # hospital (50,000 rights) ten times slower (docs/benchmarks.md). Needs a direct
    # connection or a pooler that keeps prepared statements (PgBouncer >= 1.21).
    if env.bool("DB_SERVER_SIDE_BINDING", default=False):
        _pg_options["server_side_binding"] = True
        # Django turns psycopg's automatic preparation off unless told a threshold.
        _pg_options["prepare_threshold"] = env.int("DB_PREPARE_THRESHOLD", default=5)
    # Tests build their own database named after this one (test_<name>).
    DATABASES["default"].setdefault("TEST", {})["NAME"] = env.str(
        "TEST_DATABASE_NAME", default=f"test_{DATABASES['default']['NAME']}"
    )
    # A database host that does not answer at all gives the 503 page within seconds, instead
    # of holding the worker until the system's TCP timeout (?connect_timeout=N overrides it).
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("connect_timeout", 5)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Cache: this process's memory by default; a Redis server shared by the application servers
# with CACHE_URL=redis://host:6379/0. Nothing shared between servers may live in a per-process
# cache: rate limits are in the database, and so are sessions, read through the cache only when
# it is Redis (shared, so never stale; a flushed cache loses no session).
_CACHE_URL = env.str("CACHE_URL", default="") or "locmemcache://"
_REDIS_CACHE = _CACHE_URL.startswith(("redis://", "rediss://"))
CACHES = {
    "default": env.cache_url_config(
        _CACHE_URL,
        # django-environ would pick django-redis if it were installed; Django's own backend
        # needs only the redis package.
        backend="django.core.cache.backends.redis.RedisCache" if _REDIS_CACHE else None,
    )
}
# Sessions are read through Redis only when asked (SESSIONS_IN_CACHE=true): it saves one
# small query per page (docs/benchmarks.md), but Django's Redis backend fails every request
# with a session while Redis does not answer, where the database alone keeps working.
SESSIONS_IN_CACHE = env.bool("SESSIONS_IN_CACHE", default=False)
if SESSIONS_IN_CACHE and not _REDIS_CACHE:
    raise ImproperlyConfigured("SESSIONS_IN_CACHE needs a shared cache: set CACHE_URL=redis://…")
SESSION_ENGINE = (
    "django.contrib.sessions.backends.cached_db"
    if SESSIONS_IN_CACHE
    else "django.contrib.sessions.backends.db"
)

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["accounts.backends.AccountBackend"]
LOGIN_URL = "accounts:sign_in"
LOGIN_REDIRECT_URL = "referents:mine"
PASSWORD_RESET_TIMEOUT = 24 * 3600  # Links to choose a password are valid 24 h (docs/domain.md).

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

# Internationalisation: French first, English available.
LANGUAGE_CODE = env.str("LANGUAGE_CODE", default="fr")
LANGUAGES = [("fr", "Français"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env.str("TIME_ZONE", default="Europe/Paris")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
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

# E-mail: console backend unless EMAIL_URL says otherwise (smtp://user:pass@host:587, ...).
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="viareferents <noreply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Address of the application in links of e-mails sent outside a request (scheduled commands).
SITE_URL = env.str(
    "SITE_URL",
    default="http://127.0.0.1:8000"
    if DEBUG
    else f"https://{(ALLOWED_HOSTS or ['localhost'])[0].lstrip('.')}",
).rstrip("/")

# The platform's own support desk: the fallback for the regions without a desk of their own,
# shown as such (never under a region's name).
SUPPORT_NAME = env.str("SUPPORT_NAME", default="Support de la plateforme viareferents")
SUPPORT_PHONE = env.str("SUPPORT_PHONE", default="")
SUPPORT_EMAIL = env.str("SUPPORT_EMAIL", default="assistance@esante-occitanie.fr")
SUPPORT_URL = env.str(
    "SUPPORT_URL", default="https://e-sante-occitanie.atlassian.net/servicedesk/customer/portal/1"
)

# Signing in with OpenID Connect providers (oidc/, README "Pro Santé Connect"): none unless
# configured. OIDC_PROVIDERS is a JSON object of providers by key; the PSC_* variables add
# Pro Santé Connect as "psc" with its own parameters (scope_all, eidas1, its claims).
OIDC_PROVIDERS = env.json("OIDC_PROVIDERS", default={})
if env.str("PSC_CLIENT_ID", default=""):
    OIDC_PROVIDERS.setdefault(
        "psc",
        {
            "label": "Pro Santé Connect",
            "discovery_url": env.str("PSC_DISCOVERY_URL"),
            "client_id": env.str("PSC_CLIENT_ID"),
            "client_secret": env.str("PSC_CLIENT_SECRET", default=""),
            "token_auth": env.str("PSC_TOKEN_AUTH", default="client_secret_basic"),
            "client_cert": env.str("PSC_CLIENT_CERT", default=""),
            "client_key": env.str("PSC_CLIENT_KEY", default=""),
            "ca_bundle": env.str("PSC_CA_BUNDLE", default=""),
            "scope": env.str("PSC_SCOPE", default="openid scope_all"),
            "acr_values": env.str("PSC_ACR_VALUES", default="eidas1"),
            # A CPS card or the e-CPS app: no second factor after it.
            "strong": env.bool("PSC_STRONG", default=True),
            # The "identifiant national": "8" and the RPPS number, or "0" and the ADELI one.
            "national_id_claims": ["SubjectNameID", "preferred_username"],
        },
    )
# A sign-in started at a provider must come back within this time; its state is used once.
OIDC_FLOW_MAX_SECONDS = env.int("OIDC_FLOW_MAX_SECONDS", default=600)
OIDC_HTTP_TIMEOUT = env.float("OIDC_HTTP_TIMEOUT", default=10.0)
# Discovery documents and signing keys are cached this long (new keys are fetched at once).
OIDC_DISCOVERY_CACHE_SECONDS = env.int("OIDC_DISCOVERY_CACHE_SECONDS", default=3600)
OIDC_CLOCK_SKEW_SECONDS = env.int("OIDC_CLOCK_SKEW_SECONDS", default=60)

# Business rules (docs/domain.md): lengths of habilitations and the sign-in lockout threshold.
HABILITATION_DEFAULT_DAYS = env.int("HABILITATION_DEFAULT_DAYS", default=365)
HABILITATION_MAX_EXTENSION_DAYS = env.int("HABILITATION_MAX_EXTENSION_DAYS", default=365)
# The tuning of the lists and reports, each defined here once.
# Rows per page of the lists (accounts, Journal, review table, campaigns...).
LIST_PAGE_SIZE = env.int("LIST_PAGE_SIZE", default=50)
# An account without a sign-in for this long is "dormant" (lists, review table, digests).
DORMANT_DAYS = env.int("DORMANT_DAYS", default=90)
# A right ending within this many days "ends soon" (accounts list, digest, review summary).
ENDING_SOON_DAYS = env.int("ENDING_SOON_DAYS", default=30)
# Bulk actions (Comptes utilisateurs: prolonger, terminer): the most rights one action changes.
BULK_MAX_RIGHTS = env.int("BULK_MAX_RIGHTS", default=10000)
# "Mes référents" also lists the structures of the person's rights ended this recently, so a
# person whose rights all ended still finds whom to ask for an extension.
ENDED_RIGHTS_SHOWN_DAYS = env.int("ENDED_RIGHTS_SHOWN_DAYS", default=365)
LOCKOUT_THRESHOLD = env.int("LOCKOUT_THRESHOLD", default=5)
# Per client address (REMOTE_ADDR, set by the trusted proxy): this many failed sign-ins within
# the window refuse further attempts for a while. High enough for a hospital behind one NAT.
SIGNIN_IP_MAX_FAILURES = env.int("SIGNIN_IP_MAX_FAILURES", default=50)
SIGNIN_IP_WINDOW_MINUTES = env.int("SIGNIN_IP_WINDOW_MINUTES", default=15)
# The second factor (mfa/, README "Second factor"): who must hold one ("everyone",
# "administrators" -- référents, directors, platform administrators -- or "none": never asked,
# for development), how long a given factor counts as recent (removing a factor, new recovery
# codes), the name authenticator apps show, and the WebAuthn relying party (by default the
# host and origin of the request, which ALLOWED_HOSTS vouches for).
MFA_REQUIRED = env.str("MFA_REQUIRED", default="none" if DEBUG else "everyone")
MFA_RECENT_MINUTES = env.int("MFA_RECENT_MINUTES", default=5)
MFA_TOTP_ISSUER = env.str("MFA_TOTP_ISSUER", default="ViaRéférents")
MFA_WEBAUTHN_RP_NAME = env.str("MFA_WEBAUTHN_RP_NAME", default="ViaRéférents")
MFA_WEBAUTHN_RP_ID = env.str("MFA_WEBAUTHN_RP_ID", default="")
MFA_WEBAUTHN_ORIGIN = env.str("MFA_WEBAUTHN_ORIGIN", default="")
# "Account blocked?" page: référents' contacts e-mails per address and per client, per hour.
BLOCKED_HELP_MAX_PER_ADDRESS = env.int("BLOCKED_HELP_MAX_PER_ADDRESS", default=3)
BLOCKED_HELP_MAX_PER_IP = env.int("BLOCKED_HELP_MAX_PER_IP", default=20)
# Password reset e-mails per address per hour (more are silently dropped), and requests per
# client address per hour (more get the "too many attempts" page).
PASSWORD_RESET_MAX_PER_ADDRESS = env.int("PASSWORD_RESET_MAX_PER_ADDRESS", default=3)
PASSWORD_RESET_MAX_PER_IP = env.int("PASSWORD_RESET_MAX_PER_IP", default=20)
# Staff files (Comptes utilisateurs > Import a file): the largest file accepted, in bytes, and
# the most rows (people and rights) one file may hold.
IMPORT_MAX_BYTES = env.int("IMPORT_MAX_BYTES", default=5 * 1024 * 1024)
IMPORT_MAX_ROWS = env.int("IMPORT_MAX_ROWS", default=5000)

# Security: the production values; DEBUG relaxes only what local HTTP needs.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
# Signed out after this much inactivity, and in any case after SESSION_MAX_HOURS.
SESSION_IDLE_TIMEOUT = env.int("SESSION_IDLE_MINUTES", default=30) * 60
SESSION_COOKIE_AGE = env.int("SESSION_MAX_HOURS", default=12) * 3600
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
# The load balancer probes these over plain HTTP.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
if env.bool("BEHIND_TLS_PROXY", default=not DEBUG):
    # The TLS-terminating proxy tells us the original scheme.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Peers whose X-Real-IP header gives the client's address (core.middleware.ClientAddress...).
TRUSTED_PROXIES = env.list(
    "TRUSTED_PROXIES",
    default=["127.0.0.1", "::1"] if env.bool("BEHIND_TLS_PROXY", default=not DEBUG) else [],
)
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]

# Logs go to standard output: JSON in production (one object per line, tracebacks included,
# with the request id), readable text in development. Each request writes one line on
# "viareferents.request" (core.request_log).
LOG_FORMAT = env.str("LOG_FORMAT", default="text" if DEBUG else "json")
if LOG_FORMAT not in ("json", "text"):
    raise ImproperlyConfigured("LOG_FORMAT must be json or text.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {"()": "core.request_log.JsonFormatter"},
        "text": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stdout",
            "formatter": LOG_FORMAT,
        }
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        # Django's default handlers would print its errors a second time, in another format.
        "django": {"handlers": [], "level": "INFO"},
    },
}
