"""State of the 24SO sandbox: "the 24SO side" of the demo, separate from Tidsbro's domain.

Ids that 24SO hands out (company, project, task, hour, order numbers) are stored as plain
integers per client, because 24SO numbers them per client and references between records
(Hour.ProjectId, Project.CustomerId, …) are loose integers in the API too.
"""

import uuid

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils.translation import gettext_lazy as _

TRI_STATE_CHOICES = [("none", "none"), ("True", "True"), ("False", "False")]


class Login(models.Model):
    """A 24SO community user: the e-mail and password an integration logs in with."""

    username = models.EmailField(_("username (e-mail)"), unique=True)
    password = models.CharField(_("password"), max_length=128)
    name = models.CharField(_("name"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("24SO sandbox login")
        verbose_name_plural = _("24SO sandbox logins")
        ordering = ["username"]

    def __str__(self) -> str:
        return self.username


class Application(models.Model):
    """A registered ApplicationId; Login refuses any other like a wrong password."""

    application_id = models.UUIDField(_("ApplicationId"), unique=True)
    name = models.CharField(_("name"), max_length=200)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("24SO sandbox application")
        verbose_name_plural = _("24SO sandbox applications")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Client(models.Model):
    """A 24SO client: one customer company's account; all data below belongs to one."""

    client_id = models.BigIntegerField(_("client id"), unique=True)
    name = models.CharField(_("name"), max_length=200)
    organization_number = models.CharField(_("organization number"), max_length=20, blank=True)
    country = models.CharField(_("country"), max_length=2, default="NO")
    default_currency = models.CharField(_("default currency"), max_length=3, default="NOK")
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=50, blank=True)
    street = models.CharField(_("street"), max_length=200, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=20, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("24SO sandbox client")
        verbose_name_plural = _("24SO sandbox clients")
        ordering = ["client_id"]

    def __str__(self) -> str:
        return self.name


class Person(models.Model):
    """A contact person of a client; employees with a user can log in and register hours."""

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="persons")
    contact_id = models.IntegerField(_("contact id"))
    first_name = models.CharField(_("first name"), max_length=100)
    last_name = models.CharField(_("last name"), max_length=100, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=50, blank=True)
    is_employee = models.BooleanField(_("employee"), default=True)
    employee_id = models.IntegerField(_("employee id"), null=True, blank=True)
    user_guid = models.UUIDField(_("user id"), null=True, blank=True)
    hour_cost = models.DecimalField(
        _("hour cost"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    date_registered = models.DateTimeField(_("registered"))
    date_changed = models.DateTimeField(_("changed"))

    class Meta:
        verbose_name = _("24SO sandbox person")
        verbose_name_plural = _("24SO sandbox persons")
        ordering = ["client", "contact_id"]
        # ChangedAfter searches (an incremental sync) read only what changed.
        indexes = [models.Index(fields=["client", "date_changed"], name="so24_person_changed_idx")]
        constraints = [
            models.UniqueConstraint(fields=["client", "contact_id"], name="sandbox24so_person_uniq")
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


class Identity(models.Model):
    """A login's access to one client, acting as one of the client's users."""

    identity_id = models.UUIDField(_("identity id"), unique=True, default=uuid.uuid4)
    login = models.ForeignKey(Login, on_delete=models.CASCADE, related_name="identities")
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="identities")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="identities")
    is_default = models.BooleanField(_("default"), default=False)
    is_disabled = models.BooleanField(_("disabled"), default=False)
    is_blocked = models.BooleanField(_("blocked"), default=False)

    class Meta:
        verbose_name = _("24SO sandbox identity")
        verbose_name_plural = _("24SO sandbox identities")
        ordering = ["login", "client"]

    def __str__(self) -> str:
        return f"{self.login} @ {self.client}"


class Session(models.Model):
    """An ASP.NET session handed out by Login; expires after the configured idle time."""

    key = models.CharField(_("session id"), max_length=24, unique=True)
    identity = models.ForeignKey(Identity, on_delete=models.CASCADE, related_name="sessions")
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    last_seen_at = models.DateTimeField(_("last seen"), db_index=True)

    class Meta:
        verbose_name = _("24SO sandbox session")
        verbose_name_plural = _("24SO sandbox sessions")
        ordering = ["-last_seen_at"]

    def __str__(self) -> str:
        return f"{self.identity} ({self.key[:4]}…)"


class Company(models.Model):
    """A CRM company (customer) of a client; inactive means deleted in 24SO."""

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="companies")
    company_id = models.IntegerField(_("company id"), blank=True)
    name = models.CharField(_("name"), max_length=200)
    external_id = models.CharField(_("external id"), max_length=100, blank=True)
    organization_number = models.CharField(_("organization number"), max_length=20, blank=True)
    type = models.CharField(_("type"), max_length=20, default="Business")
    country = models.CharField(_("country"), max_length=2, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=50, blank=True)
    note = models.TextField(_("note"), blank=True)
    active = models.BooleanField(_("active"), default=True)
    data = models.JSONField(
        _("other properties"), default=dict, blank=True, encoder=DjangoJSONEncoder
    )
    date_created = models.DateTimeField(_("created"))
    date_changed = models.DateTimeField(_("changed"))

    class Meta:
        verbose_name = _("24SO sandbox company")
        verbose_name_plural = _("24SO sandbox companies")
        ordering = ["client", "company_id"]
        # ChangedAfter searches (an incremental sync) read only what changed.
        indexes = [models.Index(fields=["client", "date_changed"], name="so24_company_changed_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["client", "company_id"], name="sandbox24so_company_uniq"
            )
        ]

    def __str__(self) -> str:
        return f"{self.company_id} {self.name}"


class ProjectStatus(models.Model):
    """A project status; projects in an inactive status are "deactivated"."""

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="project_statuses")
    status_id = models.IntegerField(_("status id"))
    name = models.CharField(_("name"), max_length=100)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("24SO sandbox project status")
        verbose_name_plural = _("24SO sandbox project statuses")
        ordering = ["client", "status_id"]
        constraints = [
            models.UniqueConstraint(fields=["client", "status_id"], name="sandbox24so_status_uniq")
        ]

    def __str__(self) -> str:
        return self.name


class ProjectRole(models.Model):
    """A role a participant can have in a project."""

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="project_roles")
    role_id = models.IntegerField(_("role id"))
    name = models.CharField(_("name"), max_length=100)
    parent = models.IntegerField(_("parent role id"), default=0)

    class Meta:
        verbose_name = _("24SO sandbox project role")
        verbose_name_plural = _("24SO sandbox project roles")
        ordering = ["client", "role_id"]
        constraints = [
            models.UniqueConstraint(fields=["client", "role_id"], name="sandbox24so_role_uniq")
        ]

    def __str__(self) -> str:
        return self.name


class WorkType(models.Model):
    """A type of work hours are registered on; read-only through the API."""

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="work_types")
    work_type_id = models.IntegerField(_("work type id"))
    name = models.CharField(_("name"), max_length=100)
    description = models.CharField(_("description"), max_length=200, blank=True)
    invoiceable = models.BooleanField(_("invoiceable"), default=True)
    price = models.DecimalField(_("price"), max_digits=12, decimal_places=2, default=0)
    product_id = models.IntegerField(_("product id"), null=True, blank=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("24SO sandbox work type")
        verbose_name_plural = _("24SO sandbox work types")
        ordering = ["client", "work_type_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["client", "work_type_id"], name="sandbox24so_worktype_uniq"
            )
        ]

    def __str__(self) -> str:
        return self.name


class Project(models.Model):
    """A project; version 1 is open to all employees, version 2 is rights-managed."""

    OPEN = 1
    RIGHTS_MANAGED = 2
    VERSION_CHOICES = [(OPEN, _("open")), (RIGHTS_MANAGED, _("rights-managed"))]

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="projects")
    project_id = models.IntegerField(_("project number"), blank=True)
    name = models.CharField(_("name"), max_length=200)
    customer_id = models.IntegerField(_("customer (company id)"), null=True, blank=True)
    status = models.ForeignKey(
        ProjectStatus, on_delete=models.PROTECT, null=True, blank=True, verbose_name=_("status")
    )
    version = models.SmallIntegerField(_("version"), choices=VERSION_CHOICES, default=OPEN)
    name_display = models.CharField(_("name display"), max_length=20, default="Plain")
    time_reg = models.CharField(_("time registration"), max_length=20, default="WorkType")
    need_approval = models.CharField(
        _("hours need approval"), max_length=5, choices=TRI_STATE_CHOICES, default="none"
    )
    description = models.TextField(_("description"), blank=True)
    work_type_id = models.IntegerField(_("default work type id"), null=True, blank=True)
    work_types = models.ManyToManyField(
        WorkType, blank=True, related_name="projects", verbose_name=_("work types checked off")
    )
    owner_contact_id = models.IntegerField(_("owner (contact id)"), null=True, blank=True)
    date_start = models.DateTimeField(_("start"), null=True, blank=True)
    date_stop = models.DateTimeField(_("stop"), null=True, blank=True)
    data = models.JSONField(
        _("other properties"), default=dict, blank=True, encoder=DjangoJSONEncoder
    )
    date_registered = models.DateTimeField(_("registered"))
    date_changed = models.DateTimeField(_("changed"))

    class Meta:
        verbose_name = _("24SO sandbox project")
        verbose_name_plural = _("24SO sandbox projects")
        ordering = ["client", "project_id"]
        # ChangedAfter searches (an incremental sync) read only what changed.
        indexes = [models.Index(fields=["client", "date_changed"], name="so24_project_changed_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["client", "project_id"], name="sandbox24so_project_uniq"
            )
        ]

    def __str__(self) -> str:
        return f"{self.project_id} {self.name}"

    @property
    def is_active(self) -> bool:
        return self.status is None or self.status.active


class ProjectParticipant(models.Model):
    """A person's membership of a project, with role and invitation state."""

    STATES = [
        "Unknown",
        "InvitationSent",
        "Participating",
        "ProjectInitiater",
        "Removed",
        "RemovedBeforeAccept",
        "InvitationStoppedByReciever",
        "InvitationStoppedBySender",
        "InvitationExpired",
        "InvitationIsResent",
        "RemovedWhenOpeningProject",
        "NotInvited",
    ]
    PARTICIPATING = 2
    INITIATER = 3
    REMOVED = 4

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="participants")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="participations")
    role = models.ForeignKey(
        ProjectRole, on_delete=models.SET_NULL, null=True, blank=True, verbose_name=_("role")
    )
    state = models.SmallIntegerField(
        _("state"), choices=list(enumerate(STATES)), default=PARTICIPATING
    )
    date_changed = models.DateTimeField(_("changed"))

    class Meta:
        verbose_name = _("24SO sandbox project participant")
        verbose_name_plural = _("24SO sandbox project participants")
        ordering = ["project", "person"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "person"], name="sandbox24so_participant_uniq"
            )
        ]

    def __str__(self) -> str:
        return f"{self.person} in {self.project}"

    @property
    def is_member(self) -> bool:
        return self.state in (self.PARTICIPATING, self.INITIATER)


class Task(models.Model):
    """A task in a project; hours can be registered on it."""

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="tasks")
    task_id = models.IntegerField(_("task id"), blank=True)
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="tasks")
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    date_start = models.DateTimeField(_("start"))
    date_stop = models.DateTimeField(_("stop"))
    status = models.IntegerField(_("status"), null=True, blank=True)
    priority = models.IntegerField(_("priority"), default=1)
    parent = models.IntegerField(_("parent task id"), null=True, blank=True)
    work_type_id = models.IntegerField(_("work type id"), null=True, blank=True)
    estimate = models.IntegerField(_("estimate"), null=True, blank=True)
    participants = models.ManyToManyField(
        Person, blank=True, related_name="tasks", verbose_name=_("participants")
    )
    date_changed = models.DateTimeField(_("changed"))

    class Meta:
        verbose_name = _("24SO sandbox task")
        verbose_name_plural = _("24SO sandbox tasks")
        ordering = ["client", "task_id"]
        constraints = [
            models.UniqueConstraint(fields=["client", "task_id"], name="sandbox24so_task_uniq")
        ]

    def __str__(self) -> str:
        return f"{self.task_id} {self.name}"


class Hour(models.Model):
    """A registered hour (timesheet line) of a person on a project."""

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="hours")
    hour_id = models.BigIntegerField(_("hour id"), blank=True)
    contact_id = models.IntegerField(_("contact id"))
    project_id = models.IntegerField(_("project number"), null=True, blank=True)
    task_id = models.IntegerField(_("task id"), null=True, blank=True)
    type_of_work_id = models.IntegerField(_("work type id"), null=True, blank=True)
    start_time = models.DateTimeField(_("start"))
    stop_time = models.DateTimeField(_("stop"))
    total_hours = models.FloatField(_("hours"), blank=True)
    total_hours_invoice = models.FloatField(_("invoiceable hours"), null=True, blank=True)
    description = models.TextField(_("description"), blank=True)
    internal_note = models.TextField(_("internal note"), blank=True)
    locked = models.CharField(_("locked"), max_length=5, choices=TRI_STATE_CHOICES, default="none")
    approved = models.CharField(
        _("approved"), max_length=5, choices=TRI_STATE_CHOICES, default="none"
    )
    approved_by = models.IntegerField(_("approved by (contact id)"), null=True, blank=True)
    need_approval = models.BooleanField(_("needs approval"), default=False)
    salary_type_id = models.IntegerField(_("salary type id"), null=True, blank=True)
    customer_id = models.IntegerField(_("customer id"), null=True, blank=True)
    order_id = models.IntegerField(_("order id"), null=True, blank=True)
    price = models.DecimalField(_("price"), max_digits=12, decimal_places=2, null=True, blank=True)
    date_registered = models.DateTimeField(_("registered"))
    date_changed = models.DateTimeField(_("changed"), db_index=True)

    class Meta:
        verbose_name = _("24SO sandbox hour")
        verbose_name_plural = _("24SO sandbox hours")
        ordering = ["client", "-start_time"]
        constraints = [
            models.UniqueConstraint(fields=["client", "hour_id"], name="sandbox24so_hour_uniq")
        ]
        # GetProjectTasks sums each task's hours: without it every call scans all hours.
        indexes = [models.Index(fields=["client", "task_id"], name="sandbox24so_hour_task_idx")]

    def __str__(self) -> str:
        return f"{self.hour_id}: {self.total_hours} h"

    @property
    def status(self) -> str:
        """HourStatus as the sandbox derives it from Locked/Approved (see README)."""
        if self.approved == "True":
            return "Approved"
        if self.locked == "True":
            return "Locked"
        if self.approved == "False" and self.approved_by:
            return "Rejected"
        return "Registered"


class InvoiceOrder(models.Model):
    """A sales order (or invoice) saved through InvoiceService."""

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="orders")
    order_id = models.IntegerField(_("order id"), blank=True)
    customer_id = models.IntegerField(_("customer id"))
    project_id = models.IntegerField(_("project number"), null=True, blank=True)
    order_status = models.CharField(_("order status"), max_length=40, default="Draft")
    invoice_id = models.IntegerField(_("invoice id"), null=True, blank=True)
    data = models.JSONField(_("order"), default=dict, blank=True, encoder=DjangoJSONEncoder)
    date_ordered = models.DateTimeField(_("ordered"))
    date_changed = models.DateTimeField(_("changed"))

    class Meta:
        verbose_name = _("24SO sandbox order")
        verbose_name_plural = _("24SO sandbox orders")
        ordering = ["client", "order_id"]
        constraints = [
            models.UniqueConstraint(fields=["client", "order_id"], name="sandbox24so_order_uniq")
        ]

    def __str__(self) -> str:
        return str(self.order_id)


class Knobs(models.Model):
    """Runtime switches of the sandbox (one row): latency, injected faults, limits."""

    latency_ms = models.PositiveIntegerField(_("added latency (ms)"), default=0)
    fault_rate = models.FloatField(
        _("fault rate"), default=0.0, help_text=_("Share of requests (0–1) that get a fault.")
    )
    fault_error = models.BooleanField(_("inject HTTP 500 SOAP faults"), default=True)
    fault_drop = models.BooleanField(_("inject dropped connections"), default=False)
    fault_slow = models.BooleanField(_("inject slow responses"), default=False)
    fault_hang = models.BooleanField(
        _("inject hanging answers"),
        default=False,
        help_text=_(
            "The request is carried out at once, but the answer is held back for the slow "
            "response delay: the client times out without knowing the outcome."
        ),
    )
    fault_http500 = models.BooleanField(
        _("inject bare HTTP 500 errors"),
        default=False,
        help_text=_("An error page without a SOAP envelope, like a failing IIS or proxy."),
    )
    fault_expire = models.BooleanField(
        _("inject session expiry"),
        default=False,
        help_text=_("The caller's session ends before the request is handled."),
    )
    slow_seconds = models.FloatField(_("slow response delay (s)"), default=35.0)
    fault_seed = models.BigIntegerField(_("fault seed"), default=24)
    sequence = models.BigIntegerField(_("requests seen"), default=0, editable=False)
    session_idle_seconds = models.PositiveIntegerField(_("session idle timeout (s)"), default=1200)
    rate_limit_per_hour = models.PositiveIntegerField(
        _("requests per hour per login"), default=7200
    )
    sessions_expire_before = models.DateTimeField(
        _("sessions seen before this are expired"), null=True, blank=True
    )
    quarantine_until = models.DateTimeField(
        _("quarantine until"),
        null=True,
        blank=True,
        help_text=_("Until then every request is blocked like a login over the hourly limit."),
    )

    class Meta:
        verbose_name = _("24SO sandbox knobs")
        verbose_name_plural = _("24SO sandbox knobs")

    def __str__(self) -> str:
        return str(_("24SO sandbox knobs"))


class RateWindow(models.Model):
    """Requests counted for one login in one clock hour (the 7,200/h limit)."""

    login = models.ForeignKey(Login, on_delete=models.CASCADE, related_name="rate_windows")
    window_start = models.DateTimeField(_("hour"))
    count = models.PositiveIntegerField(_("requests"), default=0)

    class Meta:
        verbose_name = _("24SO sandbox rate window")
        verbose_name_plural = _("24SO sandbox rate windows")
        ordering = ["-window_start"]
        constraints = [
            models.UniqueConstraint(fields=["login", "window_start"], name="sandbox24so_rate_uniq")
        ]

    def __str__(self) -> str:
        return f"{self.login} {self.window_start:%Y-%m-%d %H}:00"


class RequestLog(models.Model):
    """One SOAP request the sandbox answered (passwords redacted)."""

    created_at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)
    service = models.CharField(_("service"), max_length=40)
    operation = models.CharField(_("operation"), max_length=80, blank=True)
    username = models.CharField(_("login"), max_length=254, blank=True)
    client_name = models.CharField(_("client"), max_length=200, blank=True)
    http_status = models.PositiveSmallIntegerField(_("HTTP status"))
    fault = models.TextField(_("fault"), blank=True)
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), default=0)
    request_body = models.TextField(_("request"), blank=True)
    response_body = models.TextField(_("response"), blank=True)

    class Meta:
        verbose_name = _("24SO sandbox request")
        verbose_name_plural = _("24SO sandbox request log")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.service}.{self.operation} {self.http_status}"
