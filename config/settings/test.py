"""Tests: fast hashing, in-memory e-mail, background jobs run synchronously."""

from .base import *  # noqa: F403
from .base import Q_CLUSTER, env

DEBUG = False
SECRET_KEY = env(
    "DJANGO_SECRET_KEY", default="test-only-not-secret-0a1b2c3d4e5f60718293a4b5c6d7e8f9"
)
TIDSBRO_ENCRYPTION_KEYS = ["piYGpwlIQrCN0T_BVWcOHiYGaJk1yQwUa82YQgXRJHQ="]
ALLOWED_HOSTS = ["localhost", "127.0.0.1", "testserver"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# Jobs run in the calling process, except in the real `qcluster` workers of the scale-out test
# (tests/reliability/test_scaleout.py sets TIDSBRO_TEST_Q_SYNC=false for them and REDIS_URL).
Q_CLUSTER = {**Q_CLUSTER, "sync": env.bool("TIDSBRO_TEST_Q_SYNC", default=True)}
# Login lockout stays on (every login path is tested with it), but far from other tests' few
# failed logins; tests/security/test_login_lockout.py sets a small limit of its own.
AXES_FAILURE_LIMIT = 100
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# 24SEVENOFFICE CONNECTOR: tests pass the sandbox's live_server URL to the client
# ------------------------------------------------------------------------------
TWENTYFOURSEVEN_APPLICATION_ID = "5f1c2a8e-0000-4000-8000-000000000024"
# Never the real 24SO hosts: a test that does not point the client at its live sandbox reaches
# the sandbox's path on a loopback port nothing listens on (refused at once). Worker processes
# started by the reliability tests get their sandbox's URL through these variables.
# pytest-socket (pyproject addopts) refuses any connection beyond loopback on top of this.
SANDBOX_NOT_SERVED = "http://127.0.0.1:9/sandbox/24so"
TWENTYFOURSEVEN_API_BASE = env("TWENTYFOURSEVEN_API_BASE", default=SANDBOX_NOT_SERVED)
TWENTYFOURSEVEN_WEBSERVICES_BASE = env(
    "TWENTYFOURSEVEN_WEBSERVICES_BASE", default=SANDBOX_NOT_SERVED
)

# 24SO SANDBOX: the emulator at /sandbox/24so/ for live_server tests
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
    "LATENCY_MS": 0,
    "FAULT_RATE": 0.0,
    "FAULT_KINDS": ["error"],
    "SLOW_SECONDS": 35.0,
    "FAULT_SEED": 24,
    "SESSION_IDLE_SECONDS": 1200,
    "RATE_LIMIT_PER_HOUR": 7200,
    "MAX_REQUEST_BYTES": 1_000_000,
}

# E-CONOMIC CONNECTOR + SANDBOX: tests point the client at their live_server's sandbox
# ------------------------------------------------------------------------------
# Never the real e-conomic hosts: without a live sandbox the client reaches a loopback port
# nothing listens on (refused at once).
ECONOMIC_SANDBOX_NOT_SERVED = "http://127.0.0.1:9/sandbox/economic"
ECONOMIC_API_BASE = env("ECONOMIC_API_BASE", default=ECONOMIC_SANDBOX_NOT_SERVED)
ECONOMIC_GRANT_URL = env(
    "ECONOMIC_GRANT_URL", default=f"{ECONOMIC_SANDBOX_NOT_SERVED}/requestaccess.aspx"
)
ECONOMIC_APP_SECRET_TOKEN = "tidsbro-demo-app-secret"  # noqa: S105 - the sandbox demo app
ECONOMIC_APP_PUBLIC_TOKEN = "tidsbro-demo-app-public"  # noqa: S105 - public by nature
# The OpenAPI services are served by the same sandbox, under ECONOMIC_API_BASE.
ECONOMIC_APIS_BASE = env("ECONOMIC_APIS_BASE", default="")
# The draft invoice itself in the sandbox (its admin page, found by the draft's number).
ECONOMIC_DRAFT_INVOICE_URL = env(
    "ECONOMIC_DRAFT_INVOICE_URL", default="/sandbox/economic/ui/drafts/{number}/"
)
SANDBOX_ECONOMIC = {
    "LATENCY_MS": 0,
    "FAULT_RATE": 0.0,
    "FAULT_KINDS": ["http500"],
    "HANG_SECONDS": 35.0,
    "FAULT_SEED": 7,
    "RATE_LIMIT": 10000,
    "RATE_WINDOW_SECONDS": 60,
}

# Serve static files straight from the apps (no collectstatic in tests): live-server and
# browser tests get the admin's CSS and JavaScript.
WHITENOISE_AUTOREFRESH = True
WHITENOISE_USE_FINDERS = True

# UNIMICRO CONNECTOR + SANDBOX: tests point the client at their live_server's sandbox
# ------------------------------------------------------------------------------
UNIMICRO_SANDBOX_NOT_SERVED = "http://127.0.0.1:9/sandbox/unimicro"
UNIMICRO_ISSUER = env("UNIMICRO_ISSUER", default=f"{UNIMICRO_SANDBOX_NOT_SERVED}/identity")
UNIMICRO_API_BASE = env("UNIMICRO_API_BASE", default=UNIMICRO_SANDBOX_NOT_SERVED)
UNIMICRO_CLIENT_ID = "tidsbro-demo"
UNIMICRO_CLIENT_SECRET = "tidsbro-demo-secret"  # noqa: S105 - the sandbox demo app
# The order itself in the sandbox (its admin page, found by the company and order number).
UNIMICRO_ORDER_URL = env(
    "UNIMICRO_ORDER_URL", default="/sandbox/unimicro/ui/orders/{number}/?company={company}"
)
SANDBOX_UNIMICRO = {
    "LATENCY_MS": 0,
    "FAULT_RATE": 0.0,
    "FAULT_KINDS": ["http503"],
    "FAULT_SEED": 11,
    "ACCESS_TOKEN_SECONDS": 3600,
    "WEBHOOK_DELIVERY": "inline",
}

# MICROSOFT 365 SANDBOX: identity platform + Graph calendar at /sandbox/graph/ (its README.md)
# ------------------------------------------------------------------------------
SANDBOX_GRAPH = {
    "TENANT_ID": "5d7c3f1a-2b4e-4c6d-8e9f-0a1b2c3d4e5f",
    "LATENCY_MS": 0,
    "FAULT_RATE": 0.0,
    "FAULT_KINDS": ["429"],
    "FAULT_SEED": 365,
    "ACCESS_TOKEN_SECONDS": 3600,
    "CONCURRENCY_LIMIT": 4,
    "NOTIFICATION_DELIVERY": "inline",
}
# The calendar connector at the sandbox: its tests' fixture gives the sandbox this https name
# (SANDBOX_GRAPH["BASE_URL"]) and routes it to the live server's /sandbox/graph (GRAPH_ROUTE_TO);
# unset, the name goes nowhere.
GRAPH_CLIENT_ID = "tidsbro-demo-graph"
GRAPH_CLIENT_SECRET = "tidsbro-demo-graph-secret"  # noqa: S105 - the sandbox's demo app
GRAPH_LOGIN_BASE = "https://m365.sandbox.tidsbro.test/login"
GRAPH_API_BASE = "https://m365.sandbox.tidsbro.test"
GRAPH_ROUTE_FROM = "https://m365.sandbox.tidsbro.test"
GRAPH_ROUTE_TO = "http://127.0.0.1:9/sandbox/graph"
