"""Projects the office registers time on, and who works on them in which role."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from apps.core.models import TimeStampedModel


class ProjectRole(models.Model):
    """A role a person has on a project (e.g. "Project manager", "Consultant")."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    can_approve = models.BooleanField(
        _("approves hours"),
        default=False,
        help_text=_("People with this role approve the project's hours (project approval)."),
    )

    class Meta:
        verbose_name = _("project role")
        verbose_name_plural = _("project roles")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Project(TimeStampedModel):
    """Work for a customer (or internal work). The ERP assigns its number."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        ARCHIVED = "archived", _("Archived")

    name = models.CharField(_("name"), max_length=255)
    number = models.PositiveIntegerField(
        _("project number"),
        null=True,
        blank=True,
        editable=False,
        help_text=_("Assigned by the ERP; empty until the project has been transferred."),
    )
    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="projects",
        verbose_name=_("customer"),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE, db_index=True
    )
    start_date = models.DateField(_("start date"), null=True, blank=True)
    end_date = models.DateField(_("end date"), null=True, blank=True)
    description = models.TextField(_("description"), blank=True)
    default_work_type = models.ForeignKey(
        "worktypes.WorkType",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("default work type"),
    )
    needs_approval = models.BooleanField(
        _("needs project approval"),
        default=True,
        help_text=_("When off, hours are project-approved as soon as they are user-approved."),
    )
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        through="ProjectMember",
        related_name="projects",
        verbose_name=_("members"),
    )

    class Meta:
        verbose_name = _("project")
        verbose_name_plural = _("projects")
        ordering = ["name", "id"]
        indexes = [
            models.Index(fields=["name", "id"]),
            models.Index(fields=["status", "name"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["number"],
                name="projects_project_number_unique",
                violation_error_message=_("Another project already has this number."),
            ),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True)
                | Q(start_date__isnull=True)
                | Q(end_date__gte=F("start_date")),
                name="projects_project_end_after_start",
                violation_error_message=_("The end date cannot be before the start date."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.name}" if self.number else self.name

    @property
    def is_archived(self) -> bool:
        return self.status == self.Status.ARCHIVED

    @property
    def number_display(self) -> str:
        return str(self.number) if self.number else str(_("number pending"))


class ProjectMember(models.Model):
    """A person on a project, with their project role."""

    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("project")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="project_memberships",
        verbose_name=_("user"),
    )
    role = models.ForeignKey(
        ProjectRole,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="members",
        verbose_name=_("project role"),
    )

    class Meta:
        verbose_name = _("project member")
        verbose_name_plural = _("project members")
        ordering = ["project", "user"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "user"],
                name="projects_member_unique",
                violation_error_message=_("This person is already a member of the project."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.project}"
