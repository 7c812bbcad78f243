"""Development and demo: DEBUG on, console e-mail, the sandbox ERP mounted."""

from .base import *  # noqa: F403
from .base import env

DEBUG = env.bool("DJANGO_DEBUG", default=True)
SECRET_KEY = env(
    "DJANGO_SECRET_KEY", default="dev-only-not-secret-8f2c1d0a9e7b6c5d4e3f2a1b0c9d8e7f"
)
# A published development key: never use it for real credentials.
TIDSBRO_ENCRYPTION_KEYS = env.list(
    "TIDSBRO_ENCRYPTION_KEYS", default=["VkG_cBUFnTcAfw_3FBZGQtd-q6krSN1n_oNeO6lvN8k="]
)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
EMAIL_BACKEND = env(
    "DJANGO_EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend"
)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# 24SEVENOFFICE CONNECTOR: the sandbox emulator unless the environment says otherwise
# ------------------------------------------------------------------------------
# Where this server answers; `manage.py demo_run --host/--port` sets it (and the settings
# below) so the connector reaches the sandbox on the address actually served.
TIDSBRO_BASE_URL = env("TIDSBRO_BASE_URL", default="http://127.0.0.1:8000").rstrip("/")
TWENTYFOURSEVEN_API_BASE = env(
    "TWENTYFOURSEVEN_API_BASE", default=f"{TIDSBRO_BASE_URL}/sandbox/24so"
)
TWENTYFOURSEVEN_WEBSERVICES_BASE = env(
    "TWENTYFOURSEVEN_WEBSERVICES_BASE", default=f"{TIDSBRO_BASE_URL}/sandbox/24so"
)
TWENTYFOURSEVEN_APPLICATION_ID = env(
    "TWENTYFOURSEVEN_APPLICATION_ID", default="5f1c2a8e-0000-4000-8000-000000000024"
)

# 24SO SANDBOX: the emulator at /sandbox/24so/ (see apps/sandbox/twentyfourseven/README.md)
# ------------------------------------------------------------------------------
INSTALLED_APPS = [
    *INSTALLED_APPS,
    "apps.sandbox.twentyfourseven",
    "apps.sandbox.economic",
    "apps.sandbox.unimicro",
    "apps.sandbox.unimicro.identity",
    "apps.sandbox.graph",
]
EXTRA_URLCONFS = [
    "apps.sandbox.twentyfourseven.urls",
    "apps.sandbox.economic.urls",
    "apps.sandbox.unimicro.urls",
    "apps.sandbox.graph.urls",
]
SANDBOX_24SO = {
    "LATENCY_MS": env.int("SANDBOX_24SO_LATENCY_MS", default=0),
    "FAULT_RATE": env.float("SANDBOX_24SO_FAULT_RATE", default=0.0),
    "FAULT_KINDS": env.list("SANDBOX_24SO_FAULT_KINDS", default=["error"]),
    "SLOW_SECONDS": env.float("SANDBOX_24SO_SLOW_SECONDS", default=35.0),
    "FAULT_SEED": env.int("SANDBOX_24SO_FAULT_SEED", default=24),
    "SESSION_IDLE_SECONDS": env.int("SANDBOX_24SO_SESSION_IDLE_SECONDS", default=1200),
    "RATE_LIMIT_PER_HOUR": env.int("SANDBOX_24SO_RATE_LIMIT_PER_HOUR", default=7200),
    "MAX_REQUEST_BYTES": env.int("SANDBOX_24SO_MAX_REQUEST_BYTES", default=1_000_000),
}

# E-CONOMIC CONNECTOR + SANDBOX: the emulator at /sandbox/economic/ (see its README.md)
# ------------------------------------------------------------------------------
ECONOMIC_API_BASE = env("ECONOMIC_API_BASE", default=f"{TIDSBRO_BASE_URL}/sandbox/economic")
ECONOMIC_GRANT_URL = env(
    "ECONOMIC_GRANT_URL", default=f"{TIDSBRO_BASE_URL}/sandbox/economic/requestaccess.aspx"
)
ECONOMIC_APP_SECRET_TOKEN = env("ECONOMIC_APP_SECRET_TOKEN", default="tidsbro-demo-app-secret")
ECONOMIC_APP_PUBLIC_TOKEN = env("ECONOMIC_APP_PUBLIC_TOKEN", default="tidsbro-demo-app-public")
# The OpenAPI services are served by the same sandbox, under ECONOMIC_API_BASE.
ECONOMIC_APIS_BASE = env("ECONOMIC_APIS_BASE", default="")
# The draft invoice itself in the sandbox (its admin page, found by the draft's number).
ECONOMIC_DRAFT_INVOICE_URL = env(
    "ECONOMIC_DRAFT_INVOICE_URL", default="/sandbox/economic/ui/drafts/{number}/"
)
SANDBOX_ECONOMIC = {
    "LATENCY_MS": env.int("SANDBOX_ECONOMIC_LATENCY_MS", default=0),
    "FAULT_RATE": env.float("SANDBOX_ECONOMIC_FAULT_RATE", default=0.0),
    "FAULT_KINDS": env.list("SANDBOX_ECONOMIC_FAULT_KINDS", default=["http500"]),
    "HANG_SECONDS": env.float("SANDBOX_ECONOMIC_HANG_SECONDS", default=35.0),
    "FAULT_SEED": env.int("SANDBOX_ECONOMIC_FAULT_SEED", default=7),
    "RATE_LIMIT": env.int("SANDBOX_ECONOMIC_RATE_LIMIT", default=10000),
    "RATE_WINDOW_SECONDS": env.int("SANDBOX_ECONOMIC_RATE_WINDOW_SECONDS", default=60),
}

# UNIMICRO CONNECTOR + SANDBOX: the emulator at /sandbox/unimicro/ (see its README.md)
# ------------------------------------------------------------------------------
UNIMICRO_ISSUER = env("UNIMICRO_ISSUER", default=f"{TIDSBRO_BASE_URL}/sandbox/unimicro/identity")
UNIMICRO_API_BASE = env("UNIMICRO_API_BASE", default=f"{TIDSBRO_BASE_URL}/sandbox/unimicro")
UNIMICRO_CLIENT_ID = env("UNIMICRO_CLIENT_ID", default="tidsbro-demo")
UNIMICRO_CLIENT_SECRET = env("UNIMICRO_CLIENT_SECRET", default="tidsbro-demo-secret")
# The order itself in the sandbox (its admin page, found by the company and order number).
UNIMICRO_ORDER_URL = env(
    "UNIMICRO_ORDER_URL", default="/sandbox/unimicro/ui/orders/{number}/?company={company}"
)
SANDBOX_UNIMICRO = {
    "LATENCY_MS": env.int("SANDBOX_UNIMICRO_LATENCY_MS", default=0),
    "FAULT_RATE": env.float("SANDBOX_UNIMICRO_FAULT_RATE", default=0.0),
    "FAULT_KINDS": env.list("SANDBOX_UNIMICRO_FAULT_KINDS", default=["http503"]),
    "FAULT_SEED": env.int("SANDBOX_UNIMICRO_FAULT_SEED", default=11),
    "ACCESS_TOKEN_SECONDS": env.int("SANDBOX_UNIMICRO_ACCESS_TOKEN_SECONDS", default=3600),
    "WEBHOOK_DELIVERY": env("SANDBOX_UNIMICRO_WEBHOOK_DELIVERY", default="thread"),
}

# The demo serves static files from the apps directly, without collectstatic.
WHITENOISE_AUTOREFRESH = True
WHITENOISE_USE_FINDERS = True

# MICROSOFT 365 SANDBOX: identity platform + Graph calendar at /sandbox/graph/ (its README.md)
# ------------------------------------------------------------------------------
SANDBOX_GRAPH = {
    "TENANT_ID": env("SANDBOX_GRAPH_TENANT_ID", default="5d7c3f1a-2b4e-4c6d-8e9f-0a1b2c3d4e5f"),
    "LATENCY_MS": env.int("SANDBOX_GRAPH_LATENCY_MS", default=0),
    "FAULT_RATE": env.float("SANDBOX_GRAPH_FAULT_RATE", default=0.0),
    "FAULT_KINDS": env.list("SANDBOX_GRAPH_FAULT_KINDS", default=["429"]),
    "FAULT_SEED": env.int("SANDBOX_GRAPH_FAULT_SEED", default=365),
    "ACCESS_TOKEN_SECONDS": env.int("SANDBOX_GRAPH_ACCESS_TOKEN_SECONDS", default=3600),
    "CONCURRENCY_LIMIT": env.int("SANDBOX_GRAPH_CONCURRENCY_LIMIT", default=4),
    "NOTIFICATION_DELIVERY": env("SANDBOX_GRAPH_NOTIFICATION_DELIVERY", default="thread"),
    # Every link the sandbox writes (discovery, delta links, webLink) uses this https name.
    "BASE_URL": env("SANDBOX_GRAPH_BASE_URL", default="https://m365.sandbox.tidsbro.test"),
}
# The calendar connector at the sandbox: the demo app registration and the https name routed
# to this server's /sandbox/graph (demo_run sets GRAPH_ROUTE_TO to the served address).
GRAPH_CLIENT_ID = env("GRAPH_CLIENT_ID", default="tidsbro-demo-graph")
GRAPH_CLIENT_SECRET = env("GRAPH_CLIENT_SECRET", default="tidsbro-demo-graph-secret")
GRAPH_LOGIN_BASE = env("GRAPH_LOGIN_BASE", default=f"{SANDBOX_GRAPH['BASE_URL']}/login")
GRAPH_API_BASE = env("GRAPH_API_BASE", default=SANDBOX_GRAPH["BASE_URL"])
GRAPH_ROUTE_FROM = env("GRAPH_ROUTE_FROM", default=SANDBOX_GRAPH["BASE_URL"])
GRAPH_ROUTE_TO = env("GRAPH_ROUTE_TO", default="http://127.0.0.1:8000/sandbox/graph")

# SANDBOXES: what `make demo` seeds and `demo_run` points at, one entry per sandbox
# ------------------------------------------------------------------------------
# Each sandbox's address is this server plus its path; `settings` are the settings that point
# its connector there (value: what follows the address), each kept when set in the
# environment; `seed` seeds the demo office into it (`demo_data --sandboxes`); `about` is what
# `demo_run` prints ({url}: the sandbox's address); `connect` is a connection the office has
# with it from the start (made once by `demo_data --sandboxes`). See apps/demo/sandboxes.py.
SANDBOXES = [
    {
        "app": "apps.sandbox.twentyfourseven",
        "path": "/sandbox/24so",
        "settings": {"TWENTYFOURSEVEN_API_BASE": "", "TWENTYFOURSEVEN_WEBSERVICES_BASE": ""},
        "seed": ["sandbox_24so_seed", "--demo-office"],
        "about": 'The 24SO side: the admin\'s "24SO sandbox" section; SOAP at '
        "{url}/<real 24SO path>\n(login demo@tidsbro.no / tidsbro-demo)",
    },
    {
        "app": "apps.sandbox.economic",
        "path": "/sandbox/economic",
        "settings": {"ECONOMIC_API_BASE": "", "ECONOMIC_GRANT_URL": "/requestaccess.aspx"},
        "seed": ["sandbox_economic_seed", "--demo-office"],
        "about": 'The e-conomic side: the admin\'s "e-conomic sandbox" section; REST at '
        "{url}/<real e-conomic path>\n(X-AppSecretToken tidsbro-demo-app-secret, "
        "X-AgreementGrantToken tidsbro-demo-agreement; read-only demo/demo)",
    },
    {
        "app": "apps.sandbox.unimicro",
        "path": "/sandbox/unimicro",
        "settings": {"UNIMICRO_ISSUER": "/identity", "UNIMICRO_API_BASE": ""},
        "seed": ["sandbox_unimicro_seed", "--demo-office"],
        "about": 'The Unimicro side: the admin\'s "Unimicro sandbox" section; sign-in at '
        "{url}/identity (regnskap@tidsbro.no / tidsbro-demo), API at {url}/api/…",
    },
    {
        "app": "apps.sandbox.graph",
        "path": "/sandbox/graph",
        # MSAL takes https authorities only: the connector speaks to the https name below and
        # routes it to the sandbox's real address (GRAPH_ROUTE_TO).
        "settings": {"GRAPH_ROUTE_TO": ""},
        "seed": ["sandbox_graph_seed", "--demo-office"],
        # The office has Microsoft 365 calendars switched on from the start (the sandbox's
        # tenant; people may save their hours in their calendar).
        "connect": {
            "system": "graph",
            "settings": {"tenant": SANDBOX_GRAPH["TENANT_ID"].lower(), "allow_write": True},
        },
        "about": 'The Microsoft 365 side: the admin\'s "Microsoft 365 sandbox" section; sign-in at '
        "{url}/login/<tenant>/oauth2/v2.0/authorize, Graph at {url}/v1.0/me/…\n"
        "Calendars: log in as a person (e.g. kari@tidsbro.no), My calendar → Connect my Outlook "
        "calendar; sign in to Microsoft with\nthe same e-mail and tidsbro-demo (every demo "
        "person has a mailbox with meetings).",
    },
]
