"""What every 24SO service module of the sandbox shares: the call, the handler registry and
small conversions of zeep values."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from ..models import Client, Identity, Knobs, Login, Session
from ..soap import SoapFault


@dataclass
class Call:
    service: str
    operation: str
    params: dict[str, Any]
    knobs: Knobs
    now: dt.datetime
    session: Session | None = None
    # Set by Login so the view can send the ASP.NET_SessionId cookie.
    new_session_key: str | None = None

    @property
    def identity(self) -> Identity:
        assert self.session is not None
        return self.session.identity

    @property
    def client(self) -> Client:
        return self.identity.client

    @property
    def login(self) -> Login:
        return self.identity.login


@dataclass(frozen=True)
class Handler:
    func: Callable[[Call], Any]
    needs_session: bool


REGISTRY: dict[tuple[str, str], Handler] = {}


def operation(service: str, name: str, *, needs_session: bool = True):
    def register(func: Callable[[Call], Any]) -> Callable[[Call], Any]:
        REGISTRY[(service, name)] = Handler(func=func, needs_session=needs_session)
        return func

    return register


def handler_for(service: str, name: str) -> Handler:
    handler = REGISTRY.get((service, name))
    if handler is None:
        raise SoapFault(
            f"Server was unable to process request. ---> The 24SO sandbox does not implement "
            f"{name}."
        )
    return handler


# Small helpers shared by the services -----------------------------------------------------


def utc(value: dt.datetime | None) -> dt.datetime | None:
    """A timezone-aware UTC datetime (24SO's API is all UTC; naive values are read as UTC)."""
    if value is None:
        return None
    if timezone.is_naive(value):
        return value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC)


def out_dt(value: dt.datetime | None) -> dt.datetime | None:
    return value.astimezone(dt.UTC) if value is not None else None


def ints(array: Any, key: str = "int") -> list[int]:
    """The values of an ArrayOfInt-like wrapper (``{'int': [...]}``) as a list."""
    if array is None:
        return []
    values = array[key] if key in array else None
    return [int(v) for v in (values or []) if v is not None]


def get(obj: Any, key: str) -> Any:
    """A part of a zeep object, or None when the WSDL version has no such element."""
    if obj is None:
        return None
    try:
        return obj[key]
    except (KeyError, AttributeError, TypeError):
        return None


def values(array: Any, key: str) -> list[Any]:
    """The items of an ArrayOf… wrapper (``{'string': [...]}``) as a list."""
    if array is None:
        return []
    try:
        items = array[key]
    except (KeyError, AttributeError, TypeError):
        return []
    return [v for v in (items or []) if v is not None]


def plain(value: Any) -> Any:
    """A zeep object as plain dicts/lists, without the elements that were not sent."""
    from zeep.helpers import serialize_object

    data = serialize_object(value, dict)
    return _drop_none(data)


def _drop_none(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _drop_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_drop_none(v) for v in value]
    return value


def is_set(value: Any) -> bool:
    """.NET sends Int32.MinValue / 0 for "not given"; treat those like absent."""
    return value is not None and value > 0


def next_number(queryset, field_name: str, start: int) -> int:
    current = queryset.order_by(f"-{field_name}").values_list(field_name, flat=True).first()
    return max(current or 0, start - 1) + 1


def fault(message: str) -> SoapFault:
    return SoapFault(f"Server was unable to process request. ---> {message}")
