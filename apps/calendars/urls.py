"""The calendar connectors' change notifications reach Tidsbro here (no login: checked by
the subscription's secret client state)."""

from django.urls import path

from apps.calendars import notify

urlpatterns = [
    path("notify/<slug:system>/", notify.notify, name="calendars_notify"),
    path("lifecycle/<slug:system>/", notify.lifecycle, name="calendars_lifecycle"),
]
