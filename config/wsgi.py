"""WSGI entry point (gunicorn config.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")
application = get_wsgi_application()

# gunicorn runs no system checks: refuse to serve with keys that would fail at first use.
from apps.core.checks import refuse_bad_encryption_keys  # noqa: E402

refuse_bad_encryption_keys()
