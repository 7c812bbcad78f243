"""Events the e-conomic sandbox raises when its data changes, for the webhooks API.

`emit(agreement, event_type, **merge_fields)` is called by the sandbox's writes (customers,
projects, time entries, draft invoices …) after they are stored; once the transaction commits,
`deliveries` queues a POST to the agreement's webhook for that event type, if it has one.

`EVENT_TYPES` is what `GET /EventTypes` lists: the events the sandbox raises and the merge
fields each one fills in a webhook's `postData` template (written `[CUSTOMERNUMBER]`).
e-conomic publishes its full list only at run time (API-NOTES §15); these names follow the two
it documents (`CUSTOMER_UPDATED`, `INVOICE_BOOKED`).
"""

from __future__ import annotations

from typing import Any

from django.db import transaction


def _fields(*pairs: tuple[str, str]) -> tuple[tuple[str, str], ...]:
    return pairs


_CUSTOMER = _fields(("CUSTOMERNUMBER", "The customer's number."))
_PROJECT = _fields(("PROJECTNUMBER", "The project's number."))
_TIME_ENTRY = _fields(("TIMEENTRYNUMBER", "The time entry's number."))
_ACTIVITY = _fields(("ACTIVITYNUMBER", "The activity's number."))
_EMPLOYEE = _fields(("EMPLOYEENUMBER", "The employee's number."))
_DRAFT = _fields(("DRAFTINVOICENUMBER", "The draft invoice's number."))

# name → (description, merge fields as (fieldName, description))
EVENT_TYPES: dict[str, tuple[str, tuple[tuple[str, str], ...]]] = {
    "CUSTOMER_CREATED": ("A customer was created.", _CUSTOMER),
    "CUSTOMER_UPDATED": ("A customer was changed.", _CUSTOMER),
    "CUSTOMER_DELETED": ("A customer was deleted.", _CUSTOMER),
    "PROJECT_CREATED": ("A project was created.", _PROJECT),
    "PROJECT_UPDATED": ("A project was changed.", _PROJECT),
    "PROJECT_DELETED": ("A project was deleted.", _PROJECT),
    "TIMEENTRY_CREATED": ("A time entry was registered.", _TIME_ENTRY),
    "TIMEENTRY_UPDATED": ("A time entry was changed.", _TIME_ENTRY),
    "TIMEENTRY_DELETED": ("A time entry was deleted.", _TIME_ENTRY),
    "TIMEENTRY_APPROVED": ("A time entry was approved.", _TIME_ENTRY),
    "ACTIVITY_CREATED": ("An activity was created.", _ACTIVITY),
    "ACTIVITY_UPDATED": ("An activity was changed.", _ACTIVITY),
    "EMPLOYEE_CREATED": ("An employee was created.", _EMPLOYEE),
    "EMPLOYEE_UPDATED": ("An employee was changed.", _EMPLOYEE),
    "DRAFTINVOICE_CREATED": ("A draft invoice was created.", _DRAFT),
}


def emit(agreement: Any, event_type: str, **merge_fields: Any) -> None:
    """Queues `event_type` for delivery once the current transaction commits (at once outside
    one); nothing happens when the agreement has no webhook for it."""
    agreement_id = getattr(agreement, "pk", agreement)
    fields = {name: value for name, value in merge_fields.items()}

    def queue() -> None:
        from . import deliveries

        deliveries.queue(agreement_id=agreement_id, event_type=event_type, fields=fields)

    # robust: a failing queue never turns the write that raised the event into an error.
    transaction.on_commit(queue, robust=True)
