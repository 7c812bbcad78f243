"""Settings shared by every environment. Environment-specific modules import * from here."""

import tempfile
from datetime import timedelta
from pathlib import Path

from django.utils.translation import gettext_lazy as _

from config.env import BASE_DIR, env

# GENERAL
# ------------------------------------------------------------------------------
DEBUG = env.bool("DJANGO_DEBUG", default=False)
TIME_ZONE = "Europe/Oslo"
USE_TZ = True
LANGUAGE_CODE = "en"
LANGUAGES = [
    ("en", _("English")),
    ("nb", _("Norwegian Bokmål")),
    ("sv", _("Swedish")),
    ("da", _("Danish")),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
SITE_ID = 1

# DATABASES
# ------------------------------------------------------------------------------
# SQLite is the embedded default; DATABASE_URL (postgres://…) switches to PostgreSQL.
SQLITE_PATH = env.path("SQLITE_PATH", default=BASE_DIR / "db.sqlite3")
# What every SQLite database gets, whether named by SQLITE_PATH or DATABASE_URL=sqlite:///…:
# WAL lets the web process read while the worker writes; IMMEDIATE takes the write lock at
# BEGIN (a deferred transaction that reads, then writes, fails at once if another process
# wrote meanwhile, whatever the timeout); the busy timeout makes a writer wait for the lock
# instead of failing after SQLite's 5 s. Options in the URL (?timeout=…) still win.
SQLITE_OPTIONS = {
    "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    "transaction_mode": "IMMEDIATE",
    "timeout": 20,
}
if env("DATABASE_URL", default=""):
    DATABASES = {"default": env.db("DATABASE_URL")}
    DATABASES["default"]["ATOMIC_REQUESTS"] = False
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
else:
    DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": str(SQLITE_PATH)}}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {**SQLITE_OPTIONS, **DATABASES["default"].get("OPTIONS", {})}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# URLS
# ------------------------------------------------------------------------------
ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

# APPS
# ------------------------------------------------------------------------------
DJANGO_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    # The admin theme (django-unfold): before django.contrib.admin, so its templates win. Its
    # app config here puts Tidsbro's admin site (apps/core/sites.py) in place of unfold's.
    "apps.core.sites.AdminThemeConfig",
    "django.contrib.admin",
]
THIRD_PARTY_APPS = [
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_q",
    "axes",
    "import_export",
]
LOCAL_APPS = [
    "apps.core",
    "apps.accounts",
    "apps.customers",
    "apps.projects",
    "apps.worktypes",
    "apps.tasks",
    "apps.timesheets",
    "apps.integrations",
    "apps.calendars",
    "apps.orders",
    "apps.dashboard",
    "apps.demo",
]
INSTALLED_APPS = DJANGO_APPS + THIRD_PARTY_APPS + LOCAL_APPS

# ADMIN THEME (django-unfold, https://unfoldadmin.com/docs/configuration/settings/)
# ------------------------------------------------------------------------------
# The sidebar is built per request from the person's permissions (apps/dashboard/navigation.py);
# the home page is their dashboard (apps/dashboard/views.py).
UNFOLD = {
    "SITE_TITLE": _("Tidsbro"),
    "SITE_HEADER": _("Tidsbro"),
    "SITE_SUBHEADER": _("Time registration and ERP sync"),
    "SITE_SYMBOL": "schedule",
    "SITE_URL": None,
    "SHOW_HISTORY": True,
    "SHOW_VIEW_ON_SITE": False,
    # One language switcher, in the header (templates/unfold/helpers/userlinks.html).
    "SHOW_LANGUAGES": False,
    "BORDER_RADIUS": "6px",
    "STYLES": ["apps.dashboard.navigation.stylesheet"],
    "DASHBOARD_CALLBACK": "apps.dashboard.views.dashboard_callback",
    "ACCOUNT": {"navigation": "apps.dashboard.navigation.account_links"},
    "SIDEBAR": {
        "show_search": False,
        "show_all_applications": "apps.dashboard.navigation.show_all_applications",
        "navigation": "apps.dashboard.navigation.sidebar_navigation",
    },
}
# A working day's normal hours (Monday to Friday): the home page counts a day under it as missing.
TIDSBRO_NORMAL_DAY_HOURS = env.float("TIDSBRO_NORMAL_DAY_HOURS", default=7.5)

# AUTHENTICATION
# ------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
# AxesStandaloneBackend first: it refuses a locked-out (username, address) before any backend
# checks a password. Further login backends (ERP SSO) go after it; they are reached through
# authenticate(request, ...), so their failures count towards the lockout too.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    # Log in with the ERP (only when its connector offers it and the connection allows it).
    "apps.integrations.sso.ErpLoginBackend",
]
LOGIN_URL = "admin:login"
LOGIN_REDIRECT_URL = "admin:index"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.BCryptSHA256PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Keys for secrets at rest (ERP passwords, session ids): Fernet keys, newest first, comma-separated.
# Separate from SECRET_KEY so either can be rotated alone; see apps/core/crypto.py.
TIDSBRO_ENCRYPTION_KEYS = env.list("TIDSBRO_ENCRYPTION_KEYS", default=[])
# LOGIN PROTECTION (django-axes): after N failed logins for one (username, address) pair the
# pair is locked for a cool-off period; any login path through authenticate() counts.
AXES_FAILURE_LIMIT = env.int("TIDSBRO_LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("TIDSBRO_LOGIN_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_USERNAME_CALLABLE = "apps.core.security.login_username"
AXES_CLIENT_IP_CALLABLE = "apps.core.security.client_ip"
AXES_LOCKOUT_CALLABLE = "apps.core.security.lockout_response"
AXES_COOLOFF_MESSAGE = _("Too many failed logins. Try again later.")
# Not verbose: otherwise every process (each manage.py command, each worker) logs an
# "AXES: BEGIN …" banner at start-up. Failed logins and lockouts are still logged.
AXES_VERBOSE = False
AXES_PERMALOCK_MESSAGE = _("Too many failed logins. Ask an administrator to unlock the login.")
# Number of reverse proxies in front of Tidsbro that append to X-Forwarded-For (nginx,
# a load balancer: 1 or 2). 0 (default) trusts no header and uses the socket's address.
TIDSBRO_TRUSTED_PROXY_COUNT = env.int("TIDSBRO_TRUSTED_PROXY_COUNT", default=0)
# Customer file import: the largest upload, and where an upload waits between preview and confirm.
CUSTOMER_IMPORT_MAX_BYTES = env.int("CUSTOMER_IMPORT_MAX_BYTES", default=20 * 1024 * 1024)
# What one import may read beyond the upload: bytes an .xlsx unpacks to, rows (empty ones count)
# and seconds of reading and planning (under gunicorn's default 30 s worker timeout).
CUSTOMER_IMPORT_MAX_UNPACKED_BYTES = env.int(
    "CUSTOMER_IMPORT_MAX_UNPACKED_BYTES", default=100 * 1024 * 1024
)
CUSTOMER_IMPORT_MAX_ROWS = env.int("CUSTOMER_IMPORT_MAX_ROWS", default=20_000)
CUSTOMER_IMPORT_MAX_SECONDS = env.float("CUSTOMER_IMPORT_MAX_SECONDS", default=25.0)
CUSTOMER_IMPORT_DIR = env.path(
    "CUSTOMER_IMPORT_DIR", default=str(Path(tempfile.gettempdir()) / "tidsbro-imports")
)
# How long an invitation link stays valid.
INVITATION_MAX_AGE_HOURS = env.int("INVITATION_MAX_AGE_HOURS", default=72)

# MIDDLEWARE
# ------------------------------------------------------------------------------
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "apps.accounts.middleware.UserLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # After messages: an admin list asked for an over-long search says so in a message.
    "apps.core.middleware.AdminListLimitsMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

# STATIC
# ------------------------------------------------------------------------------
STATIC_ROOT = BASE_DIR / "staticfiles"
STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
MEDIA_ROOT = BASE_DIR / "media"
MEDIA_URL = "/media/"

# TEMPLATES
# ------------------------------------------------------------------------------
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    }
]

# SECURITY
# ------------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"

# EMAIL
# ------------------------------------------------------------------------------
EMAIL_BACKEND = env("DJANGO_EMAIL_BACKEND", default="django.core.mail.backends.smtp.EmailBackend")
DEFAULT_FROM_EMAIL = env("DJANGO_DEFAULT_FROM_EMAIL", default="Tidsbro <noreply@tidsbro.local>")
EMAIL_TIMEOUT = 10

# LOGGING
# ------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(levelname)s %(asctime)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"level": "INFO", "handlers": ["console"]},
    "loggers": {
        # zeep logs whole envelopes (with passwords) at DEBUG: never let it.
        "zeep": {"level": "WARNING"},
        "zeep.transports": {"level": "WARNING"},
        # authlib logs every token it issues or fetches ("Issue token {...}") at DEBUG, on the
        # server side (the sandboxes' login services) and the client side: never let it.
        "authlib": {"level": "WARNING"},
    },
}

# DJANGO-Q2
# ------------------------------------------------------------------------------
# timeout < retry so a slow task is killed before it is handed out again;
# ack_failures so a failed task is not redelivered forever; catch_up=False so a
# worker that was down does not replay every missed hourly schedule at once.
Q_CLUSTER = {
    "name": "tidsbro",
    "workers": env.int("Q_WORKERS", default=2),
    "timeout": 300,
    "retry": 360,
    "max_attempts": 1,
    "ack_failures": True,
    "catch_up": False,
    "save_limit": 1000,
    "label": _("Background jobs"),
}
if env("REDIS_URL", default=""):
    Q_CLUSTER["redis"] = env("REDIS_URL")
else:
    Q_CLUSTER["orm"] = "default"

# CACHES
# ------------------------------------------------------------------------------
# Rate-limit counts must be shared by every web process and machine, or each would allow the
# whole limit: Redis when REDIS_URL is set, else a table in the database (made by migrate).
RATELIMIT_CACHE_TABLE = "tidsbro_ratelimit_cache"
if env("REDIS_URL", default=""):
    _ratelimit_cache = {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": env("REDIS_URL"),
        "KEY_PREFIX": "tidsbro-ratelimit",
    }
else:
    _ratelimit_cache = {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": RATELIMIT_CACHE_TABLE,
    }
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "ratelimit": _ratelimit_cache,
}

# DJANGO REST FRAMEWORK
# ------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": (
        # Hashed keys (apps/accounts/models.py ApiToken), not DRF's authtoken (keys in clear).
        "apps.accounts.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ),
    # Only a fallback: every throttle counts by apps.core.security.client_ip.
    "NUM_PROXIES": TIDSBRO_TRUSTED_PROXY_COUNT,
    "DEFAULT_PERMISSION_CLASSES": ("rest_framework.permissions.IsAuthenticated",),
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "apps.core.api.exception_handler",
    # JSON bounded in size and nesting (a deep body is a 400, not a RecursionError).
    "DEFAULT_PARSER_CLASSES": (
        "apps.core.api.parsers.BoundedJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ),
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Tidsbro API",
    "DESCRIPTION": "Time registration, projects and approvals.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # Swagger UI from the installed sidecar package: the docs work without internet access.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Read and written (Project, ProjectWrite): one name for the enum, not a hash.
    "ENUM_NAME_OVERRIDES": {"ProjectStatusEnum": "apps.projects.models.Project.Status"},
}

# CONNECTORS: the systems Tidsbro can connect to, one package each (registration)
# ------------------------------------------------------------------------------
TIDSBRO_CONNECTORS = [
    "apps.integrations.connectors.twentyfourseven",
    "apps.integrations.connectors.economic",
    "apps.integrations.connectors.unimicro",
    "apps.integrations.connectors.graph",
]
# Where this Tidsbro is reached from outside (https://tidsbro.example.dk): an ERP's webhooks
# call <this>/integrations/webhooks/<system>/<connection>/. Empty: no webhooks are registered.
TIDSBRO_BASE_URL = env("TIDSBRO_BASE_URL", default="").rstrip("/")

# 24SEVENOFFICE CONNECTOR
# ------------------------------------------------------------------------------
# Each SOAP service lives on one of two hosts; the client appends the real path to these.
TWENTYFOURSEVEN_API_BASE = env("TWENTYFOURSEVEN_API_BASE", default="https://api.24sevenoffice.com")
TWENTYFOURSEVEN_WEBSERVICES_BASE = env(
    "TWENTYFOURSEVEN_WEBSERVICES_BASE", default="https://webservices.24sevenoffice.com"
)
# Identifies the integration (not a customer) to 24SO; not a secret.
TWENTYFOURSEVEN_APPLICATION_ID = env("TWENTYFOURSEVEN_APPLICATION_ID", default="")
# (connect, read) seconds per request, and the most a whole reply may take to arrive.
TWENTYFOURSEVEN_CONNECT_TIMEOUT = env.float("TWENTYFOURSEVEN_CONNECT_TIMEOUT", default=5.0)
TWENTYFOURSEVEN_READ_TIMEOUT = env.float("TWENTYFOURSEVEN_READ_TIMEOUT", default=60.0)
TWENTYFOURSEVEN_CALL_DEADLINE = env.float("TWENTYFOURSEVEN_CALL_DEADLINE", default=120.0)
TWENTYFOURSEVEN_MAX_RESPONSE_BYTES = env.int(
    "TWENTYFOURSEVEN_MAX_RESPONSE_BYTES", default=50 * 1024 * 1024
)
# 24SO quarantines an integration that exceeds its hourly limit; keep a reserve below it.
TWENTYFOURSEVEN_REQUESTS_PER_HOUR = env.int("TWENTYFOURSEVEN_REQUESTS_PER_HOUR", default=7200)
TWENTYFOURSEVEN_BUDGET_RESERVE = env.int("TWENTYFOURSEVEN_BUDGET_RESERVE", default=360)

# MICROSOFT 365 CALENDARS CONNECTOR (apps/integrations/connectors/graph)
# ------------------------------------------------------------------------------
# Tidsbro's app registration in Microsoft Entra (multi-tenant, delegated permissions); the
# secret comes from the environment only. The hosts are Microsoft's; the demo and the tests
# point them at the sandbox under an https name (MSAL takes https authorities only) and route
# that name to the sandbox's real address (GRAPH_ROUTE_FROM → GRAPH_ROUTE_TO).
GRAPH_CLIENT_ID = env("GRAPH_CLIENT_ID", default="")
GRAPH_CLIENT_SECRET = env("GRAPH_CLIENT_SECRET", default="")
GRAPH_LOGIN_BASE = env("GRAPH_LOGIN_BASE", default="https://login.microsoftonline.com")
GRAPH_API_BASE = env("GRAPH_API_BASE", default="https://graph.microsoft.com")
GRAPH_ROUTE_FROM = env("GRAPH_ROUTE_FROM", default="")
GRAPH_ROUTE_TO = env("GRAPH_ROUTE_TO", default="")
GRAPH_CONNECT_TIMEOUT = env.float("GRAPH_CONNECT_TIMEOUT", default=5.0)
GRAPH_READ_TIMEOUT = env.float("GRAPH_READ_TIMEOUT", default=30.0)

# E-CONOMIC CONNECTOR
# ------------------------------------------------------------------------------
# The classic REST API (the client appends the real path) and the page where a user grants
# Tidsbro access to an agreement; the app's tokens identify Tidsbro to e-conomic.
ECONOMIC_API_BASE = env("ECONOMIC_API_BASE", default="https://restapi.e-conomic.com")
ECONOMIC_GRANT_URL = env(
    "ECONOMIC_GRANT_URL", default="https://secure.e-conomic.com/secure/api1/requestaccess.aspx"
)
ECONOMIC_APP_SECRET_TOKEN = env("ECONOMIC_APP_SECRET_TOKEN", default="")
ECONOMIC_APP_PUBLIC_TOKEN = env("ECONOMIC_APP_PUBLIC_TOKEN", default="")
# The newer per-service OpenAPI APIs (projectsapi, q2capi, webhooksapi): the client appends
# "<service>api/v<version>/<path>". Empty means "under ECONOMIC_API_BASE" (the sandbox serves
# both surfaces under one prefix).
ECONOMIC_APIS_BASE = env("ECONOMIC_APIS_BASE", default="https://apis.e-conomic.com")
# A link to a draft invoice in e-conomic's web UI ({number}: the draft's number), shown on the
# order made from it. Not confirmed on a live agreement: set it if e-conomic's address differs.
ECONOMIC_DRAFT_INVOICE_URL = env(
    "ECONOMIC_DRAFT_INVOICE_URL",
    default="https://secure.e-conomic.com/sales/invoicing/draft-invoices/{number}",
)

# UNIMICRO CONNECTOR
# ------------------------------------------------------------------------------
# The identity server (OpenID Connect issuer) and the API host; the client reads the rest from
# the issuer's discovery document. Tidsbro's app as registered in Unimicro's developer portal:
# the client id and secret of the interactive login (authorization code + PKCE) and, for
# unattended server access, the server client's id and its certificate (PKCS#12 or PEM file).
UNIMICRO_ISSUER = env("UNIMICRO_ISSUER", default="https://login.unimicro.no")
UNIMICRO_API_BASE = env("UNIMICRO_API_BASE", default="https://app.unimicro.no")
UNIMICRO_CLIENT_ID = env("UNIMICRO_CLIENT_ID", default="")
UNIMICRO_CLIENT_SECRET = env("UNIMICRO_CLIENT_SECRET", default="")
UNIMICRO_SERVER_CLIENT_ID = env("UNIMICRO_SERVER_CLIENT_ID", default="")
UNIMICRO_SERVER_CERTIFICATE = env("UNIMICRO_SERVER_CERTIFICATE", default="")
UNIMICRO_SERVER_CERTIFICATE_PASSWORD = env("UNIMICRO_SERVER_CERTIFICATE_PASSWORD", default="")
# A link to an order made in Unimicro ({number}: its order number; {company}: the connection's
# company key), shown on the Tidsbro order. Not confirmed on a live company (Unimicro's web app
# may address orders by their ID and keep the company in the session): set it if it differs;
# empty shows the number without a link.
UNIMICRO_ORDER_URL = env(
    "UNIMICRO_ORDER_URL", default="https://app.unimicro.no/#/sales/orders?orderNumber={number}"
)
