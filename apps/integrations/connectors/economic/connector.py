"""The sync engine's e-conomic connector: customers both ways through the classic REST API.

- Pull: `GET /customers` sorted by `lastUpdated,customerNumber`, 1,000 a page, from the
  cursor less `OVERLAP` (`lastUpdated$gte`); the next cursor is the latest `lastUpdated`
  seen (e-conomic's clock, not ours).
- Push: a create is a `POST /customers` with an `Idempotency-Key`, with the number the office
  typed (or none: e-conomic gives the next free one); an update is read-modify-write: the
  current document, the canonical values applied (`mappers.to_remote`), `PUT` — so a PUT
  never clears what Tidsbro does not hold. Deactivating bars; nothing is ever DELETEd.
- Identity: e-conomic reuses the numbers of deleted customers. Before a record is handed to
  the engine for a number Tidsbro already has a binding for, its fingerprint is compared
  with the binding's snapshot: a different customer under the same number is never paired
  (the record is held back and the binding's `flagged` says why).
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

from django.utils.translation import gettext

from apps.integrations.connectors.base import Entity, Rejected
from apps.integrations.connectors.economic import SYSTEM
from apps.integrations.connectors.economic.rules import (
    CAPABILITIES,
    OVERLAP,
    cursor_text,
    parse_time,
)
from apps.integrations.sync.types import RemoteRecord

logger = logging.getLogger(__name__)

CUSTOMER = Entity.CUSTOMER.value
# e-conomic's largest page: a pull of 5,000 customers is five requests.
PAGE_SIZE = 1000
# A customer number e-conomic accepts (API-NOTES §10.1).
MAX_NUMBER = 999_999_999
# Held back records' bindings say this (the flag is how screens know).
REUSED_FLAG = "number_reused"
# Object types beside customers, and the module of this package that moves them (each module
# has the connector's calls as functions taking the connector first: fetch, next_cursor,
# fetch_ids, fetch_one, find, found_values, create, update, delete).
ENTITY_MODULES = {
    Entity.USER.value: "projects",
    Entity.WORK_TYPE.value: "projects",
    Entity.PROJECT.value: "projects",
    Entity.HOUR.value: "hours",
}


def client_for(connection: Any, **overrides: Any) -> Any:
    """A client for the connection's agreement (the app secret comes from the settings)."""
    from apps.integrations.connectors.economic.client import EconomicClient

    credentials = getattr(connection, "credentials_doc", None) or {}
    overrides.setdefault("agreement_grant_token", credentials.get("agreement_grant_token", ""))
    return EconomicClient(**overrides)


def settings_of(connection: Any) -> dict[str, Any]:
    return dict(getattr(connection, "settings", None) or {})


def idempotency_key(connection: Any, values: dict[str, Any]) -> str:
    """A stable key for creating this customer: the same customer asked again (a retry after
    an unknown outcome) replays e-conomic's first answer instead of creating a second one.

    Made of the connection and what identifies the customer here (number, or name and
    organisation number and e-mail); e-conomic keeps a key for an hour."""
    identity = {
        "connection": getattr(connection, "pk", None),
        "number": str(values.get("number") or ""),
        "name": str(values.get("name") or "").strip().casefold(),
        "organisation_number": str(values.get("organisation_number") or ""),
        "email": str(values.get("email") or "").casefold(),
    }
    digest = hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()
    return f"tidsbro-customer-{digest[:40]}"


def requested_number(values: dict[str, Any]) -> int | None:
    """The customer number the office typed, as e-conomic takes it; None for "next free".

    Refuses (with the reason) a number e-conomic cannot hold."""
    raw = str(values.get("number") or "").strip()
    if not raw:
        return None
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_NUMBER:
        raise Rejected(
            gettext(
                "e-conomic customer numbers are whole numbers from 1 to 999999999; "
                "“%(number)s” cannot be used there."
            )
            % {"number": raw},
            operation="create customer",
        )
    return int(raw)


def same_customer(before: dict[str, Any], now: dict[str, Any], *, strict: bool = False) -> bool:
    """Whether `now` (canonical values under a number) is still the customer `before` was.

    Pure. The same fingerprint (name and organisation number) is the same customer. With
    `strict` (the number was missing in e-conomic, i.e. deleted: e-conomic has no undelete, so
    a number coming back is a new customer unless it is the very same one) nothing else counts.
    Otherwise it takes evidence to call it another customer, since a rename is an ordinary
    edit: the name changed and so did the organisation number or the e-mail (set before and
    now, and different), with nothing identifying left the same."""
    from apps.integrations.connectors.economic.mappers import customer_fingerprint

    if not before or customer_fingerprint(before) == customer_fingerprint(now):
        return True
    if strict:
        return False

    def norm(values: dict[str, Any], name: str) -> str:
        return " ".join(str(values.get(name) or "").split()).casefold()

    identifying = ("name", "organisation_number", "email")
    if any(norm(before, n) and norm(before, n) == norm(now, n) for n in identifying):
        return True
    return not any(
        norm(before, n) and norm(now, n) and norm(before, n) != norm(now, n)
        for n in ("organisation_number", "email")
    )


def defaults_of(connection: Any) -> Any:
    """What a new e-conomic customer gets for the required fields Tidsbro does not hold."""
    from apps.integrations.connectors.economic.mappers import CustomerDefaults

    settings = settings_of(connection)
    return CustomerDefaults(
        customer_group=settings.get("customer_group"),
        payment_terms=settings.get("payment_terms"),
        vat_zone=settings.get("vat_zone"),
        currency=str(settings.get("currency") or ""),
        layout=settings.get("layout"),
    )


class EconomicConnector:
    capabilities = CAPABILITIES
    system = SYSTEM

    def __init__(self, connection: Any, **client_overrides: Any) -> None:
        self.connection = connection
        self.client = client_for(connection, **client_overrides)
        self._client_overrides = dict(client_overrides)
        self._apis: Any = None
        # The latest `lastUpdated` the last fetch saw, and where it started.
        self._seen: datetime | None = None
        self._since: datetime | None = None
        # Documents read by `fetch_one`, kept for the `update` that follows it (one GET for
        # the push's merge and the read-modify-write).
        self._documents: dict[str, dict[str, Any]] = {}

    @property
    def requests(self) -> int:
        return self.client.requests + (self._apis.requests if self._apis is not None else 0)

    def close(self) -> None:
        self.client.close()
        if self._apis is not None:
            self._apis.close()

    def _check(self, entity: str) -> None:
        if entity != CUSTOMER:
            raise Rejected(
                gettext(
                    "e-conomic can keep customers, users, work types, projects and hours in "
                    "step with Tidsbro, not project members: e-conomic's API has no project "
                    "membership."
                ),
                operation=f"{entity}",
            )

    def _module(self, entity: str) -> Any | None:
        """The module that handles `entity` through e-conomic's OpenAPI services (projects,
        activities, employees: `projects`; time entries: `hours`), or None for customers
        (this class, the classic REST API)."""
        if entity == CUSTOMER:
            return None
        name = ENTITY_MODULES.get(entity)
        if name is None:
            self._check(entity)
        from importlib import import_module

        return import_module(f"apps.integrations.connectors.economic.{name}")

    @property
    def apis(self) -> Any:
        """The client of e-conomic's OpenAPI services for this agreement (made when first
        used; closed with the connector)."""
        if self._apis is None:
            from apps.integrations.connectors.economic.apis import apis_for

            self._apis = apis_for(self.connection, **self._client_overrides)
        return self._apis

    # --- pull -----------------------------------------------------------------------------
    def fetch(self, entity: str, *, since: datetime | str | None) -> Iterator[list[RemoteRecord]]:
        """Pages of customers changed since `since` (a cursor or a time) less the overlap."""
        from apps.integrations.connectors.economic import mappers

        module = self._module(entity)
        if module is not None:
            yield from module.fetch(self, entity, since=since)
            return
        self._check(entity)
        moment = parse_time(since) if isinstance(since, str) else since
        self._since = moment
        self._seen = None
        start = moment - OVERLAP if moment is not None else None
        for page in self.client.iter_customer_pages(changed_since=start, page_size=PAGE_SIZE):
            records = []
            for customer in page.customers:
                if customer.last_updated is not None and (
                    self._seen is None or customer.last_updated > self._seen
                ):
                    self._seen = customer.last_updated
                records.append(
                    RemoteRecord(
                        external_id=customer.external_id,
                        values=mappers.customer_from_remote(customer.document),
                        changed_at=customer.last_updated,
                    )
                )
            yield self.hold_back_own_creates(self.hold_back_reused(records))

    def next_cursor(self, entity: str, run_started: datetime) -> str:
        """Where the next pull starts: the latest `lastUpdated` the fetch saw (e-conomic's
        clock), else where this one started, else the run's start."""
        module = self._module(entity)
        if module is not None:
            return module.next_cursor(self, entity, run_started)
        moment = self._seen or self._since or run_started
        if self._since is not None and moment < self._since:
            moment = self._since
        return cursor_text(moment)

    def fetch_ids(self, entity: str) -> set[str]:
        """Every customer number in e-conomic now (the nightly reconciliation)."""
        module = self._module(entity)
        if module is not None:
            return module.fetch_ids(self, entity)
        self._check(entity)
        return {c.external_id for c in self.client.iter_customers(page_size=PAGE_SIZE)}

    def fetch_one(self, entity: str, external_id: str) -> RemoteRecord | None:
        from apps.integrations.connectors.economic import mappers

        module = self._module(entity)
        if module is not None:
            return module.fetch_one(self, entity, external_id)
        self._check(entity)
        customer = self.client.get_customer(int(external_id))
        if customer is None:
            return None
        # Only the latest read is kept: the update that follows it in a push uses it.
        self._documents = {customer.external_id: customer.document}
        record = RemoteRecord(
            external_id=customer.external_id,
            values=mappers.customer_from_remote(customer.document),
            changed_at=customer.last_updated,
        )
        kept = self.hold_back_reused([record])
        return kept[0] if kept else None

    def hold_back_own_creates(self, records: Sequence[RemoteRecord]) -> list[RemoteRecord]:
        """`records` less the customers a create of ours whose answer was lost may have made
        (an outbox item "outcome unknown" for a Tidsbro customer with the same name and
        organisation number, and no binding yet): the retried create pairs them (its
        Idempotency-Key returns the same customer); importing them here would make a second
        Tidsbro customer. Two queries when creates are unsure, one otherwise."""
        from apps.integrations.connectors.economic.mappers import customer_fingerprint
        from apps.integrations.sync.unsure import hold_back_unsure_creates

        return hold_back_unsure_creates(self.connection, CUSTOMER, records, customer_fingerprint)

    def hold_back_reused(self, records: Sequence[RemoteRecord]) -> list[RemoteRecord]:
        """`records` less those whose number now belongs to a different customer than the
        Tidsbro record bound to it (e-conomic reuses deleted customers' numbers); each such
        binding is flagged with the reason. One query."""
        from apps.integrations.models import Binding

        if not records:
            return []
        bindings = {
            b.external_id: b
            for b in Binding.objects.filter(
                connection=self.connection,
                entity=CUSTOMER,
                external_id__in=[r.external_id for r in records],
                local_id__isnull=False,
            )
        }
        kept = []
        for record in records:
            binding = bindings.get(record.external_id)
            strict = binding is not None and binding.state == Binding.State.MISSING_REMOTELY
            if binding is None or same_customer(
                binding.snapshot or {}, record.values, strict=strict
            ):
                kept.append(record)
                continue
            flag = gettext(
                "e-conomic gave customer number %(number)s to another customer (%(name)s); "
                "this one was deleted there and is not paired with it."
            ) % {"number": record.external_id, "name": record.values.get("name") or "?"}
            if binding.flagged != flag[:255]:
                Binding.objects.filter(pk=binding.pk).update(flagged=flag[:255])
            logger.info(
                "e-conomic customer %s is a different customer now: not paired again",
                record.external_id,
            )
        return kept

    # --- push -----------------------------------------------------------------------------
    def find(self, entity: str, values: dict[str, Any]) -> str | None:
        """The customer a create whose outcome is unknown made, or None.

        By the number it asked for (when the office typed one) and the same customer under
        it; without a number the retried create's Idempotency-Key finds it (e-conomic
        answers a repeated key with the first result)."""
        module = self._module(entity)
        if module is not None:
            return module.find(self, entity, values)
        self._check(entity)
        number = requested_number(values)
        if number is None:
            return None
        record = self.fetch_one(entity, str(number))
        if record is None:
            return None
        # Ours only if it is what we sent (name and organisation number): a customer someone
        # else made under that number meanwhile is not taken over.
        return record.external_id if same_customer(values, record.values, strict=True) else None

    def found_values(self, entity: str, external_id: str, values: dict[str, Any]) -> dict[str, Any]:
        module = self._module(entity)
        if module is not None:
            return module.found_values(self, entity, external_id, values)
        return {"number": str(external_id)}

    def create(
        self, entity: str, values: dict[str, Any], *, key: str = ""
    ) -> tuple[str, dict[str, Any]]:
        """Creates the customer in e-conomic; returns its number (also as `number`)."""
        from apps.integrations.connectors.economic import mappers

        module = self._module(entity)
        if module is not None:
            return module.create(self, entity, values, key=key)
        self._check(entity)
        number = requested_number(values)
        document = mappers.to_remote(values, current=None, defaults=defaults_of(self.connection))
        if number is None:
            document.pop("customerNumber", None)
        else:
            document["customerNumber"] = number
        customer = self.client.create_customer(
            document, idempotency_key=key or idempotency_key(self.connection, values)
        )
        # A retried create under the same key gets e-conomic's first answer: the customer as
        # it was sent then. Values changed here since are written now, so the binding's
        # snapshot (the values sent) is what e-conomic holds.
        held = mappers.customer_from_remote(customer.document)
        stale = [
            f
            for f in mappers.HELD_FIELDS
            if f in values and f != "number" and held.get(f) != values.get(f)
        ]
        if stale:
            self.update(entity, customer.external_id, values)
        return customer.external_id, {"number": customer.external_id}

    def update(self, entity: str, external_id: str, values: dict[str, Any]) -> dict[str, Any]:
        """Read-modify-write: e-conomic's current document with the canonical values applied,
        written back whole (a PUT clears what it omits)."""
        from apps.integrations.connectors.economic import mappers

        module = self._module(entity)
        if module is not None:
            return module.update(self, entity, external_id, values)
        self._check(entity)
        number = str(values.get("number") or "")
        if number and number != str(external_id):
            # The customer number is e-conomic's key: it cannot change there.
            raise Rejected(
                gettext(
                    "e-conomic cannot change a customer's number (%(old)s to %(new)s). Change "
                    "it back here, or stop the sync of this customer and create its partner "
                    "with the new number."
                )
                % {"old": external_id, "new": number},
                operation="update customer",
            )
        current = self._documents.pop(str(external_id), None)
        if current is None:
            customer = self.client.get_customer(int(external_id))
            if customer is None:
                # A PUT would create it again under this number: refuse instead.
                raise Rejected(
                    gettext(
                        "Customer %(number)s no longer exists in e-conomic; it is not created "
                        "again by a change here."
                    )
                    % {"number": external_id},
                    operation="update customer",
                )
            current = customer.document
        record = RemoteRecord(
            external_id=str(external_id), values=mappers.customer_from_remote(current)
        )
        if not self.hold_back_reused([record]):
            raise Rejected(
                gettext(
                    "e-conomic gave customer number %(number)s to another customer; the change "
                    "is not written over it."
                )
                % {"number": external_id},
                operation="update customer",
            )
        document = mappers.to_remote(values, current=current, defaults=defaults_of(self.connection))
        document["customerNumber"] = int(external_id)
        self.client.update_customer(int(external_id), document)
        return {}

    def finishes_push(self, entity: str) -> bool:
        """Whether a push batch of `entity` ends with a step of its own (hours: approval);
        the outbox then marks the batch's items done only after that step."""
        module = self._module(entity)
        return getattr(module, "finish_push", None) is not None if module is not None else False

    def finish_push(self, entity: str) -> None:
        """The end of a push batch: what the object type's module does for the whole batch
        at once (hours: one approval of every time entry written)."""
        module = self._module(entity)
        finish = getattr(module, "finish_push", None) if module is not None else None
        if finish is not None:
            finish(self, entity)

    def delete(self, entity: str, external_id: str) -> None:
        module = self._module(entity)
        if module is not None:
            module.delete(self, entity, external_id)
            return
        raise Rejected(
            gettext(
                "Customers are never deleted in e-conomic from Tidsbro; make the customer "
                "inactive and it is barred there."
            ),
            operation="delete customer",
        )
