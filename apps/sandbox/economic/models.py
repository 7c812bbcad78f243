"""State of the e-conomic sandbox: "the e-conomic side" of a demo, separate from Tidsbro's domain.

Numbers e-conomic hands out (customer, group, terms, zone, layout, employee numbers) are plain
integers per agreement; references between records (a customer's group, terms, VAT zone …) are
loose numbers too, checked when a customer is written, as the API does.
"""

import time

from django.db import models
from django.utils.translation import gettext_lazy as _


class App(models.Model):
    """A registered integration ("app"): its public token opens the grant page."""

    name = models.CharField(_("name"), max_length=200)
    public_token = models.CharField(_("app public token"), max_length=100, unique=True)
    secret_token = models.CharField(_("app secret token"), max_length=100, unique=True)
    required_roles = models.JSONField(_("required roles"), default=list, blank=True)
    created = models.DateField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("e-conomic sandbox app")
        verbose_name_plural = _("e-conomic sandbox apps")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


def default_modules() -> list[str]:
    return ["Sales"]


class Agreement(models.Model):
    """An e-conomic agreement (one company's account) and the user who can approve apps."""

    agreement_number = models.PositiveIntegerField(_("agreement number"), unique=True)
    company_name = models.CharField(_("company name"), max_length=200)
    company_cvr = models.CharField(_("CVR number"), max_length=40, blank=True)
    company_address = models.CharField(_("address"), max_length=200, blank=True)
    company_zip = models.CharField(_("zip"), max_length=30, blank=True)
    company_city = models.CharField(_("city"), max_length=50, blank=True)
    base_currency = models.CharField(_("base currency"), max_length=3, default="DKK")
    user_login = models.CharField(_("user login"), max_length=100, unique=True)
    user_password = models.CharField(_("user password"), max_length=128)
    user_name = models.CharField(_("user name"), max_length=200)
    user_email = models.EmailField(_("user e-mail"), blank=True)
    demo_access = models.BooleanField(
        _("readable with the demo tokens"),
        default=False,
        help_text=_(
            "The agreement that X-AppSecretToken: demo + X-AgreementGrantToken: demo read."
        ),
    )
    signup_date = models.DateField(_("signed up"), auto_now_add=True)
    modules = models.JSONField(
        _("modules"),
        default=default_modules,
        blank=True,
        help_text=_(
            'The add-on modules the agreement has bought, for example ["Sales", "Project"]. '
            "Without Project every call to the projects API is refused (403)."
        ),
    )

    class Meta:
        verbose_name = _("e-conomic sandbox agreement")
        verbose_name_plural = _("e-conomic sandbox agreements")
        ordering = ["agreement_number"]

    def __str__(self) -> str:
        return f"{self.agreement_number} {self.company_name}"


class Grant(models.Model):
    """An agreement's grant to one app: the agreement grant token and the roles it covers."""

    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="grants")
    app = models.ForeignKey(App, on_delete=models.CASCADE, related_name="grants")
    token = models.CharField(_("agreement grant token"), max_length=100, unique=True)
    roles = models.JSONField(
        _("roles"),
        default=list,
        blank=True,
        help_text=_('For example ["SuperUser"] or ["Sales"]; customers need Sales or SuperUser.'),
    )
    revoked = models.BooleanField(_("revoked"), default=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("e-conomic sandbox grant")
        verbose_name_plural = _("e-conomic sandbox grants")
        ordering = ["agreement", "app"]

    def __str__(self) -> str:
        return f"{self.app} @ {self.agreement}"


class CustomerGroup(models.Model):
    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="+")
    number = models.PositiveIntegerField(_("customer group number"))
    name = models.CharField(_("name"), max_length=50)
    account_number = models.PositiveIntegerField(_("account number"), null=True, blank=True)
    layout_number = models.PositiveIntegerField(_("layout number"), null=True, blank=True)

    class Meta:
        verbose_name = _("e-conomic sandbox customer group")
        verbose_name_plural = _("e-conomic sandbox customer groups")
        ordering = ["agreement", "number"]
        constraints = [
            models.UniqueConstraint(fields=["agreement", "number"], name="econ_group_uniq")
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.name}"


class PaymentTerms(models.Model):
    TYPES = [
        "net",
        "invoiceMonth",
        "paidInCash",
        "prepaid",
        "dueDate",
        "factoring",
        "invoiceWeekStartingSunday",
        "invoiceWeekStartingMonday",
        "creditcard",
    ]

    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="+")
    number = models.PositiveIntegerField(_("payment terms number"))
    name = models.CharField(_("name"), max_length=50)
    terms_type = models.CharField(
        _("payment terms type"), max_length=30, choices=[(t, t) for t in TYPES], default="net"
    )
    days_of_credit = models.PositiveIntegerField(_("days of credit"), null=True, blank=True)
    description = models.CharField(_("description"), max_length=1000, blank=True)

    class Meta:
        verbose_name = _("e-conomic sandbox payment terms")
        verbose_name_plural = _("e-conomic sandbox payment terms")
        ordering = ["agreement", "number"]
        constraints = [
            models.UniqueConstraint(fields=["agreement", "number"], name="econ_terms_uniq")
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.name}"


class VatZone(models.Model):
    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="+")
    number = models.PositiveIntegerField(_("VAT zone number"))
    name = models.CharField(_("name"), max_length=50)
    enabled_for_customer = models.BooleanField(_("enabled for customers"), default=True)
    enabled_for_supplier = models.BooleanField(_("enabled for suppliers"), default=True)

    class Meta:
        verbose_name = _("e-conomic sandbox VAT zone")
        verbose_name_plural = _("e-conomic sandbox VAT zones")
        ordering = ["agreement", "number"]
        constraints = [
            models.UniqueConstraint(fields=["agreement", "number"], name="econ_vatzone_uniq")
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.name}"


class Currency(models.Model):
    """A currency e-conomic knows (the same list for every agreement)."""

    code = models.CharField(_("code"), max_length=3, unique=True)
    name = models.CharField(_("name"), max_length=50)
    iso_number = models.CharField(_("ISO number"), max_length=3, blank=True)

    class Meta:
        verbose_name = _("e-conomic sandbox currency")
        verbose_name_plural = _("e-conomic sandbox currencies")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.code


class Layout(models.Model):
    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="+")
    number = models.PositiveIntegerField(_("layout number"))
    name = models.CharField(_("name"), max_length=250)
    deleted = models.BooleanField(_("deleted"), default=False)

    class Meta:
        verbose_name = _("e-conomic sandbox layout")
        verbose_name_plural = _("e-conomic sandbox layouts")
        ordering = ["agreement", "number"]
        constraints = [
            models.UniqueConstraint(fields=["agreement", "number"], name="econ_layout_uniq")
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.name}"


class Employee(models.Model):
    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="+")
    number = models.PositiveIntegerField(_("employee number"))
    name = models.CharField(_("name"), max_length=250)
    email = models.CharField(_("e-mail"), max_length=250, blank=True)
    phone = models.CharField(_("phone"), max_length=250, blank=True)
    employee_group_number = models.PositiveIntegerField(_("employee group number"), default=1)
    barred = models.BooleanField(_("barred"), default=False)
    object_version = models.PositiveIntegerField(_("object version"), default=1)

    class Meta:
        verbose_name = _("e-conomic sandbox employee")
        verbose_name_plural = _("e-conomic sandbox employees")
        ordering = ["agreement", "number"]
        constraints = [
            models.UniqueConstraint(fields=["agreement", "number"], name="econ_employee_uniq")
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.name}"


class Product(models.Model):
    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="+")
    number = models.CharField(_("product number"), max_length=25)
    name = models.CharField(_("name"), max_length=300)
    description = models.CharField(_("description"), max_length=500, blank=True)
    cost_price = models.DecimalField(
        _("cost price"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    sales_price = models.DecimalField(
        _("sales price"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    recommended_price = models.DecimalField(
        _("recommended price"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    bar_code = models.CharField(_("bar code"), max_length=50, blank=True)
    barred = models.BooleanField(_("barred"), default=False)
    unit_number = models.PositiveIntegerField(_("unit number"), null=True, blank=True)
    unit_name = models.CharField(_("unit name"), max_length=100, blank=True)
    product_group_number = models.PositiveIntegerField(_("product group number"), default=1)
    product_group_name = models.CharField(_("product group name"), max_length=50, blank=True)
    last_updated = models.DateTimeField(_("last updated"))

    class Meta:
        verbose_name = _("e-conomic sandbox product")
        verbose_name_plural = _("e-conomic sandbox products")
        ordering = ["agreement", "number"]
        constraints = [
            models.UniqueConstraint(fields=["agreement", "number"], name="econ_product_uniq")
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.name}"


class Customer(models.Model):
    """A customer (debtor) with every field the classic customer schema serves."""

    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="customers")
    customer_number = models.PositiveIntegerField(_("customer number"), blank=True)
    name = models.CharField(_("name"), max_length=255)
    currency = models.CharField(_("currency"), max_length=3, default="DKK")
    customer_group_number = models.PositiveIntegerField(_("customer group number"), default=1)
    payment_terms_number = models.PositiveIntegerField(_("payment terms number"), default=1)
    vat_zone_number = models.PositiveIntegerField(_("VAT zone number"), default=1)
    layout_number = models.PositiveIntegerField(_("layout number"), null=True, blank=True)
    sales_person_number = models.PositiveIntegerField(
        _("sales person (employee number)"), null=True, blank=True
    )
    attention_number = models.PositiveIntegerField(
        _("attention (contact number)"), null=True, blank=True
    )
    customer_contact_number = models.PositiveIntegerField(
        _("customer contact number"), null=True, blank=True
    )
    default_delivery_location_number = models.PositiveIntegerField(
        _("default delivery location number"), null=True, blank=True
    )
    address = models.CharField(_("address"), max_length=510, blank=True)
    zip = models.CharField(_("zip"), max_length=30, blank=True)
    city = models.CharField(_("city"), max_length=50, blank=True)
    country = models.CharField(_("country"), max_length=50, blank=True)
    corporate_identification_number = models.CharField(
        _("corporate identification number (CVR)"), max_length=40, blank=True
    )
    p_number = models.CharField(_("P-number"), max_length=10, blank=True)
    vat_number = models.CharField(_("VAT number"), max_length=20, blank=True)
    ean = models.CharField(_("EAN"), max_length=13, blank=True)
    public_entry_number = models.CharField(_("public entry number"), max_length=50, blank=True)
    email = models.CharField(_("e-mail"), max_length=255, blank=True)
    telephone_and_fax_number = models.CharField(
        _("telephone and fax number"), max_length=255, blank=True
    )
    mobile_phone = models.CharField(_("mobile phone"), max_length=50, blank=True)
    website = models.CharField(_("website"), max_length=255, blank=True)
    credit_limit = models.DecimalField(
        _("credit limit"), max_digits=16, decimal_places=2, null=True, blank=True
    )
    barred = models.BooleanField(_("barred"), default=False)
    e_invoicing_disabled_by_default = models.BooleanField(
        _("e-invoicing disabled by default"), default=False
    )
    balance = models.DecimalField(_("balance"), max_digits=16, decimal_places=2, default=0)
    due_amount = models.DecimalField(_("due amount"), max_digits=16, decimal_places=2, default=0)
    last_updated = models.DateTimeField(_("last updated"), blank=True)

    class Meta:
        verbose_name = _("e-conomic sandbox customer")
        verbose_name_plural = _("e-conomic sandbox customers")
        ordering = ["agreement", "customer_number"]
        indexes = [
            models.Index(
                fields=["agreement", "last_updated", "customer_number"],
                name="econ_customer_updated_idx",
            ),
            models.Index(fields=["agreement", "name"], name="econ_customer_name_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["agreement", "customer_number"], name="econ_customer_uniq"
            )
        ]

    def __str__(self) -> str:
        return f"{self.customer_number} {self.name}"


class IdempotencyRecord(models.Model):
    """The stored answer to a write sent with an Idempotency-Key (replayed for an hour)."""

    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(_("idempotency key"), max_length=200)
    method = models.CharField(_("method"), max_length=10)
    path = models.CharField(_("path"), max_length=500)
    status = models.PositiveSmallIntegerField(_("HTTP status"))
    body = models.TextField(_("response"), blank=True)
    location = models.CharField(_("Location header"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("e-conomic sandbox idempotency record")
        verbose_name_plural = _("e-conomic sandbox idempotency records")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["agreement", "key"], name="econ_idempotency_uniq")
        ]

    def __str__(self) -> str:
        return f"{self.method} {self.path} ({self.key[:8]}…)"


class RateWindow(models.Model):
    """Tokens spent by one caller (agreement, or unknown tokens) in one fixed window."""

    bucket = models.CharField(_("bucket"), max_length=80)
    window_start = models.DateTimeField(_("window start"))
    used = models.PositiveIntegerField(_("tokens used"), default=0)

    class Meta:
        verbose_name = _("e-conomic sandbox rate window")
        verbose_name_plural = _("e-conomic sandbox rate windows")
        ordering = ["-window_start"]
        constraints = [
            models.UniqueConstraint(fields=["bucket", "window_start"], name="econ_rate_uniq")
        ]

    def __str__(self) -> str:
        return f"{self.bucket} {self.window_start:%H:%M:%S}"


class Knobs(models.Model):
    """Runtime switches of the sandbox (one row): latency, injected faults, limits."""

    NEXT_AFTER_MAX = "max"
    LOWEST_FREE = "lowest"
    NUMBERING_CHOICES = [
        (NEXT_AFTER_MAX, _("next after the highest")),
        (LOWEST_FREE, _("lowest free number (reuses deleted numbers)")),
    ]

    latency_ms = models.PositiveIntegerField(_("added latency (ms)"), default=0)
    fault_rate = models.FloatField(
        _("fault rate"), default=0.0, help_text=_("Share of requests (0–1) that get a fault.")
    )
    fault_http500 = models.BooleanField(_("inject HTTP 500 errors"), default=True)
    fault_drop = models.BooleanField(_("inject dropped connections"), default=False)
    fault_hang = models.BooleanField(
        _("inject hanging answers"),
        default=False,
        help_text=_(
            "The request is carried out at once, but the answer is held back for the hang "
            "delay: the client times out without knowing the outcome."
        ),
    )
    fault_429 = models.BooleanField(_("inject 429 Too Many Requests"), default=False)
    hang_seconds = models.FloatField(_("hang delay (s)"), default=35.0)
    fault_seed = models.BigIntegerField(_("fault seed"), default=7)
    sequence = models.BigIntegerField(_("requests seen"), default=0, editable=False)
    rate_limit = models.PositiveIntegerField(_("tokens per window"), default=10000)
    rate_window_seconds = models.PositiveIntegerField(_("window length (s)"), default=60)
    grants_revoked = models.BooleanField(
        _("all grants revoked"),
        default=False,
        help_text=_("Every agreement grant token answers 401, as after a revoked grant."),
    )
    failing_filter_fields = models.CharField(
        _("filters that fail with HTTP 500"),
        max_length=300,
        blank=True,
        help_text=_(
            "Comma-separated properties (for example lastUpdated,email): a filter on one of them "
            "answers 500, like the filter bugs seen on the real API."
        ),
    )
    numbering = models.CharField(
        _("customer number for a POST without one"),
        max_length=10,
        choices=NUMBERING_CHOICES,
        default=LOWEST_FREE,
    )
    cursor_page_size = models.PositiveIntegerField(
        _("cursor page size (OpenAPI services)"),
        default=1000,
        help_text=_(
            "Most items one cursor page of the projects and invoicing services holds; "
            "never more than the documents' x-cursor-page-size (1000)."
        ),
    )

    class Meta:
        verbose_name = _("e-conomic sandbox knobs")
        verbose_name_plural = _("e-conomic sandbox knobs")

    def __str__(self) -> str:
        return str(_("e-conomic sandbox knobs"))


class RequestLog(models.Model):
    """One REST request the sandbox answered (tokens never stored)."""

    created_at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)
    method = models.CharField(_("method"), max_length=10)
    path = models.CharField(_("path"), max_length=1000)
    agreement_number = models.PositiveIntegerField(_("agreement"), null=True, blank=True)
    http_status = models.PositiveSmallIntegerField(_("HTTP status"))
    error_code = models.CharField(_("error code"), max_length=40, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), default=0)
    request_body = models.TextField(_("request"), blank=True)
    response_body = models.TextField(_("response"), blank=True)

    class Meta:
        verbose_name = _("e-conomic sandbox request")
        verbose_name_plural = _("e-conomic sandbox request log")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.method} {self.path} {self.http_status}"


# --- OpenAPI services (projectsapi v1.1.0, q2capi v5.3.0) ------------------------------------
# Every row belongs to an agreement; `object_version` grows on every write (the services serve
# it as the string `objectVersion` a PUT must send back); `extra` keeps the optional properties of
# the documents the sandbox stores without acting on them, so they read back as written.


def next_version(current: int | None = None) -> int:
    """A version that differs from every earlier one of the row (and of a deleted namesake):
    the next number, or the clock's seconds when they are ahead."""
    return max((current or 0) + 1, int(time.time()))


class VersionedRow(models.Model):
    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="+")
    object_version = models.PositiveIntegerField(_("object version"), default=1)
    extra = models.JSONField(_("other properties"), default=dict, blank=True)

    class Meta:
        abstract = True


class ProjectGroup(VersionedRow):
    """A project group: which ledger accounts a project's work is posted on."""

    number = models.PositiveIntegerField(_("project group number"))
    name = models.CharField(_("name"), max_length=100)
    group_type = models.PositiveSmallIntegerField(_("type"), default=1)

    class Meta:
        verbose_name = _("e-conomic sandbox project group")
        verbose_name_plural = _("e-conomic sandbox project groups")
        ordering = ["agreement", "number"]
        constraints = [
            models.UniqueConstraint(fields=["agreement", "number"], name="econ_projgroup_uniq")
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.name}"


class ProjectStatus(VersionedRow):
    """A project status: type 1 = quote sent, type 2 = realised."""

    QUOTE_SENT = 1
    REALISED = 2
    TYPE_CHOICES = [(QUOTE_SENT, _("quote sent")), (REALISED, _("realised"))]

    number = models.PositiveIntegerField(_("project status number"))
    name = models.CharField(_("name"), max_length=100)
    status_type = models.PositiveSmallIntegerField(
        _("type"), choices=TYPE_CHOICES, default=REALISED
    )
    priority = models.IntegerField(_("priority"), default=0)

    class Meta:
        verbose_name = _("e-conomic sandbox project status")
        verbose_name_plural = _("e-conomic sandbox project statuses")
        ordering = ["agreement", "number"]
        constraints = [
            models.UniqueConstraint(fields=["agreement", "number"], name="econ_projstatus_uniq")
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.name}"


class Project(VersionedRow):
    """A project in the Project module: hours are recorded on it and invoiced from it."""

    number = models.PositiveIntegerField(_("project number"))
    name = models.CharField(_("name"), max_length=100)
    project_group_number = models.PositiveIntegerField(_("project group number"))
    customer_number = models.PositiveIntegerField(_("customer number"), null=True, blank=True)
    is_barred = models.BooleanField(_("barred"), default=False)
    is_closed = models.BooleanField(_("closed"), default=False)
    is_main_project = models.BooleanField(_("main project"), default=False)
    main_project_number = models.PositiveIntegerField(
        _("main project number"), null=True, blank=True
    )
    responsible_employee_number = models.PositiveIntegerField(
        _("responsible employee number"), null=True, blank=True
    )
    status = models.PositiveIntegerField(_("status number"), null=True, blank=True)
    description = models.CharField(_("description"), max_length=2500, blank=True)
    delivery_date = models.DateTimeField(_("delivery date"), null=True, blank=True)
    closed_date = models.DateTimeField(_("closed date"), null=True, blank=True)
    other_reference = models.CharField(_("other reference"), max_length=250, blank=True)
    last_updated = models.DateTimeField(_("last updated"))

    class Meta:
        verbose_name = _("e-conomic sandbox project")
        verbose_name_plural = _("e-conomic sandbox projects")
        ordering = ["agreement", "number"]
        indexes = [
            models.Index(
                fields=["agreement", "last_updated", "number"], name="econ_project_updated_idx"
            )
        ]
        constraints = [
            models.UniqueConstraint(fields=["agreement", "number"], name="econ_project_uniq")
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.name}"


class ActivityGroup(VersionedRow):
    """An activity group: the accounts its activities' hours are posted on."""

    number = models.PositiveIntegerField(_("activity group number"))
    name = models.CharField(_("name"), max_length=100)
    group_type = models.PositiveSmallIntegerField(_("type"), default=1)

    class Meta:
        verbose_name = _("e-conomic sandbox activity group")
        verbose_name_plural = _("e-conomic sandbox activity groups")
        ordering = ["agreement", "number"]
        constraints = [
            models.UniqueConstraint(fields=["agreement", "number"], name="econ_actgroup_uniq")
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.name}"


class Activity(VersionedRow):
    """An activity (kind of work) hours are recorded on, such as consulting or travel."""

    number = models.PositiveIntegerField(_("activity number"))
    group_number = models.PositiveIntegerField(_("activity group number"))
    name = models.CharField(_("name"), max_length=100)
    is_barred = models.BooleanField(_("barred"), default=False)

    class Meta:
        verbose_name = _("e-conomic sandbox activity")
        verbose_name_plural = _("e-conomic sandbox activities")
        ordering = ["agreement", "number"]
        constraints = [
            models.UniqueConstraint(fields=["agreement", "number"], name="econ_activity_uniq")
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.name}"


class EmployeeGroup(VersionedRow):
    number = models.PositiveIntegerField(_("employee group number"))
    name = models.CharField(_("name"), max_length=100)

    class Meta:
        verbose_name = _("e-conomic sandbox employee group")
        verbose_name_plural = _("e-conomic sandbox employee groups")
        ordering = ["agreement", "number"]
        constraints = [
            models.UniqueConstraint(fields=["agreement", "number"], name="econ_empgroup_uniq")
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.name}"


class TimeEntry(VersionedRow):
    """Hours one employee recorded on a project and activity; approved ones are locked."""

    number = models.PositiveIntegerField(_("time entry number"))
    project_number = models.PositiveIntegerField(_("project number"))
    activity_number = models.PositiveIntegerField(_("activity number"))
    employee_number = models.PositiveIntegerField(_("employee number"))
    date = models.DateField(_("date"))
    text = models.CharField(_("text"), max_length=1000, blank=True)
    number_of_hours = models.DecimalField(
        _("hours"), max_digits=10, decimal_places=2, null=True, blank=True
    )
    is_approved = models.BooleanField(_("approved"), default=False)
    is_reconciled = models.BooleanField(_("reconciled"), default=False)
    last_updated = models.DateTimeField(_("last updated"))

    class Meta:
        verbose_name = _("e-conomic sandbox time entry")
        verbose_name_plural = _("e-conomic sandbox time entries")
        ordering = ["agreement", "number"]
        indexes = [
            models.Index(
                fields=["agreement", "last_updated", "number"], name="econ_timeentry_updated_idx"
            ),
            models.Index(fields=["agreement", "project_number"], name="econ_timeentry_proj_idx"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["agreement", "number"], name="econ_timeentry_uniq")
        ]

    def __str__(self) -> str:
        return f"{self.number} ({self.date}, {self.number_of_hours} h)"


class DraftInvoice(VersionedRow):
    """A draft invoice made through the invoicing service; the sandbox never books it."""

    number = models.PositiveIntegerField(_("draft invoice number"))
    customer_number = models.PositiveIntegerField(_("customer number"))
    customer_name = models.CharField(_("customer name"), max_length=255)
    customer_address = models.CharField(_("customer address"), max_length=255, blank=True)
    customer_postal_code = models.CharField(_("customer postal code"), max_length=50, blank=True)
    customer_city = models.CharField(_("customer city"), max_length=250, blank=True)
    customer_country = models.CharField(_("customer country"), max_length=50, blank=True)
    date = models.DateField(_("date"))
    due_date = models.DateField(_("due date"), null=True, blank=True)
    currency_code = models.CharField(_("currency"), max_length=3)
    exchange_rate = models.DecimalField(
        _("exchange rate"), max_digits=12, decimal_places=6, null=True, blank=True
    )
    layout_number = models.PositiveIntegerField(_("layout number"))
    term_of_payment_number = models.PositiveIntegerField(_("payment terms number"))
    vat_zone_number = models.PositiveIntegerField(_("VAT zone number"))
    is_vat_included = models.BooleanField(_("prices include VAT"), default=False)
    project_number = models.PositiveIntegerField(_("project number"), null=True, blank=True)
    heading = models.CharField(_("heading"), max_length=250, blank=True)
    other_reference = models.CharField(_("other reference"), max_length=250, blank=True)
    text_line1 = models.CharField(_("text line 1"), max_length=1000, blank=True)
    text_line2 = models.CharField(_("text line 2"), max_length=1000, blank=True)
    external_id = models.CharField(_("external id"), max_length=50, blank=True)
    amount = models.DecimalField(_("net amount"), max_digits=16, decimal_places=2, default=0)
    vat_amount = models.DecimalField(_("VAT amount"), max_digits=16, decimal_places=2, default=0)
    amount_in_base_currency = models.DecimalField(
        _("net amount in base currency"), max_digits=16, decimal_places=2, default=0
    )
    rounding_amount = models.DecimalField(_("rounding"), max_digits=16, decimal_places=2, default=0)
    total_cost_price_in_base_currency = models.DecimalField(
        _("total cost price"), max_digits=16, decimal_places=2, default=0
    )
    last_updated = models.DateTimeField(_("last updated"))

    class Meta:
        verbose_name = _("e-conomic sandbox draft invoice")
        verbose_name_plural = _("e-conomic sandbox draft invoices")
        ordering = ["agreement", "number"]
        constraints = [
            models.UniqueConstraint(fields=["agreement", "number"], name="econ_draftinv_uniq")
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.customer_name}"


class DraftInvoiceLine(VersionedRow):
    """One line of a draft invoice: a product, a quantity and a price."""

    draft = models.ForeignKey(
        DraftInvoice, on_delete=models.CASCADE, related_name="lines", verbose_name=_("draft")
    )
    number = models.PositiveIntegerField(_("line number"))
    position = models.PositiveIntegerField(_("position on the draft"), default=1)
    product_number = models.CharField(_("product number"), max_length=25, blank=True)
    description = models.CharField(_("description"), max_length=2500, blank=True)
    quantity = models.DecimalField(
        _("quantity"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    unit_number = models.PositiveIntegerField(_("unit number"), null=True, blank=True)
    unit_net_price = models.DecimalField(
        _("unit net price"), max_digits=16, decimal_places=2, null=True, blank=True
    )
    unit_cost_price = models.DecimalField(
        _("unit cost price"), max_digits=16, decimal_places=2, null=True, blank=True
    )
    discount_percentage = models.DecimalField(
        _("discount %"), max_digits=6, decimal_places=2, null=True, blank=True
    )
    total_net_amount = models.DecimalField(
        _("total net amount"), max_digits=16, decimal_places=2, default=0
    )

    class Meta:
        verbose_name = _("e-conomic sandbox draft invoice line")
        verbose_name_plural = _("e-conomic sandbox draft invoice lines")
        ordering = ["draft", "position"]
        constraints = [
            models.UniqueConstraint(fields=["agreement", "number"], name="econ_draftline_uniq")
        ]

    def __str__(self) -> str:
        return f"{self.position}: {self.product_number} {self.description[:40]}"


# Webhooks (webhooksapi): their own module, one migration history with the rest.
from .models_webhooks import Delivery, Webhook, WebhookKnobs  # noqa: E402, F401
