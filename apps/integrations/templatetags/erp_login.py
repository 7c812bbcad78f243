"""{% sso_login as sso %}: where "Log in with <system>" goes and the system's name, or None
when no connection offers and allows it (the login page's link)."""

from typing import Any

from django import template
from django.urls import reverse

register = template.Library()


@register.simple_tag
def sso_login() -> dict[str, Any] | None:
    from apps.integrations.sso import sso_connection

    connection = sso_connection()
    if connection is None:
        return None
    return {"url": reverse("sso_login"), "system": connection.system_name}
