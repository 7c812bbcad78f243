"""{% sso_login_url as url %}: where "Log in with 24SevenOffice" goes, or "" when it is off."""

from django import template
from django.urls import reverse

register = template.Library()


@register.simple_tag
def sso_login_url() -> str:
    from apps.accounts.sso import sso_connection

    return reverse("sso_login") if sso_connection() is not None else ""
