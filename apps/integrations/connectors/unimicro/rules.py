"""Unimicro's sync rules both the spec and the connector read (a leaf module: no import
circle): capabilities, the overlap of an incremental pull and the time cursors."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from apps.integrations.connectors.base import Capabilities, Entity
from apps.integrations.connectors.unimicro import DEFAULT_OVERLAP, SYSTEM, WATERMARK_RESOLUTION

OVERLAP = DEFAULT_OVERLAP

# Tidsbro is the master of customers and projects (pushed); Unimicro's records are pulled to
# pair them on the first transfer and to report changes made there as conflicts. Users are
# pulled to link people (their workers get the hours).
CAPABILITIES = Capabilities(
    system=SYSTEM,
    pull=frozenset({Entity.USER, Entity.CUSTOMER, Entity.PROJECT, Entity.TASK, Entity.WORK_TYPE}),
    push=frozenset({Entity.CUSTOMER, Entity.PROJECT, Entity.TASK, Entity.WORK_TYPE, Entity.HOUR}),
    delete=frozenset({Entity.HOUR}),
    incremental=frozenset({Entity.CUSTOMER, Entity.PROJECT, Entity.TASK, Entity.WORK_TYPE}),
    reports_deletions=frozenset(),
    watermark_resolution=WATERMARK_RESOLUTION,
    requests_per_hour=None,
    notes={
        Entity.CUSTOMER: _(
            "Tidsbro is the master of customers: a customer made here is made in Unimicro with "
            "the same number; a change made in Unimicro is shown as a conflict."
        ),
        Entity.USER: _(
            "Unimicro keeps its users: Tidsbro links them to its own users and never changes them."
        ),
    },
)
