"""The calendar connectors' change notifications reach Tidsbro here (no login: checked by
the subscription's secret client state)."""

urlpatterns: list = []
