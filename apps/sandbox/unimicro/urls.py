"""Unimicro's two hosts under /sandbox/unimicro/: the identity server and the API (and the
web app's order page that Tidsbro links to)."""

from django.urls import include, path

from . import ui

urlpatterns = [
    # Unimicro's web app: an order by its number (the link on a Tidsbro order made there).
    path("sandbox/unimicro/ui/orders/<int:number>/", ui.order_view, name="sandbox_unimicro_order"),
    path("sandbox/unimicro/identity/", include("apps.sandbox.unimicro.identity.urls")),
    path("sandbox/unimicro/", include("apps.sandbox.unimicro.api_urls")),
]
