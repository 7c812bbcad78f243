from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from apps.accounts.sso import sso_login_view
from apps.core.views import language_set

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="admin:index", permanent=False)),
    path("i18n/language/", language_set, name="language_set"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/24so-login/", sso_login_view, name="sso_login"),
    path("accounts/", include("apps.accounts.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include("config.api_router")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
]

for app_urls in getattr(settings, "EXTRA_URLCONFS", []):
    urlpatterns.append(path("", include(app_urls)))
