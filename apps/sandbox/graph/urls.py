"""The Microsoft paths under /sandbox/graph/: login.microsoftonline.com's as login/…,
graph.microsoft.com's as v1.0/…"""

app_name = "sandbox_graph"

urlpatterns: list = []
