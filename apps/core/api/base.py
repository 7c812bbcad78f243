"""What every /api/v1/ view shares: how callers authenticate and which language they get."""

from django.utils import translation
from rest_framework.authentication import SessionAuthentication
from rest_framework.request import Request

from apps.accounts.authentication import ApiTokenAuthentication

# Token first: an anonymous request then gets 401 with `WWW-Authenticate: Token` instead of
# the 403 DRF answers when the first authenticator (session) has no challenge to offer.
API_AUTHENTICATION_CLASSES = (ApiTokenAuthentication, SessionAuthentication)


class ApiViewMixin:
    """Put first in the bases of every API view."""

    authentication_classes = API_AUTHENTICATION_CLASSES

    def perform_authentication(self, request: Request) -> None:
        super().perform_authentication(request)  # type: ignore[misc]
        # A token caller is only known here, after UserLanguageMiddleware has run: give them
        # their profile's language too, as the middleware does for a session.
        language = getattr(request.user, "language", "")
        if language:
            translation.activate(language)
            request._request.LANGUAGE_CODE = language
