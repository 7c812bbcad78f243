"""The identity server's paths (issuer = <base>/sandbox/unimicro/identity)."""

from django.urls import path

from . import views

urlpatterns = [
    path("", views.root, name="sandbox_unimicro_identity_root"),
    path(".well-known/openid-configuration", views.discovery, name="sandbox_unimicro_discovery"),
    path(".well-known/openid-configuration/jwks", views.jwks, name="sandbox_unimicro_jwks"),
    path("connect/authorize", views.authorize, name="sandbox_unimicro_authorize"),
    path("connect/token", views.token, name="sandbox_unimicro_token"),
    path("connect/revocation", views.revocation, name="sandbox_unimicro_revocation"),
    path("connect/userinfo", views.userinfo, name="sandbox_unimicro_userinfo"),
]
