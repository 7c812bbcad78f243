"""Unimicro's two hosts under /sandbox/unimicro/: the identity server and the API."""

from django.urls import include, path

urlpatterns = [
    path("sandbox/unimicro/identity/", include("apps.sandbox.unimicro.identity.urls")),
    path("sandbox/unimicro/", include("apps.sandbox.unimicro.api_urls")),
]
