from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from apps.core.views import language_set
from apps.integrations.sso import sso_login_view
from apps.integrations.webhooks import receive_view as webhook_receive_view

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="admin:index", permanent=False)),
    path("i18n/language/", language_set, name="language_set"),
    path("i18n/", include("django.conf.urls.i18n")),
    # Log in with the connected ERP (when its connector offers it and the office allows it).
    path("accounts/erp-login/", sso_login_view, name="sso_login"),
    path("accounts/", include("apps.accounts.urls")),
    # An ERP calling Tidsbro about changed records (when its connector offers webhooks).
    path(
        "integrations/webhooks/<str:system>/<int:connection_id>/",
        webhook_receive_view,
        name="integrations_webhook",
    ),
    # Logging in on an ERP's own site (OAuth): start/ and the registered callback/.
    path("integrations/oauth/", include("apps.integrations.oauth")),
    # Calendar change notifications (a person's calendar changed): calendars app.
    path("calendars/", include("apps.calendars.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include("config.api_router")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
]

for app_urls in getattr(settings, "EXTRA_URLCONFS", []):
    urlpatterns.append(path("", include(app_urls)))
