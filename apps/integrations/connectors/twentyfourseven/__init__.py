"""24SevenOffice (24SO) connector: SOAP client (`client`), records (`types`), errors.

Importing this package is cheap; zeep is only loaded with `client`.
"""

from datetime import UTC, datetime, timedelta

from django.utils.translation import gettext_lazy as _

from apps.integrations.connectors.base import Capabilities, Entity

SYSTEM = "24so"
# How far back every incremental fetch reaches behind its watermark: 24SO compares
# ChangedAfter by the minute, and a record saved while the last run read is only visible later.
DEFAULT_OVERLAP = timedelta(minutes=2)

CAPABILITIES = Capabilities(
    system=SYSTEM,
    pull=frozenset(
        {
            Entity.CLIENT,
            Entity.USER,
            Entity.CUSTOMER,
            Entity.PERSON,
            Entity.PROJECT,
            Entity.PROJECT_STATUS,
            Entity.PROJECT_ROLE,
            Entity.PARTICIPANT,
            Entity.TASK,
            Entity.WORK_TYPE,
            Entity.HOUR,
            Entity.ORDER,
        }
    ),
    # Customers are pulled only: 24SevenOffice is their master (its CRM owns numbers, org
    # numbers and addresses), so the push side never writes companies.
    push=frozenset({Entity.PROJECT, Entity.TASK, Entity.HOUR, Entity.ORDER}),
    delete=frozenset({Entity.HOUR}),
    incremental=frozenset(
        {
            Entity.CUSTOMER,
            Entity.PERSON,
            Entity.PROJECT,
            Entity.PARTICIPANT,
            Entity.HOUR,
            Entity.ORDER,
        }
    ),
    reports_deletions=frozenset({Entity.CUSTOMER}),
    # ChangedAfter ignores seconds: overlap every watermark by at least a minute.
    watermark_resolution=timedelta(minutes=1),
    requests_per_hour=7200,
    notes={
        Entity.CUSTOMER: _(
            "Customers are kept in 24SevenOffice; create and change them there and fetch them."
        ),
        Entity.WORK_TYPE: _(
            "24SevenOffice's API cannot create or change work types; create them in "
            "24SevenOffice and fetch them."
        ),
        Entity.USER: _("24SevenOffice's API cannot create users; they are fetched only."),
        Entity.PROJECT: _(
            "24SevenOffice's API cannot delete projects; deactivate them with a status instead."
        ),
        Entity.TASK: _("24SevenOffice's API cannot delete project tasks."),
        Entity.PROJECT_ROLE: _("24SevenOffice's API cannot set a participant's project role."),
    },
)


def changed_after(watermark: datetime, *, overlap: timedelta = DEFAULT_OVERLAP) -> datetime:
    """The ChangedAfter to send for a watermark: `overlap` earlier, on a whole minute, UTC.

    Records seen twice are expected (dedupe by id); records missed are not.
    """
    if watermark.tzinfo is None or watermark.utcoffset() is None:
        raise ValueError("watermarks must be timezone-aware")
    return (watermark.astimezone(UTC) - overlap).replace(second=0, microsecond=0)
