"""The real e-conomic paths under /sandbox/economic/: the REST API and the grant page."""

from django.urls import path, re_path

from . import views

app_name = "sandbox_economic"

urlpatterns = [
    path(
        "sandbox/economic/requestaccess.aspx",
        views.request_access_view,
        name="requestaccess",
    ),
    # e-conomic's web UI: a draft invoice by its number (the link on an order made from it).
    path(
        "sandbox/economic/ui/drafts/<int:number>/",
        views.draft_invoice_view,
        name="draft_invoice",
    ),
    # e-conomic's OpenAPI services (apis.e-conomic.com/<service>api/v<x.y.z>/…) before the
    # classic API's catch-all.
    re_path(
        r"^sandbox/economic/(?P<service>[a-z0-9]+api)/v(?P<version>[0-9]+\.[0-9]+\.[0-9]+)/"
        r"(?P<path>[^?]*)$",
        views.openapi_view,
        name="openapi",
    ),
    re_path(r"^sandbox/economic/(?P<path>[^?]*)$", views.api_view, name="api"),
]
