"""The current user, and the token endpoint for scripts and integrations."""

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from apps.accounts.api.serializers import EmailAuthTokenSerializer, MeOutputSerializer
from apps.core.api.base import ApiViewMixin
from apps.core.security import ClientAddressThrottle


class MeView(ApiViewMixin, APIView):
    """Who is calling: id, e-mail, name, roles and language."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses=MeOutputSerializer, operation_id="me_retrieve")
    def get(self, request: Request) -> Response:
        return Response(MeOutputSerializer(request.user).data)


class TokenLoginThrottle(ClientAddressThrottle):
    """Slows password guessing: a few attempts per minute from one address."""

    scope = "token_login"
    rate = "10/minute"


class EmailObtainAuthToken(ObtainAuthToken):
    """Exchanges e-mail and password for the user's API token (created on first use)."""

    # No session here: a logged-in browser must not need a CSRF token to call it, and the
    # answer depends only on the credentials in the body.
    authentication_classes = ()
    # ObtainAuthToken names its own parsers; use the API's bounded ones (apps/core/api/parsers).
    parser_classes = api_settings.DEFAULT_PARSER_CLASSES
    throttle_classes = (TokenLoginThrottle,)
    serializer_class = EmailAuthTokenSerializer

    @extend_schema(
        request=EmailAuthTokenSerializer,
        responses=inline_serializer("AuthToken", fields={"token": serializers.CharField()}),
        operation_id="auth_token_create",
        auth=[],
    )
    def post(self, request: Request, *args, **kwargs) -> Response:
        return super().post(request, *args, **kwargs)
