"""Log in with 24SevenOffice: a colleague's own 24SO login, checked live against the
connection's client (GetIdentitiesWithCredential, then Login); their 24SO user id comes back.
Nothing is stored; the password is never logged."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_variables

from apps.core.exceptions import ApplicationError
from apps.integrations.connectors.base import SsoLogin


class TwentyFourSevenSso(SsoLogin):
    @sensitive_variables("password")
    def external_user_id(self, connection: Any, *, username: str, password: str) -> str:
        from apps.integrations.connectors.twentyfourseven.onboarding import sso_identity

        identity = sso_identity(connection=connection, username=username, password=password)
        if identity.contact_id is None:
            raise ApplicationError(
                _(
                    "24SevenOffice accepted the login, but it is not linked to a Tidsbro user. "
                    "Ask an administrator to map your 24SevenOffice user."
                )
            )
        return str(identity.contact_id)
