"""The Microsoft paths under /sandbox/graph/: login.microsoftonline.com's as login/…,
graph.microsoft.com's as v1.0/…"""

from django.urls import path, re_path

from . import api, identity

app_name = "sandbox_graph"

LOGIN = "sandbox/graph/login/<str:tenant>"

urlpatterns = [
    path(
        f"{LOGIN}/v2.0/.well-known/openid-configuration",
        identity.openid_configuration_view,
        name="openid_configuration",
    ),
    path(f"{LOGIN}/discovery/v2.0/keys", identity.keys_view, name="keys"),
    path(f"{LOGIN}/oauth2/v2.0/authorize", identity.authorize_view, name="authorize"),
    path(f"{LOGIN}/oauth2/v2.0/token", identity.token_view, name="token"),
    path(f"{LOGIN}/oauth2/v2.0/logout", identity.logout_view, name="logout"),
    path("sandbox/graph/owa/", api.owa_view, name="owa"),
    re_path(r"^sandbox/graph/v1\.0/(?P<path>.*)$", api.graph_view, name="graph"),
]
