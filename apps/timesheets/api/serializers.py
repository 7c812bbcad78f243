"""How hours go in and come out of the API. Rules are the services'; these only parse and show."""

from datetime import datetime

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field, extend_schema_serializer
from rest_framework import serializers

from apps.accounts.models import User
from apps.core.api.fields import DateField, DateTimeField, IdField
from apps.core.api.serializers import InputSerializer
from apps.projects.models import Project
from apps.projects.selectors import project_list
from apps.tasks.models import Task
from apps.tasks.selectors import task_list
from apps.timesheets.models import TimeEntry, TimeEntryTransition
from apps.timesheets.services import (
    FIRST_DAY,
    REASON_MAX_LENGTH,
    TEXT_MAX_LENGTH,
    time_entry_day_range_message,
    time_entry_last_day,
)
from apps.worktypes.models import WorkType
from apps.worktypes.selectors import work_type_list

# --- input --------------------------------------------------------------------------------


# The days hours can be registered on, as the services decide them.
ENTRY_DAYS = {
    "first": FIRST_DAY,
    "last": time_entry_last_day,
    "range_message": time_entry_day_range_message,
}


class WallClockDateTimeField(DateTimeField):
    """Leaves a start/stop without a zone as it is: the service reads it as the user's own
    wall-clock time (DRF would otherwise pin it to the server's zone)."""

    def enforce_timezone(self, value: datetime) -> datetime:
        if timezone.is_naive(value):
            self.check_day(value.date())
            return value
        return super().enforce_timezone(value)


class SelectorRelatedField(serializers.PrimaryKeyRelatedField):
    """A primary key looked up among the rows the selector lets the caller see.

    `queryset` only names the model (for the schema); the rows come from `selector(user)`.
    """

    def __init__(self, *, selector, **kwargs):
        self.selector = selector
        super().__init__(**kwargs)

    def get_queryset(self) -> QuerySet:
        return self.selector(self.context["request"].user)


def _hours_field(**kwargs) -> serializers.DecimalField:
    # Wide enough for any typo to reach the service, which rounds to two places and owns
    # the 0-24 rule; only what is not a number at all is refused here.
    return serializers.DecimalField(max_digits=10, decimal_places=4, **kwargs)


@extend_schema_serializer(component_name="TimeEntryUpdate")
class TimeEntryInputSerializer(InputSerializer):
    """A draft's fields. Give either `hours`, or `started_at` and `ended_at`."""

    date = DateField(
        required=False,
        help_text=_("Your local day; derived from the start when given."),
        **ENTRY_DAYS,
    )
    hours = _hours_field(required=False, help_text=_("Duration, when no start/stop is given."))
    started_at = WallClockDateTimeField(
        required=False,
        allow_null=True,
        help_text=_("Start; without a zone it is read in your own time zone."),
        **ENTRY_DAYS,
    )
    ended_at = WallClockDateTimeField(
        required=False, allow_null=True, help_text=_("Stop."), **ENTRY_DAYS
    )
    billable_hours = _hours_field(
        required=False,
        allow_null=True,
        help_text=_("Empty: all hours if the work type is invoiceable, otherwise none."),
    )
    project = SelectorRelatedField(
        queryset=Project.objects.none(),
        selector=lambda user: project_list(user=user),
        required=False,
    )
    task = SelectorRelatedField(
        queryset=Task.objects.none(),
        selector=lambda user: task_list(user=user),
        required=False,
        allow_null=True,
    )
    work_type = SelectorRelatedField(
        queryset=WorkType.objects.none(),
        selector=lambda user: work_type_list(),
        required=False,
        allow_null=True,
        help_text=_("Empty: the project's default work type."),
    )
    description = serializers.CharField(
        required=False, allow_blank=True, max_length=TEXT_MAX_LENGTH
    )
    internal_note = serializers.CharField(
        required=False, allow_blank=True, max_length=TEXT_MAX_LENGTH
    )


@extend_schema_serializer(component_name="TimeEntryCreate")
class TimeEntryCreateInputSerializer(TimeEntryInputSerializer):
    user = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.all(),
        required=False,
        help_text=_("Whose hours these are (default: yours; only an administrator may choose)."),
    )


class TimeEntryFilterSerializer(serializers.Serializer):
    date_from = DateField(required=False, help_text=_("From this day (inclusive)."))
    date_to = DateField(required=False, help_text=_("Up to this day (inclusive)."))
    project = IdField(required=False, help_text=_("Project id."))
    status = serializers.ChoiceField(choices=TimeEntry.Status.choices, required=False)
    user = IdField(required=False, help_text=_("Only this person's hours (user id)."))


@extend_schema_serializer(component_name="TimeEntryStep")
class TimeEntryTransitionInputSerializer(InputSerializer):
    reason = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=REASON_MAX_LENGTH,
        help_text=_("Why; required when rejecting or reopening."),
    )


@extend_schema_serializer(component_name="TimeEntryBulkStep")
class TimeEntryBulkTransitionInputSerializer(InputSerializer):
    ids = serializers.ListField(child=IdField(), allow_empty=False, max_length=1000)
    action = serializers.ChoiceField(choices=TimeEntryTransition.Action.choices)
    reason = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=REASON_MAX_LENGTH
    )


# --- output -------------------------------------------------------------------------------


def _in_owner_zone(moment: datetime | None, entry: TimeEntry) -> str | None:
    # A day belongs to the person who worked it, so times are shown in their zone.
    if moment is None:
        return None
    return timezone.localtime(moment, entry.user.tzinfo).isoformat()


@extend_schema_serializer(component_name="TimeEntryTransition")
class TimeEntryTransitionOutputSerializer(serializers.ModelSerializer):
    action_label = serializers.CharField(source="get_action_display", read_only=True)
    # Plain strings: the entry's `status` already documents the values, and a second
    # enum for the same choices would only give client generators two names for one type.
    from_status = serializers.CharField(read_only=True)
    to_status = serializers.CharField(read_only=True)
    actor_name = serializers.CharField(source="actor", read_only=True, allow_null=True)

    class Meta:
        model = TimeEntryTransition
        fields = [
            "action",
            "action_label",
            "from_status",
            "to_status",
            "actor",
            "actor_name",
            "at",
            "reason",
        ]
        read_only_fields = fields


@extend_schema_serializer(component_name="TimeEntry")
class TimeEntryOutputSerializer(serializers.ModelSerializer):
    user_name = serializers.CharField(source="user", read_only=True)
    started_at = serializers.SerializerMethodField()
    ended_at = serializers.SerializerMethodField()
    project_name = serializers.CharField(source="project.name", read_only=True)
    project_number_display = serializers.CharField(
        source="project.number_display",
        read_only=True,
        help_text=_('The ERP\'s project number, or "number pending".'),
    )
    task_name = serializers.CharField(
        source="task.name", read_only=True, allow_null=True, default=None
    )
    work_type_name = serializers.CharField(source="work_type.name", read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    transitions = TimeEntryTransitionOutputSerializer(
        many=True, read_only=True, help_text=_("The approval steps, newest first.")
    )

    class Meta:
        model = TimeEntry
        fields = [
            "id",
            "user",
            "user_name",
            "date",
            "started_at",
            "ended_at",
            "hours",
            "billable_hours",
            "project",
            "project_name",
            "project_number_display",
            "task",
            "task_name",
            "work_type",
            "work_type_name",
            "description",
            "internal_note",
            "status",
            "status_label",
            "rejection_reason",
            "is_editable",
            "created_at",
            "updated_at",
            "transitions",
        ]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.DATETIME)
    def get_started_at(self, entry: TimeEntry) -> str | None:
        return _in_owner_zone(entry.started_at, entry)

    @extend_schema_field(OpenApiTypes.DATETIME)
    def get_ended_at(self, entry: TimeEntry) -> str | None:
        return _in_owner_zone(entry.ended_at, entry)


@extend_schema_serializer(component_name="TimeEntryRefusal")
class TimeEntryRefusalSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    reason = serializers.CharField()


@extend_schema_serializer(component_name="TimeEntryBulkStepResult")
class TimeEntryBulkTransitionOutputSerializer(serializers.Serializer):
    moved = serializers.ListField(child=serializers.IntegerField())
    refused = TimeEntryRefusalSerializer(many=True)
