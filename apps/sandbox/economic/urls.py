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
    re_path(r"^sandbox/economic/(?P<path>[^?]*)$", views.api_view, name="api"),
]
