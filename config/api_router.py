"""Every /api/v1/ endpoint, registered in one router."""

from django.urls import path
from rest_framework import routers

from apps.accounts.api.views import ApiTokenViewSet, EmailObtainAuthToken, MeView
from apps.core.api.base import ApiViewMixin
from apps.customers.api.views import CustomerViewSet
from apps.projects.api.views import ProjectViewSet
from apps.tasks.api.views import TaskViewSet
from apps.timesheets.api.views import TimeEntryViewSet
from apps.worktypes.api.views import WorkTypeViewSet


class ApiRootView(ApiViewMixin, routers.APIRootView):
    """The browsable index of /api/v1/, authenticated like every other endpoint."""


router = routers.DefaultRouter()
router.APIRootView = ApiRootView
router.register("customers", CustomerViewSet, basename="customer")
router.register("projects", ProjectViewSet, basename="project")
router.register("tasks", TaskViewSet, basename="task")
router.register("work-types", WorkTypeViewSet, basename="worktype")
router.register("time-entries", TimeEntryViewSet, basename="timeentry")
router.register("tokens", ApiTokenViewSet, basename="apitoken")

app_name = "api"
urlpatterns = [
    path("me/", MeView.as_view(), name="me"),
    path("auth/token/", EmailObtainAuthToken.as_view(), name="auth-token"),
    *router.urls,
]
