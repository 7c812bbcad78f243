"""What the API says about the person calling it, and how they get a token."""

from django.contrib.auth import authenticate
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_serializer
from rest_framework import exceptions, serializers

from apps.accounts.models import ApiToken, User
from apps.accounts.roles import ROLE_LABELS
from apps.core.api.serializers import InputSerializer
from apps.core.security import lockout_message


@extend_schema_serializer(component_name="Me")
class MeOutputSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="get_full_name", read_only=True)
    roles = serializers.SerializerMethodField()
    role_labels = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = ["id", "email", "name", "roles", "role_labels", "language", "time_zone"]
        read_only_fields = fields

    def _roles(self, user: User) -> list[str]:
        return sorted(g.name for g in user.groups.all() if g.name in ROLE_LABELS)

    def get_roles(self, user: User) -> list[str]:
        return self._roles(user)

    def get_role_labels(self, user: User) -> list[str]:
        return [str(ROLE_LABELS[role]) for role in self._roles(user)]


@extend_schema_serializer(component_name="AuthTokenLogin")
class EmailAuthTokenSerializer(InputSerializer):
    """E-mail and password in, the user out (the user model logs in with e-mail)."""

    email = serializers.EmailField(label=_("E-mail address"), write_only=True)
    password = serializers.CharField(
        label=_("Password"),
        style={"input_type": "password"},
        trim_whitespace=False,
        write_only=True,
    )
    name = serializers.CharField(
        label=_("Token name"),
        max_length=100,
        required=False,
        write_only=True,
        help_text=_("What the new token is for (shown in the list of your tokens)."),
    )

    def validate(self, attrs: dict) -> dict:
        user = authenticate(
            request=self.context.get("request"), email=attrs["email"], password=attrs["password"]
        )
        request = self.context.get("request")
        if user is None and getattr(request, "axes_locked_out", False):
            # django-axes refused the attempt: too many failures for this e-mail and address.
            raise exceptions.Throttled(detail=lockout_message(request))
        if user is None:
            raise serializers.ValidationError(
                _("Unable to log in with this e-mail address and password."),
                code="authorization",
            )
        attrs["user"] = user
        return attrs


@extend_schema_serializer(component_name="ApiToken")
class ApiTokenOutputSerializer(serializers.ModelSerializer):
    """A token as its owner sees it later: never the key, only its first characters."""

    class Meta:
        model = ApiToken
        fields = ["id", "name", "prefix", "created_at", "last_used_at"]
        read_only_fields = fields


@extend_schema_serializer(component_name="ApiTokenCreated")
class ApiTokenCreatedSerializer(ApiTokenOutputSerializer):
    """The answer to making a token: the only time the key is shown."""

    token = serializers.CharField(read_only=True, help_text=_("The key. It is shown only now."))

    class Meta(ApiTokenOutputSerializer.Meta):
        fields = ["token", *ApiTokenOutputSerializer.Meta.fields]
        read_only_fields = fields


@extend_schema_serializer(component_name="ApiTokenCreate")
class ApiTokenCreateSerializer(InputSerializer):
    name = serializers.CharField(label=_("name"), max_length=100)
