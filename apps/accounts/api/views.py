"""The current user, the token endpoint for scripts and integrations, and one's own tokens."""

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from apps.accounts.api.serializers import (
    ApiTokenCreatedSerializer,
    ApiTokenCreateSerializer,
    ApiTokenOutputSerializer,
    EmailAuthTokenSerializer,
    MeOutputSerializer,
)
from apps.accounts.models import ApiToken
from apps.accounts.services import api_token_create, api_token_revoke
from apps.core.api.base import ApiViewMixin
from apps.core.api.permissions import ModelPermissions
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


def _created(token: ApiToken, key: str, status_code: int = status.HTTP_201_CREATED) -> Response:
    data = ApiTokenCreatedSerializer(token).data
    data["token"] = key
    response = Response(data, status=status_code)
    response["Cache-Control"] = "no-store"
    return response


class EmailObtainAuthToken(APIView):
    """Exchanges e-mail and password for a new API token; its key is shown only in this answer."""

    # No session here: a logged-in browser must not need a CSRF token to call it, and the
    # answer depends only on the credentials in the body.
    authentication_classes = ()
    permission_classes = ()
    # The API's bounded parsers (apps/core/api/parsers), named as the old ObtainAuthToken did.
    parser_classes = api_settings.DEFAULT_PARSER_CLASSES
    throttle_classes = (TokenLoginThrottle,)
    serializer_class = EmailAuthTokenSerializer

    @extend_schema(
        request=EmailAuthTokenSerializer,
        responses={200: ApiTokenCreatedSerializer},
        operation_id="auth_token_create",
        auth=[],
    )
    def post(self, request: Request, *args, **kwargs) -> Response:
        serializer = EmailAuthTokenSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        name = serializer.validated_data.get("name") or _("Made with e-mail and password")
        token, key = api_token_create(user=serializer.validated_data["user"], name=name)
        return _created(token, key, status.HTTP_200_OK)  # 200 as before: scripts check it


class ApiTokenViewSet(
    ApiViewMixin,
    mixins.ListModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Your own API tokens: list them (never their keys), make one (its key is shown once),
    revoke one. Administrators revoke anybody's in the admin."""

    permission_classes = [ModelPermissions]
    permission_model = ApiToken
    serializer_class = ApiTokenOutputSerializer

    def get_queryset(self) -> QuerySet[ApiToken]:
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return ApiToken.objects.none()
        return ApiToken.objects.filter(user=self.request.user)

    @extend_schema(request=ApiTokenCreateSerializer, responses={201: ApiTokenCreatedSerializer})
    def create(self, request: Request, *args, **kwargs) -> Response:
        serializer = ApiTokenCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        token, key = api_token_create(user=request.user, name=serializer.validated_data["name"])
        return _created(token, key)

    def perform_destroy(self, instance: ApiToken) -> None:
        api_token_revoke(token=instance, actor=self.request.user)
