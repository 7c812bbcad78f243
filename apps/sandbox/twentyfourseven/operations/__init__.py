"""The operations the sandbox implements, one module per 24SO service.

Each handler takes a :class:`Call` and returns the value of the operation's single output
part as plain dicts/lists, which the WSDL schema then serializes. What the service modules
share lives in `common` (they import it, never this package, so nothing imports in a circle).
"""

from __future__ import annotations

from .common import (
    REGISTRY,
    Call,
    Handler,
    fault,
    get,
    handler_for,
    ints,
    is_set,
    next_number,
    operation,
    out_dt,
    plain,
    utc,
    values,
)

__all__ = [
    "REGISTRY",
    "Call",
    "Handler",
    "fault",
    "get",
    "handler_for",
    "ints",
    "is_set",
    "load_all",
    "next_number",
    "operation",
    "out_dt",
    "plain",
    "utc",
    "values",
]


def load_all() -> None:
    """Imports every service module so their handlers register."""
    from . import auth, clients, companies, invoices, persons, projects, time  # noqa: F401
