"""`OAUTH`: a person connects their own Outlook calendar (My calendar → Connect).

POST `/integrations/oauth/graph/start/` with purpose `calendar` (read) or `calendar_write`
(read and write, when the office allows saving hours in the calendar) sends them to
Microsoft's sign-in; `/integrations/oauth/graph/callback/` finishes MSAL's flow for
`request.user` and hands the result to `apps.calendars.services.account_connect`. A refused,
cancelled or tampered answer saves nothing and says so.
"""

from __future__ import annotations

import logging
from typing import Any

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _

from apps.calendars.providers import LoginResult
from apps.core.exceptions import ApplicationError
from apps.integrations.connectors.base import ConnectorError, OAuthLogin, OAuthOutcome
from apps.integrations.connectors.graph import SYSTEM, auth
from apps.integrations.connectors.graph.provider import PROVIDER

log = logging.getLogger(__name__)

PURPOSES = {"calendar": False, "calendar_write": True}
NEXT_KEY = "graph_calendar_next"


def my_calendar_url() -> str:
    try:
        return reverse("admin:calendars_my_calendar")
    except NoReverseMatch:
        return reverse("admin:index")


def active_connection() -> Any:
    from apps.integrations.models import Connection

    return Connection.objects.filter(system=SYSTEM, is_active=True).first()


class GraphOAuth(OAuthLogin):
    def start(self, request: Any, *, purpose: str) -> str:
        if purpose not in PURPOSES:
            raise ApplicationError(_("Unknown login purpose."))
        if not request.user.has_perm("timesheets.add_timeentry"):
            raise ApplicationError(_("You may not connect a calendar."))
        connection = active_connection()
        if connection is None:
            raise ApplicationError(_("Calendars are not switched on for this office."))
        write = PURPOSES[purpose]
        if write and not (connection.settings or {}).get("allow_write"):
            raise ApplicationError(_("This office does not allow saving hours in the calendar."))
        next_url = request.POST.get("next", "") if hasattr(request, "POST") else ""
        if not next_url.startswith("/") or next_url.startswith("//"):
            next_url = ""
        try:
            return PROVIDER.login_url(request, write=write, next_url=next_url)
        except ConnectorError:
            raise ApplicationError(
                _("Microsoft's sign-in could not be reached. Please try again in a moment.")
            ) from None

    def callback(self, request: Any, *, wizard: Any) -> OAuthOutcome:
        back = request.session.pop(NEXT_KEY, "") or my_calendar_url()
        try:
            answer, _flow = auth.login_finish(request)
        except ApplicationError as exc:
            return OAuthOutcome(redirect_to=back, message=exc.message, ok=False)
        connection = active_connection()
        if connection is None:
            return OAuthOutcome(
                redirect_to=back,
                message=_("Calendars are not switched on for this office."),
                ok=False,
            )
        claims = answer.get("id_token_claims") or {}
        email = str(claims.get("preferred_username") or claims.get("email") or "")
        try:
            state = auth.token_doc(answer)
        except ConnectorError:
            return OAuthOutcome(
                redirect_to=back,
                message=_("Microsoft's sign-in sent no usable permission. Nothing was saved."),
                ok=False,
            )
        login = LoginResult(
            state=state,
            email=email,
            account_id=str(claims.get("oid") or claims.get("sub") or ""),
            tenant_id=str(claims.get("tid") or ""),
            scopes=auth.granted_scopes(answer),
        )
        from apps.calendars import services

        try:
            services.account_connect(user=request.user, connection=connection, login=login)
        except ApplicationError as exc:
            return OAuthOutcome(redirect_to=back, message=exc.message, ok=False)
        message = _("Your calendar is connected.")
        if email:
            message = _("Your calendar is connected (%(email)s).") % {"email": email}
        return OAuthOutcome(redirect_to=back, message=message)


OAUTH = GraphOAuth()
