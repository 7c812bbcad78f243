"""How API callers prove who they are: `Authorization: Token <key>`, looked up by digest."""

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication

from apps.accounts.services import api_token_authenticate


class ApiTokenAuthentication(TokenAuthentication):
    """DRF's token header and 401 challenge, against Tidsbro's hashed tokens."""

    keyword = "Token"

    def authenticate_credentials(self, key: str) -> tuple[Any, Any]:
        token = api_token_authenticate(key=key)
        if token is None:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        return token.user, token
