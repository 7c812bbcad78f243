"""What a person types into the week timesheet, read into the values the services take."""

import re
from dataclasses import dataclass, field
from datetime import time
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django import forms
from django.http import QueryDict
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from apps.projects.models import Project
from apps.tasks.models import Task
from apps.timesheets.selectors import DAYS_IN_WEEK, RowKey
from apps.timesheets.services import CellValue, WeekRowInput
from apps.worktypes.models import WorkType

MAX_ROWS = 60
# "8", "08", "8:30", "8.30", "0830"
_CLOCK = re.compile(r"^(\d{1,2})(?:[:.](\d{2})|(\d{2}))?$")
_RANGE = re.compile(r"^(.+?)\s*[-–—]\s*(.+)$")
_HOURS_MINUTES = re.compile(r"^(\d{1,2}):(\d{2})$")


class CellError(ValueError):
    pass


def _clock(text: str) -> time:
    match = _CLOCK.match(text.strip())
    if not match:
        raise CellError(text)
    hour = int(match.group(1))
    minute = int(match.group(2) or match.group(3) or 0)
    if hour == 24 and minute == 0:
        return time(23, 59)
    if hour > 23 or minute > 59:
        raise CellError(text)
    return time(hour, minute)


def parse_cell(text: str) -> CellValue | None:
    """ "7,5" / "7.5" / "7:30" → hours; "08:00-15:30" → start and stop; "" → empty.

    Raises CellError for anything else (a negative number, letters, a bad clock time).
    """
    text = (text or "").strip().lower().removesuffix("h").removesuffix("t").strip()
    if not text:
        return None
    ranged = _RANGE.match(text)
    if ranged and not text.startswith("-"):
        return CellValue(start=_clock(ranged.group(1)), stop=_clock(ranged.group(2)))
    minutes = _HOURS_MINUTES.match(text)
    if minutes:
        if int(minutes.group(2)) > 59:
            raise CellError(text)
        hours = Decimal(minutes.group(1)) + Decimal(minutes.group(2)) / Decimal(60)
    else:
        try:
            hours = Decimal(text.replace(",", ".").replace(" ", ""))
        except InvalidOperation as exc:
            raise CellError(text) from exc
    if not hours.is_finite() or hours < 0:
        raise CellError(text)
    hours = hours.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return None if hours == 0 else CellValue(hours=hours)


def cell_error_text() -> str:
    return _("Type hours (7,5 or 7:30) or a start and stop (08:00–15:30).")


@dataclass
class PostedRow:
    """A row as it came back from the browser, kept to show again with its errors."""

    index: int
    fixed: bool
    project_id: int | None
    task_id: int | None
    work_type_id: int | None
    texts: list[str]
    cells: dict[int, CellValue | None] = field(default_factory=dict)


class WeekSheetForm:
    """Reads the rows of the week form (`r<i>-project`, `r<i>-d<day>` …).

    Rows already in the week come back with their project/task/work type as hidden fields
    (`r<i>-fixed`); new rows choose them from what the person may log on. Only cells whose
    input was sent are written (read-only cells are not sent).
    """

    def __init__(
        self,
        data: QueryDict,
        *,
        existing: set[RowKey],
        projects: dict[int, Project],
        tasks: dict[int, Task],
        work_types: dict[int, WorkType],
    ) -> None:
        self.data = data
        self.existing = existing
        self.projects = projects
        self.tasks = tasks
        self.work_types = work_types
        self.errors: dict[tuple[int, int | None], str] = {}
        self.posted: list[PostedRow] = []
        self.rows: list[WeekRowInput] = []
        self.row_index: list[int] = []  # self.rows[n] is posted row self.row_index[n]

    @staticmethod
    def _int(value: Any) -> int | None:
        try:
            return int(value)
        except (TypeError, ValueError):
            return None

    def is_valid(self) -> bool:
        count = min(self._int(self.data.get("rows")) or 0, MAX_ROWS)
        for i in range(count):
            prefix = f"r{i}-"
            texts = [self.data.get(f"{prefix}d{d}") for d in range(DAYS_IN_WEEK)]
            row = PostedRow(
                index=i,
                fixed=bool(self.data.get(f"{prefix}fixed")),
                project_id=self._int(self.data.get(f"{prefix}project")),
                task_id=self._int(self.data.get(f"{prefix}task")),
                work_type_id=self._int(self.data.get(f"{prefix}work_type")),
                texts=[t if t is not None else "" for t in texts],
            )
            self.posted.append(row)
            for day, text in enumerate(texts):
                if text is None:
                    continue  # a read-only cell: not sent, not touched
                try:
                    row.cells[day] = parse_cell(text)
                except CellError:
                    self.errors[(i, day)] = cell_error_text()
            self._read_row(row)
        return not self.errors

    def _read_row(self, row: PostedRow) -> None:
        i = row.index
        if row.project_id is None:
            if any(v is not None for v in row.cells.values()):
                self.errors[(i, None)] = _("Choose a project for this row.")
            return
        key = (row.project_id, row.task_id, row.work_type_id)
        project = self.projects.get(row.project_id)
        task = self.tasks.get(row.task_id) if row.task_id else None
        work_type = self.work_types.get(row.work_type_id) if row.work_type_id else None
        if row.fixed and key in self.existing:
            pass  # a row the week already has: its project may be archived since (cells say so)
        elif project is None:
            self.errors[(i, None)] = _("You cannot register hours on this project.")
            return
        elif row.task_id and (task is None or task.project_id != row.project_id):
            self.errors[(i, None)] = _("Choose one of your tasks on this project.")
            return
        elif row.work_type_id and work_type is None:
            self.errors[(i, None)] = _("Choose a work type that is in use.")
            return
        if (
            project is None
            or (row.task_id and task is None)
            or (row.work_type_id and not work_type)
        ):
            # A fixed row whose project/task is no longer offered: load it as it is.
            project = Project.objects.select_related("default_work_type").get(pk=row.project_id)
            task = Task.objects.get(pk=row.task_id) if row.task_id else None
            work_type = WorkType.objects.get(pk=row.work_type_id) if row.work_type_id else None
        self.rows.append(
            WeekRowInput(project=project, task=task, work_type=work_type, cells=row.cells)
        )
        self.row_index.append(i)

    def add_service_errors(self, cells: dict[tuple[int, int | None], str]) -> None:
        for (n, day), message in cells.items():
            self.errors[(self.row_index[n], day)] = message


class TimerForm(forms.Form):
    """Starting the clock: on one of the person's projects (and tasks)."""

    project = forms.ModelChoiceField(queryset=Project.objects.none(), label=gettext_lazy("Project"))
    task = forms.ModelChoiceField(
        queryset=Task.objects.none(), required=False, label=gettext_lazy("Task")
    )
    work_type = forms.ModelChoiceField(
        queryset=WorkType.objects.none(), required=False, label=gettext_lazy("Work type")
    )
    description = forms.CharField(required=False, max_length=500, label=gettext_lazy("Description"))

    def __init__(self, *args: Any, projects: Any, tasks: Any, work_types: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["project"].queryset = projects
        self.fields["task"].queryset = tasks
        self.fields["task"].label_from_instance = task_label
        self.fields["work_type"].queryset = work_types

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        task, project = data.get("task"), data.get("project")
        if task is not None and project is not None and task.project_id != project.pk:
            self.add_error("task", _("Choose one of your tasks on this project."))
        return data


def task_label(task: Task) -> str:
    """ "Project — Task": tasks of different projects often share a name."""
    return f"{task.project.name} — {task.name}"
