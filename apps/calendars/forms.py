"""The small forms of My calendar and the week's suggestions (services check the rules)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from apps.calendars.models import CategoryRule


def _targets(user: Any) -> dict[str, Any]:
    from apps.timesheets.selectors import projects_open_for_time, tasks_open_for_time
    from apps.worktypes.models import WorkType

    return {
        "project": projects_open_for_time(user=user),
        "task": tasks_open_for_time(user=user),
        "work_type": WorkType.objects.filter(is_active=True).order_by("name"),
    }


class _TargetsForm(forms.Form):
    project = forms.ModelChoiceField(queryset=None, label=_("Project"))
    task = forms.ModelChoiceField(queryset=None, required=False, label=_("Task"))
    work_type = forms.ModelChoiceField(queryset=None, required=False, label=_("Work type"))

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, queryset in _targets(user).items():
            self.fields[name].queryset = queryset

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        task, project = data.get("task"), data.get("project")
        if task is not None and project is not None and task.project_id != project.pk:
            self.add_error("task", _("The task belongs to another project."))
        return data


class SuggestionForm(_TargetsForm):
    """One suggestion made into hours ("Add as hours")."""

    event = forms.IntegerField(widget=forms.HiddenInput)


class RuleForm(_TargetsForm):
    """A category rule: events with this category suggest this project (task, work type)."""

    category = forms.CharField(
        label=_("Calendar category"),
        max_length=CategoryRule._meta.get_field("category").max_length,
    )
    field_order = ["category", "project", "task", "work_type"]


class SyncFromForm(forms.Form):
    """The person's "last synchronised" date: the next full round reads from there."""

    day = forms.DateField(
        label=_("Last synchronised"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
