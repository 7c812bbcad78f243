"""Plain records the 24SevenOffice client returns and accepts — never zeep objects.

Conventions, so callers never meet the SOAP quirks:

- datetimes are timezone-aware UTC (24SO speaks UTC; its "no date" `0001-01-01` is `None`);
- ids that 24SO leaves at 0 or Int32.MinValue ("not set") are `None`;
- TriState (`none`/`True`/`False`, plus `unknown` in TimeService) is `bool | None`;
- money and hours are `Decimal`; collections are tuples, empty when 24SO sends nothing;
- records used for writes leave `id=None` to create and set it to update.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Literal
from uuid import UUID

NameDisplay = Literal["Plain", "Company_Project", "Project_Company"]
TimeReg = Literal["WorkType", "Task"]
HourStatus = Literal["none", "Registered", "Locked", "Approved", "Rejected"]
CompanyType = Literal["None", "Lead", "Consumer", "Business", "Supplier"]


# AUTHENTICATION AND CLIENT
# ------------------------------------------------------------------------------
@dataclass(frozen=True, kw_only=True)
class Credentials:
    """A 24SO community login; `identity_id` picks the client, else the login's default."""

    username: str
    password: str = field(repr=False)
    identity_id: UUID | None = None


@dataclass(frozen=True, kw_only=True)
class Identity:
    """A (login × client) pair the user may work as."""

    id: UUID
    client_id: int
    client_name: str
    user_id: UUID | None = None
    user_name: str = ""
    contact_id: int | None = None
    employee_id: int | None = None
    is_current: bool = False
    is_default: bool = False
    is_disabled: bool = False


@dataclass(frozen=True, kw_only=True)
class Address:
    street: str = ""
    postal_code: str = ""
    postal_area: str = ""
    city: str = ""
    state: str = ""
    country: str = ""
    name: str = ""


@dataclass(frozen=True, kw_only=True)
class ClientInfo:
    """The company (24SO "client") the session works in."""

    name: str
    organization_number: str = ""
    country: str = ""
    default_currency: str = ""
    email: str = ""
    phone: str = ""
    user_id: int | None = None
    post_address: Address | None = None


@dataclass(frozen=True, kw_only=True)
class User:
    """A user of the client: who can register hours (`contact_id` is the hour's ContactId)."""

    id: UUID | None
    contact_id: int | None
    name: str
    employee_id: int | None = None


# CRM
# ------------------------------------------------------------------------------
@dataclass(frozen=True, kw_only=True)
class Company:
    """A customer (or supplier, lead) in the CRM; `id` is the customer number."""

    id: int | None = None
    name: str = ""
    external_id: str = ""
    organization_number: str = ""
    type: CompanyType | None = None
    first_name: str = ""
    email: str = ""
    invoice_email: str = ""
    phone: str = ""
    mobile: str = ""
    url: str = ""
    country: str = ""
    note: str = ""
    status: int | None = None
    post_address: Address | None = None
    visit_address: Address | None = None
    invoice_address: Address | None = None
    date_created: datetime | None = None
    date_changed: datetime | None = None


@dataclass(frozen=True, kw_only=True)
class SyncCompany:
    """One line of the company sync feed; `active=False` means deleted in 24SO."""

    id: int
    external_id: str
    active: bool
    date_changed: datetime | None = None
    date_registered: datetime | None = None


@dataclass(frozen=True, kw_only=True)
class CompanySyncPage:
    items: tuple[SyncCompany, ...]
    page: int
    total_pages: int
    total_items: int
    items_per_page: int

    @property
    def has_next(self) -> bool:
        return self.page < self.total_pages


@dataclass(frozen=True, kw_only=True)
class Person:
    """A contact person; employees have an `employee_id`."""

    id: int
    first_name: str = ""
    last_name: str = ""
    email: str = ""
    phone: str = ""
    mobile: str = ""
    customer_id: int | None = None
    employee_id: int | None = None
    employee_number: int | None = None
    date_changed: datetime | None = None

    @property
    def name(self) -> str:
        return " ".join(part for part in (self.first_name, self.last_name) if part)


# PROJECTS
# ------------------------------------------------------------------------------
@dataclass(frozen=True, kw_only=True)
class Project:
    """A project; `id` is the project number 24SO assigns (leave it None to create)."""

    id: int | None = None
    name: str = ""
    customer_id: int | None = None
    customer_name: str = ""
    description: str = ""
    status_id: int | None = None
    status_name: str = ""
    type_id: int | None = None
    date_start: datetime | None = None
    date_stop: datetime | None = None
    work_type_id: int | None = None
    need_approval: bool | None = None
    # 24SO demands both on every save although they rarely matter to us.
    name_display: NameDisplay = "Plain"
    time_reg: TimeReg = "WorkType"
    # 1 = open to every employee, 2 = rights-managed (only participants; tasks possible).
    version: int | None = None
    department_id: int | None = None
    owner_id: int | None = None
    participants: tuple[int, ...] = ()
    budget_hours: Decimal | None = None
    fixed_price: bool | None = None
    date_changed: datetime | None = None
    date_registered: datetime | None = None
    # True from the active lists, False from the deactivated list, None when not known
    # (a single project); never sent: 24SO deactivates through a status with Active=false.
    active: bool | None = None


@dataclass(frozen=True, kw_only=True)
class ProjectStatus:
    id: int
    name: str
    active: bool


@dataclass(frozen=True, kw_only=True)
class ProjectRole:
    id: int
    name: str
    parent_id: int | None = None


@dataclass(frozen=True, kw_only=True)
class Task:
    """A project task; `participants` are the contact ids assigned to it."""

    id: int | None = None
    project_id: int | None = None
    name: str = ""
    description: str = ""
    date_start: datetime | None = None
    date_stop: datetime | None = None
    status: int | None = None
    priority: int | None = None
    work_type_id: int | None = None
    estimate: int | None = None
    registered_hours: Decimal | None = None
    parent_id: int | None = None
    category_id: int | None = None
    sub_status: str = ""
    participants: tuple[int, ...] = ()
    project_name: str = ""


@dataclass(frozen=True, kw_only=True)
class Participant:
    """A member of a project with its role and invitation state."""

    project_id: int
    contact_id: int
    name: str = ""
    role: ProjectRole | None = None
    state: int | None = None
    state_name: str = ""


# TIME
# ------------------------------------------------------------------------------
@dataclass(frozen=True, kw_only=True)
class WorkType:
    id: int
    name: str
    description: str = ""
    invoiceable: bool = False
    price: Decimal | None = None
    product_id: int | None = None


@dataclass(frozen=True, kw_only=True)
class Hour:
    """A registered hour; `contact_id` is the person who worked (User.contact_id)."""

    id: int | None = None
    contact_id: int | None = None
    project_id: int | None = None
    type_of_work_id: int | None = None
    task_id: int | None = None
    customer_id: int | None = None
    start_time: datetime | None = None
    stop_time: datetime | None = None
    total_hours: Decimal | None = None
    total_hours_invoice: Decimal | None = None
    description: str = ""
    internal_note: str = ""
    locked: bool | None = None
    approved: bool | None = None
    approved_by: int | None = None
    need_approval: bool | None = None
    salary_type_id: int | None = None
    order_id: int | None = None
    price: Decimal | None = None


@dataclass(frozen=True, kw_only=True)
class HourSearch:
    """Filters for `get_hours`.

    `changed_after`/`registered_after` are compared by 24SO at minute resolution (seconds are
    ignored): pass a watermark minus an overlap of at least one minute and dedupe by id.
    `hour_ids` takes at most 1000 ids per call.
    """

    start_time: datetime | None = None
    stop_time: datetime | None = None
    contact_id: int | None = None
    project_id: int | None = None
    status: HourStatus | None = None
    changed_after: datetime | None = None
    registered_after: datetime | None = None
    type_of_work_id: int | None = None
    hour_ids: tuple[int, ...] = ()
    include_salary_type: bool | None = None


# ORDERS
# ------------------------------------------------------------------------------
@dataclass(frozen=True, kw_only=True)
class InvoiceOrderLine:
    product_id: int | None = None
    name: str = ""
    quantity: Decimal | None = None
    price: Decimal | None = None
    discount_rate: Decimal | None = None
    row_id: int | None = None
    project_id: int | None = None
    department_id: int | None = None
    vat_rate: Decimal | None = None
    type: Literal["Normal", "Text", "TextBold"] = "Normal"


@dataclass(frozen=True, kw_only=True)
class InvoiceOrder:
    """A sales order (or invoice); `order_status` is 24SO's OrderSlipStateType."""

    order_id: int | None = None
    customer_id: int | None = None
    customer_name: str = ""
    project_id: int | None = None
    department_id: int | None = None
    order_status: str = "Draft"
    invoice_id: int | None = None
    date_ordered: datetime | None = None
    date_invoiced: datetime | None = None
    date_changed: datetime | None = None
    our_reference: int | None = None
    your_reference: str = ""
    customer_reference_no: str = ""
    invoice_title: str = ""
    invoice_text: str = ""
    total_inc_vat: Decimal | None = None
    total_vat: Decimal | None = None
    lines: tuple[InvoiceOrderLine, ...] = ()


# WRITES AND CALLS
# ------------------------------------------------------------------------------
@dataclass(frozen=True, kw_only=True)
class CallRecord:
    """One HTTP request the client made, for run histories: no payloads, no secrets."""

    service: str
    operation: str
    started_at: datetime
    duration_ms: int
    # The connector error's class name ("SessionExpired" when a re-login followed); "" = ok.
    error: str = ""
    message: str = ""

    @property
    def ok(self) -> bool:
        return not self.error


@dataclass(frozen=True, kw_only=True)
class SaveResult:
    """Outcome of saving one item of a batch: its id, or the reasons 24SO gave."""

    id: int | None
    messages: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.messages and self.id is not None
