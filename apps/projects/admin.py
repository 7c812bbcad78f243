"""Projects, who is on them in which role, and the project roles."""

from typing import Any

from django.contrib import admin
from django.db.models import ForeignKey, QuerySet
from django.forms import BaseInlineFormSet, ModelChoiceField
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy
from unfold.admin import TabularInline

from apps.accounts.models import User
from apps.core.admin import (
    ServiceModelAdmin,
    ServiceModelForm,
    is_autocomplete_for,
    report_bulk,
)
from apps.core.exceptions import ApplicationError
from apps.integrations.admin import FetchNowMixin
from apps.projects.models import Project, ProjectMember, ProjectRole
from apps.projects.selectors import project_list, projects_with_members_managed_by
from apps.projects.services import (
    EDITABLE_FIELDS,
    project_activate,
    project_archive,
    project_create,
    project_member_grant_check,
    project_member_remove,
    project_member_set,
    project_role_create,
    project_role_delete,
    project_role_update,
    project_update,
)

# --- projects ---------------------------------------------------------------------------------


class ProjectForm(ServiceModelForm):
    class Meta:
        model = Project
        fields = EDITABLE_FIELDS

    def save_via_service(self) -> Project:
        data = {f: self.cleaned_data[f] for f in EDITABLE_FIELDS if f in self.cleaned_data}
        if self.instance.pk is None:
            return project_create(data=data)
        return project_update(project=self.instance, data=data)


def _manages_members(request: HttpRequest, project: Project | None) -> bool:
    """Whether the person may change who is on `project` (None: the one they are creating)."""
    if project is None or project.pk is None:
        return request.user.has_perm("projects.add_projectmember")
    return projects_with_members_managed_by(user=request.user).filter(pk=project.pk).exists()


class ProjectMemberFormSet(BaseInlineFormSet):
    """Refuses, row by row, what the person may not grant (the services would refuse it too)."""

    actor: User | None = None
    founding = False

    def clean(self) -> None:
        super().clean()
        if self.actor is None:
            return
        project = self.instance
        for form in self.forms:
            if not form.has_changed() or not hasattr(form, "cleaned_data"):
                continue
            existing, deleted = form.instance.pk is not None, form in self.deleted_forms
            if deleted and not existing:
                continue
            # The role before this change (the form has put the new one on its instance).
            previous = ProjectRole.objects.filter(pk=form.initial.get("role")).first()
            try:
                project_member_grant_check(
                    actor=self.actor,
                    project=project,
                    role=None if deleted else form.cleaned_data.get("role"),
                    permission="delete" if deleted else ("change" if existing else "add"),
                    previous_role=previous,
                    founding=self.founding,
                )
            except ApplicationError as exc:
                form.add_error(None, exc.message)


class ProjectMemberInline(TabularInline):
    model = ProjectMember
    formset = ProjectMemberFormSet
    fields = ["user", "role"]
    autocomplete_fields = ["user"]
    extra = 1
    verbose_name_plural = _("members and their project roles")

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).select_related("user", "role")

    def get_formset(self, request: HttpRequest, obj: Project | None = None, **kwargs: Any) -> Any:
        formset = super().get_formset(request, obj, **kwargs)
        formset.actor, formset.founding = request.user, obj is None
        if obj is not None and not _manages_members(request, obj):
            # This inline instance serves this request only: say why the rows are read-only.
            self.verbose_name_plural = _(
                "members and their project roles (changed by the project's managers and "
                "administrators)"
            )
        return formset

    # Read-only on projects the person does not manage (a project manager sees them all).
    def has_add_permission(self, request: HttpRequest, obj: Project | None = None) -> bool:
        return super().has_add_permission(request, obj) and _manages_members(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: Project | None = None) -> bool:
        return super().has_change_permission(request, obj) and _manages_members(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Project | None = None) -> bool:
        return super().has_delete_permission(request, obj) and _manages_members(request, obj)


@admin.register(Project)
class ProjectAdmin(FetchNowMixin, ServiceModelAdmin):
    """Projects. The number comes from the ERP; until then it shows "number pending"."""

    fetch_entity = "project"
    fetch_label = _("Fetch projects")
    form = ProjectForm
    list_display = [
        "number_column",
        "name",
        "customer",
        "status",
        "start_date",
        "end_date",
        "needs_approval",
    ]
    list_display_links = ["number_column", "name"]
    list_filter = ["status", "customer", "needs_approval"]
    list_select_related = ["customer"]
    search_fields = ["name", "number", "customer__name", "customer__number"]
    autocomplete_fields = ["customer", "default_work_type"]
    readonly_fields = ["number_column", "created_at", "updated_at"]
    inlines = [ProjectMemberInline]
    actions = ["archive", "activate"]
    fieldsets = [
        (None, {"fields": ["number_column", "name", "customer", "status"]}),
        (_("Period"), {"fields": [("start_date", "end_date")]}),
        (_("Hours"), {"fields": ["default_work_type", "needs_approval"]}),
        (_("Description"), {"fields": ["description"]}),
        (_("History"), {"classes": ["collapse"], "fields": ["created_at", "updated_at"]}),
    ]

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet, search_term: str
    ) -> tuple[QuerySet, bool]:
        queryset, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        if is_autocomplete_for(request, "projects.projectmember.project"):
            # Only the projects whose members the person may change.
            managed = projects_with_members_managed_by(user=request.user).values("pk")
            queryset = queryset.filter(pk__in=managed)
        if is_autocomplete_for(request, "timesheets.timeentry.project"):
            # Archived projects take no hours; don't offer them (the service still refuses).
            active = project_list(user=request.user, status=Project.Status.ACTIVE).values("pk")
            queryset = queryset.filter(pk__in=active)
        return queryset, may_have_duplicates

    @admin.display(description=_("project number"), ordering="number")
    def number_column(self, obj: Project) -> str:
        return obj.number_display

    def has_delete_permission(self, request: HttpRequest, obj: Project | None = None) -> bool:
        # Projects live on in the ERP and keep their hours: archive them instead.
        return False

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        project, actor, founding = form.instance, request.user, not change
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        for member_form in formset.deleted_forms:
            if member_form.instance.pk:
                previous = member_form.initial.get("user")
                project_member_remove(
                    project=project, user=User.objects.get(pk=previous), actor=actor
                )
                formset.deleted_objects.append(member_form.instance)
        for member_form in formset.forms:
            if member_form in formset.deleted_forms or not member_form.has_changed():
                continue
            data = member_form.cleaned_data
            if not data or not data.get("user"):
                continue
            previous = member_form.initial.get("user")
            if previous and previous != data["user"].pk:
                project_member_remove(
                    project=project, user=User.objects.get(pk=previous), actor=actor
                )
            member = project_member_set(
                project=project,
                user=data["user"],
                role=data.get("role"),
                actor=actor,
                founding=founding,
            )
            if member_form.instance.pk:
                formset.changed_objects.append((member, member_form.changed_data))
            else:
                formset.new_objects.append(member)

    def _bulk(self, request: HttpRequest, queryset: QuerySet, service: Any, done_text: Any) -> None:
        done, refused = 0, []
        for project in queryset:
            try:
                service(project=project)
            except ApplicationError as exc:
                refused.append((project, exc.message))
            else:
                done += 1
                self.log_change(request, project, [{"changed": {"fields": ["status"]}}])
        report_bulk(self, request, done=done, refused=refused, done_text=done_text)

    @admin.action(description=_("Archive selected projects"), permissions=["change"])
    def archive(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._bulk(
            request,
            queryset,
            project_archive,
            ngettext_lazy("%(done)d project archived", "%(done)d projects archived", "done"),
        )

    @admin.action(description=_("Activate selected projects"), permissions=["change"])
    def activate(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._bulk(
            request,
            queryset,
            project_activate,
            ngettext_lazy("%(done)d project activated", "%(done)d projects activated", "done"),
        )


# --- members and roles ------------------------------------------------------------------------


class ProjectMemberForm(ServiceModelForm):
    class Meta:
        model = ProjectMember
        fields = ["project", "user", "role"]

    def save_via_service(self) -> ProjectMember:
        data = self.cleaned_data
        project = data.get("project") or self.instance.project
        user = data.get("user") or self.instance.user
        return project_member_set(
            project=project, user=user, role=data.get("role"), actor=self.request.user
        )


@admin.register(ProjectMember)
class ProjectMemberAdmin(ServiceModelAdmin):
    """Who is on which project in which role. Everyone who may see it sees all of it; a
    project manager changes only the members of projects he manages (administrators: all)."""

    form = ProjectMemberForm
    list_display = ["user", "project", "role"]
    list_filter = ["role", "project__status"]
    list_select_related = ["user", "project", "role"]
    search_fields = ["user__email", "user__first_name", "user__last_name", "project__name"]
    autocomplete_fields = ["project", "user"]

    def get_readonly_fields(self, request: HttpRequest, obj: ProjectMember | None = None) -> list:
        # Moving a membership to another person or project is a remove and an add.
        return ["project", "user"] if obj is not None else []

    def formfield_for_foreignkey(
        self, db_field: ForeignKey, request: HttpRequest, **kwargs: Any
    ) -> ModelChoiceField | None:
        if db_field.name == "project":
            kwargs["queryset"] = projects_with_members_managed_by(user=request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_change_permission(self, request: HttpRequest, obj: ProjectMember | None = None) -> bool:
        allowed = super().has_change_permission(request, obj)
        return allowed and (obj is None or _manages_members(request, obj.project))

    def has_delete_permission(self, request: HttpRequest, obj: ProjectMember | None = None) -> bool:
        allowed = super().has_delete_permission(request, obj)
        return allowed and (obj is None or _manages_members(request, obj.project))

    def delete_service(self, request: HttpRequest, obj: ProjectMember) -> None:
        project_member_remove(project=obj.project, user=obj.user, actor=request.user)


class ProjectRoleForm(ServiceModelForm):
    class Meta:
        model = ProjectRole
        fields = ["name", "can_approve"]

    def save_via_service(self) -> ProjectRole:
        data = {f: self.cleaned_data[f] for f in ["name", "can_approve"] if f in self.cleaned_data}
        if self.instance.pk is None:
            return project_role_create(**data)
        return project_role_update(role=self.instance, data=data)


@admin.register(ProjectRole)
class ProjectRoleAdmin(ServiceModelAdmin):
    form = ProjectRoleForm
    list_display = ["name", "can_approve"]
    list_filter = ["can_approve"]
    search_fields = ["name"]

    def delete_service(self, request: HttpRequest, obj: ProjectRole) -> None:
        project_role_delete(role=obj)
