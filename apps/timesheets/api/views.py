"""/api/v1/time-entries/: registering hours and moving them through approval.

Every write is a call to `apps.timesheets.services`; which entries a caller sees comes from
`apps.timesheets.selectors.time_entry_list`, so somebody else's entry is simply not found.
"""

from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from apps.core.api.base import ApiViewMixin
from apps.core.api.permissions import (
    HasAnyPermission,
    ModelPermissions,
)
from apps.timesheets.api.serializers import (
    TimeEntryBulkTransitionInputSerializer,
    TimeEntryBulkTransitionOutputSerializer,
    TimeEntryCreateInputSerializer,
    TimeEntryFilterSerializer,
    TimeEntryInputSerializer,
    TimeEntryOutputSerializer,
    TimeEntryTransitionInputSerializer,
)
from apps.timesheets.models import TimeEntry, TimeEntryTransition
from apps.timesheets.selectors import time_entry_list
from apps.timesheets.services import (
    time_entries_transition,
    time_entry_create,
    time_entry_delete,
    time_entry_transition,
    time_entry_update,
)

Action = TimeEntryTransition.Action

# The approval steps, as /{id}/<step>/ actions: view action name -> service action.
TRANSITION_ACTIONS = {
    "submit": Action.SUBMIT,
    "approve_user": Action.APPROVE_USER,
    "approve_project": Action.APPROVE_PROJECT,
    "lock": Action.LOCK,
    "reject": Action.REJECT,
    "reopen": Action.REOPEN,
}

# What a PUT that leaves a field out sets it to: the value a new entry would get.
PUT_CLEARS = {
    "started_at": None,
    "ended_at": None,
    "billable_hours": None,
    "task": None,
    "work_type": None,
    "description": "",
    "internal_note": "",
}


class IsHourManager(HasAnyPermission):
    """Bulk approval is for those who approve, lock or reopen hours."""

    any_permissions = (
        "timesheets.approve_user_timeentry",
        "timesheets.approve_project_timeentry",
        "timesheets.lock_timeentry",
        "timesheets.reopen_timeentry",
    )


def _with_transitions(queryset: QuerySet[TimeEntry]) -> QuerySet[TimeEntry]:
    return queryset.prefetch_related(
        Prefetch("transitions", TimeEntryTransition.objects.select_related("actor"))
    )


def _transition_schema(summary: str):
    return extend_schema(
        summary=summary,
        request=TimeEntryTransitionInputSerializer,
        responses=TimeEntryOutputSerializer,
    )


@extend_schema_view(
    list=extend_schema(parameters=[TimeEntryFilterSerializer]),
    destroy=extend_schema(summary=gettext_lazy("Delete a draft")),
)
class TimeEntryViewSet(
    ApiViewMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    permission_classes = [ModelPermissions]
    permission_model = TimeEntry
    serializer_class = TimeEntryOutputSerializer
    # Whether an approval step is allowed is the service's decision; seeing the entry is enough
    # to ask for it.
    action_permissions = {name: ["timesheets.view_timeentry"] for name in TRANSITION_ACTIONS}

    def get_queryset(self) -> QuerySet[TimeEntry]:
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return TimeEntry.objects.none()
        if self.action == "retrieve":
            return _with_transitions(time_entry_list(user=self.request.user))
        if self.action != "list":
            # The entry to act on; what is shown afterwards is read again by `_detail`.
            return time_entry_list(user=self.request.user)
        filters = TimeEntryFilterSerializer(data=self.request.query_params.dict())
        filters.is_valid(raise_exception=True)
        return _with_transitions(
            time_entry_list(
                user=self.request.user,
                date_from=filters.validated_data.get("date_from"),
                date_to=filters.validated_data.get("date_to"),
                project_id=filters.validated_data.get("project"),
                status=filters.validated_data.get("status"),
                owner_id=filters.validated_data.get("user"),
            )
        )

    def _detail(self, entry: TimeEntry, status_code: int = status.HTTP_200_OK) -> Response:
        # Read back with everything the answer shows joined (the services return the entry
        # with only what they needed loaded).
        shown = _with_transitions(time_entry_list(user=self.request.user)).filter(pk=entry.pk)
        return Response(
            TimeEntryOutputSerializer(
                shown.first() or entry, context=self.get_serializer_context()
            ).data,
            status=status_code,
        )

    # --- registering -------------------------------------------------------------------

    @extend_schema(
        request=TimeEntryCreateInputSerializer,
        responses={201: TimeEntryOutputSerializer},
    )
    def create(self, request: Request) -> Response:
        serializer = TimeEntryCreateInputSerializer(
            data=request.data, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        owner = data.pop("user", None)
        entry = time_entry_create(actor=request.user, user=owner, **data)
        return self._detail(entry, status.HTTP_201_CREATED)

    @extend_schema(
        request=TimeEntryInputSerializer,
        responses=TimeEntryOutputSerializer,
        description=gettext_lazy(
            "Replaces a draft's values: a task, work type, start/stop, billable hours, "
            "description or internal note left out is cleared (the work type falls back to "
            "the project's default). PATCH changes only the fields it is given."
        ),
    )
    def update(self, request: Request, pk: str | None = None) -> Response:
        return self._update(request, partial=False)

    @extend_schema(request=TimeEntryInputSerializer, responses=TimeEntryOutputSerializer)
    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        return self._update(request, partial=True)

    def _update(self, request: Request, *, partial: bool) -> Response:
        entry = self.get_object()
        serializer = TimeEntryInputSerializer(
            data=request.data, partial=partial, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        if not partial:
            data = {**PUT_CLEARS, **data}
        entry = time_entry_update(actor=request.user, entry=entry, data=data)
        return self._detail(entry)

    def perform_destroy(self, instance: TimeEntry) -> None:
        time_entry_delete(actor=self.request.user, entry=instance)

    # --- approval ----------------------------------------------------------------------

    def _transition(self, request: Request, name: str) -> Response:
        entry = self.get_object()
        serializer = TimeEntryTransitionInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        entry = time_entry_transition(
            actor=request.user,
            entry=entry,
            action=TRANSITION_ACTIONS[name],
            reason=serializer.validated_data["reason"],
        )
        return self._detail(entry)

    @_transition_schema(gettext_lazy("Submit a draft for approval"))
    @action(detail=True, methods=["post"], url_path="submit")
    def submit(self, request: Request, pk: str | None = None) -> Response:
        return self._transition(request, "submit")

    @_transition_schema(gettext_lazy("Approve submitted hours (user approval)"))
    @action(detail=True, methods=["post"], url_path="approve-user")
    def approve_user(self, request: Request, pk: str | None = None) -> Response:
        return self._transition(request, "approve_user")

    @_transition_schema(gettext_lazy("Approve user-approved hours on a project you approve for"))
    @action(detail=True, methods=["post"], url_path="approve-project")
    def approve_project(self, request: Request, pk: str | None = None) -> Response:
        return self._transition(request, "approve_project")

    @_transition_schema(gettext_lazy("Lock project-approved hours"))
    @action(detail=True, methods=["post"], url_path="lock")
    def lock(self, request: Request, pk: str | None = None) -> Response:
        return self._transition(request, "lock")

    @_transition_schema(gettext_lazy("Send hours back to draft, with a reason"))
    @action(detail=True, methods=["post"], url_path="reject")
    def reject(self, request: Request, pk: str | None = None) -> Response:
        return self._transition(request, "reject")

    @_transition_schema(
        gettext_lazy("Reopen approved or locked hours (administrators), with a reason")
    )
    @action(detail=True, methods=["post"], url_path="reopen")
    def reopen(self, request: Request, pk: str | None = None) -> Response:
        return self._transition(request, "reopen")

    @extend_schema(
        summary=gettext_lazy("Apply one approval step to many entries"),
        request=TimeEntryBulkTransitionInputSerializer,
        responses=TimeEntryBulkTransitionOutputSerializer,
    )
    @action(
        detail=False,
        methods=["post"],
        url_path="bulk-transition",
        permission_classes=[IsHourManager],
    )
    def bulk_transition(self, request: Request) -> Response:
        serializer = TimeEntryBulkTransitionInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        ids = serializer.validated_data["ids"]
        entries = self.get_queryset().filter(pk__in=ids).order_by("pk")
        found = {entry.pk: entry for entry in entries}
        result = time_entries_transition(
            actor=request.user,
            entries=list(found.values()),
            action=serializer.validated_data["action"],
            reason=serializer.validated_data["reason"],
        )
        not_found = _("No time entry with this id, or you may not see it.")
        refused = [{"id": entry.pk, "reason": message} for entry, message in result.refused]
        refused += [{"id": pk, "reason": not_found} for pk in dict.fromkeys(ids) if pk not in found]
        return Response(
            TimeEntryBulkTransitionOutputSerializer(
                {"moved": [entry.pk for entry in result.done], "refused": refused}
            ).data
        )
