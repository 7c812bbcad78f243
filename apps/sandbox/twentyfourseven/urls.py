"""The real 24SO service paths under /sandbox/24so/, case-insensitive like IIS."""

import re

from django.urls import re_path

from . import views
from .soap import SERVICES

app_name = "sandbox_24so"


def _any_case(path: str) -> str:
    # Not (?i:…): Django cannot reverse inline flags; a class per letter it can.
    return "".join(
        f"[{c}{c.swapcase()}]" if c.isalpha() and c.swapcase() != c else re.escape(c) for c in path
    )


urlpatterns = [
    re_path(
        rf"^sandbox/24so/{_any_case(service.path)}$",
        views.service_view,
        {"service_key": service.key},
        name=service.key,
    )
    for service in SERVICES.values()
]
