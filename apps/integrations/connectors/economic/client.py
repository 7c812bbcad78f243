"""The e-conomic REST client: the only module that speaks e-conomic's wire protocol.

One `EconomicClient` per connection (app secret token × agreement grant token), used by one
thread at a time, on the shared HTTP base (`connectors.http.RestClient`): timeouts and a
call deadline, a size cap, both tokens redacted from every message and log line, 429 and
`Retry-After`, and the token-bucket budget e-conomic reports in `X-RateLimiting`.

The classic REST API (`/work/shared/reference/economic/API-NOTES.md`):
- collections are paged with `skippages`/`pagesize` (at most 1000) and sorted for a stable
  order; the client computes the next page itself and stops when `pagination.nextPage` is
  absent (a page link is never followed to another host);
- incremental customers: `filter=lastUpdated$gte:<UTC, whole seconds>`; pass the watermark
  less the overlap (`economic.DEFAULT_OVERLAP`);
- create = `POST /customers` with an `Idempotency-Key` (a repeat within the hour returns the
  first customer instead of a second one); update = `PUT /customers/{n}`, a full replace:
  callers send the whole merged document (`mappers.to_remote`); customers are retired with
  `barred`, never deleted;
- errors: e-conomic's error body (`message`, `errorCode`, annotated `errors`) and the newer
  services' problem+json become `Rejected.messages`.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

from django.conf import settings as django_settings

from apps.integrations.connectors.base import Rejected, Unavailable
from apps.integrations.connectors.economic import DEFAULT_API_BASE, SYSTEM
from apps.integrations.connectors.economic.mappers import (
    READ_ONLY,
    format_timestamp,
    parse_timestamp,
)
from apps.integrations.connectors.economic.types import (
    Agreement,
    Currency,
    Customer,
    CustomerGroup,
    CustomerPage,
    Employee,
    Layout,
    PaymentTerms,
    Product,
    VatZone,
)
from apps.integrations.connectors.http import (
    BudgetPolicy,
    CallRecord,
    HttpLimits,
    Reply,
    RestClient,
    TokenBucketPolicy,
    TokenBuckets,
)

log = logging.getLogger(__name__)

APP_SECRET_HEADER = "X-AppSecretToken"  # noqa: S105 - a header name, not a secret
GRANT_HEADER = "X-AgreementGrantToken"
MAX_PAGE_SIZE = 1000
T = TypeVar("T")


def _setting(name: str, default: Any) -> Any:
    value = getattr(django_settings, name, None)
    return default if value in (None, "") else value


def budget_key(app_secret_token: str, agreement_grant_token: str) -> str:
    """The key e-conomic's bucket is tracked under: a hash, never a token."""
    digest = hashlib.sha256(f"{app_secret_token}\x1f{agreement_grant_token}".encode())
    return f"{SYSTEM}:{digest.hexdigest()[:16]}"


class AgreementRestClient(RestClient):
    """The HTTP side both e-conomic surfaces share for one agreement: the two token headers
    (redacted everywhere), the limits from the settings and one token bucket per app ×
    agreement (both surfaces spend the same budget). Subclasses say where they live."""

    system = SYSTEM
    label = "e-conomic"
    user_agent = "Tidsbro e-conomic connector"

    def default_base_url(self) -> str:
        return _setting("ECONOMIC_API_BASE", DEFAULT_API_BASE)

    def __init__(
        self,
        *,
        agreement_grant_token: str,
        app_secret_token: str | None = None,
        base_url: str | None = None,
        limits: HttpLimits | None = None,
        budget: BudgetPolicy | None = None,
        buckets: TokenBuckets | None = None,
        on_request: Callable[[CallRecord], None] | None = None,
    ) -> None:
        app_secret = app_secret_token or _setting("ECONOMIC_APP_SECRET_TOKEN", "")
        if not app_secret:
            raise ValueError("an e-conomic app secret token is required")
        if not agreement_grant_token:
            raise ValueError("an e-conomic agreement grant token is required")
        super().__init__(
            base_url=base_url or self.default_base_url(),
            headers={APP_SECRET_HEADER: app_secret, GRANT_HEADER: agreement_grant_token},
            secret_headers=(APP_SECRET_HEADER, GRANT_HEADER),
            limits=limits
            or HttpLimits(
                connect_timeout=float(_setting("ECONOMIC_CONNECT_TIMEOUT", 5.0)),
                read_timeout=float(_setting("ECONOMIC_READ_TIMEOUT", 30.0)),
                deadline=float(_setting("ECONOMIC_CALL_DEADLINE", 60.0)),
                max_bytes=int(_setting("ECONOMIC_MAX_RESPONSE_BYTES", 20 * 1024 * 1024)),
            ),
            budget=budget
            or TokenBucketPolicy(
                key=budget_key(app_secret, agreement_grant_token),
                label=self.label,
                buckets=buckets,
            ),
            on_request=on_request,
        )


class EconomicClient(AgreementRestClient):
    """Typed calls to e-conomic's classic REST API for one agreement."""

    # ERRORS
    # --------------------------------------------------------------------------
    def error_messages(self, status: int, body: Any) -> tuple[str, ...]:
        """Reasons from e-conomic's error body: each annotated property error as
        "property: message (code)", else the top message (with its code)."""
        if not isinstance(body, Mapping):
            return ()
        found: list[str] = []
        errors = body.get("errors")
        if isinstance(errors, Mapping):
            _annotated(errors, [], found)
        elif isinstance(errors, list):  # problem+json (the OpenAPI services)
            for entry in errors:
                if isinstance(entry, Mapping):
                    found.append(_entry(entry, str(entry.get("property") or "")))
        if not found:
            top = body.get("message") or body.get("detail") or body.get("title")
            if isinstance(top, str) and top.strip():
                found.append(_with_code(top, body.get("errorCode")))
        return tuple(m for m in found if m)

    # AGREEMENT
    # --------------------------------------------------------------------------
    def get_self(self) -> Agreement:
        """The agreement the tokens open (one request; the "test connection" call)."""
        data = self.get("self")
        return self._map(
            "GET /self",
            lambda d: Agreement(
                agreement_number=_req_int(d.get("agreementNumber")),
                company_name=_str((d.get("company") or {}).get("name")),
                base_currency=_str((d.get("settings") or {}).get("baseCurrency")),
                user_name=_str((d.get("user") or {}).get("name")),
                user_email=_str((d.get("user") or {}).get("email")),
            ),
            data,
        )

    # CUSTOMERS
    # --------------------------------------------------------------------------
    def iter_customer_pages(
        self, *, changed_since: datetime | None = None, page_size: int = MAX_PAGE_SIZE
    ) -> Iterator[CustomerPage]:
        """Every customer (changed since `changed_since`, compared with `$gte`), a page per
        request, sorted by `lastUpdated` then number for incremental runs, by number else."""
        params: dict[str, Any] = {}
        if changed_since is not None:
            params["filter"] = f"lastUpdated$gte:{format_timestamp(changed_since)}"
            params["sort"] = "lastUpdated,customerNumber"
        else:
            params["sort"] = "customerNumber"
        for page, items, results, has_next in self._pages("customers", params, page_size):
            customers = self._map("GET /customers", lambda i: tuple(_customer(c) for c in i), items)
            yield CustomerPage(customers=customers, page=page, results=results, has_next=has_next)

    def iter_customers(
        self, *, changed_since: datetime | None = None, page_size: int = MAX_PAGE_SIZE
    ) -> Iterator[Customer]:
        for page in self.iter_customer_pages(changed_since=changed_since, page_size=page_size):
            yield from page.customers

    def list_customers(
        self, *, changed_since: datetime | None = None, page_size: int = MAX_PAGE_SIZE
    ) -> tuple[Customer, ...]:
        return tuple(self.iter_customers(changed_since=changed_since, page_size=page_size))

    def find_customers(
        self, *, name: str | None = None, organisation_number: str | None = None
    ) -> tuple[Customer, ...]:
        """Customers whose name and/or organisation number equal the given ones (e-conomic
        compares case-insensitively) — e.g. to find what a create with an unknown outcome
        made, once its Idempotency-Key has expired."""
        predicates = []
        if name and name.strip():
            predicates.append(f"name$eq:{filter_value(name.strip())}")
        if organisation_number and organisation_number.strip():
            predicates.append(
                f"corporateIdentificationNumber$eq:{filter_value(organisation_number.strip())}"
            )
        if not predicates:
            raise ValueError("finding customers needs a name or an organisation number")
        params = {"filter": "$and:".join(predicates), "sort": "customerNumber"}
        found: list[Customer] = []
        for _page, items, _results, _next in self._pages("customers", params, MAX_PAGE_SIZE):
            found.extend(self._map("GET /customers", lambda i: [_customer(c) for c in i], items))
        return tuple(found)

    def get_customer(self, number: int) -> Customer | None:
        """One customer, or None when e-conomic has no customer with that number."""
        reply = self.request("GET", f"customers/{_number(number)}", allow_not_found=True)
        if reply.data is None:
            return None
        return self._map(f"GET /customers/{number}", _customer, reply.data)

    def create_customer(self, document: Mapping[str, Any], *, idempotency_key: str) -> Customer:
        """POST a new customer (the full document, e.g. `mappers.to_remote(values, None, …)`).

        Keep `idempotency_key` with the pending write and send the same one when repeating
        it: within the hour e-conomic answers with the customer the first request made.
        """
        if not idempotency_key:
            raise ValueError("creating a customer needs an idempotency key")
        reply = self.request(
            "POST",
            "customers",
            json_body=_no_nulls(document, "POST /customers"),
            idempotency_key=idempotency_key,
        )
        if reply.headers.get("X-ResultFromCache", "").lower() == "true":
            log.info("e-conomic replayed an earlier create of customer (idempotency key)")
        return self._map("POST /customers", _customer, reply.data)

    def update_customer(
        self,
        number: int,
        document: Mapping[str, Any],
        *,
        idempotency_key: str | None = None,
    ) -> Customer:
        """PUT the full document (a replace: what it omits is cleared — send the document
        read with `get_customer` merged with the changes, `mappers.to_remote`)."""
        number = _number(number)
        operation = f"PUT /customers/{number}"
        body = dict(_no_nulls(document, operation))
        body["customerNumber"] = number
        reply = self.request(
            "PUT", f"customers/{number}", json_body=body, idempotency_key=idempotency_key
        )
        if reply.status == 201:
            # e-conomic creates on a PUT to a free number: it was deleted meanwhile.
            log.warning("e-conomic created customer %s on update (it no longer existed)", number)
        return self._map(operation, _customer, reply.data)

    def set_customer_barred(self, number: int, barred: bool = True) -> Customer:
        """Bar (or unbar) a customer: read, change `barred`, write back the whole document.
        e-conomic's way to retire a customer; Tidsbro never deletes them."""
        current = self.get_customer(number)
        if current is None:
            raise Rejected(
                f"e-conomic has no customer {number}", operation=f"PUT /customers/{number}"
            )
        document = {
            k: v for k, v in current.document.items() if v is not None and k not in READ_ONLY
        }
        if barred:
            document["barred"] = True
        else:
            document.pop("barred", None)
        return self.update_customer(number, document)

    # REFERENCE DATA (small: one page of 1000 each, re-read in full; no lastUpdated)
    # --------------------------------------------------------------------------
    def customer_groups(self) -> tuple[CustomerGroup, ...]:
        return self._all(
            "customer-groups",
            "customerGroupNumber",
            lambda d: CustomerGroup(
                number=_req_int(d.get("customerGroupNumber")), name=_str(d.get("name"))
            ),
        )

    def payment_terms(self) -> tuple[PaymentTerms, ...]:
        return self._all(
            "payment-terms",
            None,
            lambda d: PaymentTerms(
                number=_req_int(d.get("paymentTermsNumber")),
                name=_str(d.get("name")),
                terms_type=_str(d.get("paymentTermsType")),
                days_of_credit=_opt_int(d.get("daysOfCredit")),
            ),
        )

    def vat_zones(self) -> tuple[VatZone, ...]:
        return self._all(
            "vat-zones",
            None,
            lambda d: VatZone(
                number=_req_int(d.get("vatZoneNumber")),
                name=_str(d.get("name")),
                enabled_for_customer=d.get("enabledForCustomer") is True,
            ),
        )

    def currencies(self) -> tuple[Currency, ...]:
        return self._all(
            "currencies",
            None,
            lambda d: Currency(code=_req_str(d.get("code")), name=_str(d.get("name"))),
        )

    def layouts(self) -> tuple[Layout, ...]:
        return self._all(
            "layouts",
            None,
            lambda d: Layout(
                number=_req_int(d.get("layoutNumber")),
                name=_str(d.get("name")),
                deleted=d.get("deleted") is True,
            ),
        )

    def products(self, *, changed_since: datetime | None = None) -> tuple[Product, ...]:
        params = {}
        if changed_since is not None:
            params["filter"] = f"lastUpdated$gte:{format_timestamp(changed_since)}"
        return self._all(
            "products",
            "productNumber",
            lambda d: Product(
                number=_req_str(d.get("productNumber")),
                name=_str(d.get("name")),
                sales_price=_decimal(d.get("salesPrice")),
                barred=d.get("barred") is True,
                last_updated=parse_timestamp(d.get("lastUpdated")),
            ),
            params,
        )

    def employees(self) -> tuple[Employee, ...]:
        return self._all(
            "employees",
            "employeeNumber",
            lambda d: Employee(
                number=_req_int(d.get("employeeNumber")),
                name=_str(d.get("name")),
                email=_str(d.get("email")),
                barred=d.get("barred") is True,
            ),
        )

    # PLUMBING
    # --------------------------------------------------------------------------
    def _pages(
        self, path: str, params: Mapping[str, Any], page_size: int
    ) -> Iterator[tuple[int, list[Any], int, bool]]:
        """(page index, items, results, has next) for each page of a collection."""
        if not 1 <= page_size <= MAX_PAGE_SIZE:
            raise ValueError(f"page_size must be between 1 and {MAX_PAGE_SIZE}")
        operation = f"GET /{path}"
        page = 0
        while True:
            reply: Reply = self.request(
                "GET", path, params={**params, "skippages": page, "pagesize": page_size}
            )
            items, results, has_next = self._map(operation, _collection, reply.data)
            yield page, items, results, has_next
            # A next-page link with nothing on this page would loop for ever.
            if not has_next or not items:
                return
            page += 1
            if page * page_size > max(results, 0) + page_size:
                raise Unavailable(
                    "e-conomic kept announcing pages past its own result count",
                    operation=operation,
                )

    def _all(
        self,
        path: str,
        sort: str | None,
        build: Callable[[Mapping[str, Any]], T],
        params: Mapping[str, Any] | None = None,
    ) -> tuple[T, ...]:
        result: list[T] = []
        # Only properties e-conomic marks sortable may be sorted on (else 400).
        query = {**(params or {}), **({"sort": sort} if sort else {})}
        for _page, items, _results, _next in self._pages(path, query, MAX_PAGE_SIZE):
            result.extend(self._map(f"GET /{path}", lambda i: [build(d) for d in i], items))
        return tuple(result)

    def _map(self, operation: str, mapper: Callable[[Any], T], data: Any) -> T:
        """A reply into records; one that does not fit is `Unavailable`, never a traceback."""
        try:
            return mapper(data)
        except (TypeError, ValueError, KeyError, AttributeError, ArithmeticError):
            raise Unavailable(
                "e-conomic sent a reply that does not match its schema",
                operation=operation,
                ambiguous=not operation.startswith("GET"),
            ) from None


# WIRE HELPERS
# ------------------------------------------------------------------------------
def filter_value(value: str) -> str:
    """A value for e-conomic's filter syntax: its operator characters escaped with `$`.

    Brackets stay literal: e-conomic does not honour `$[`/`$]` (API-NOTES §8).
    """
    escaped = value.replace("$", "$$")
    for char in "()*,":
        escaped = escaped.replace(char, f"${char}")
    return escaped


def _collection(data: Any) -> tuple[list[Any], int, bool]:
    if not isinstance(data, Mapping) or not isinstance(data.get("collection"), list):
        raise TypeError("not a collection")
    items = data["collection"]
    if not all(isinstance(i, Mapping) for i in items):
        raise TypeError("collection items must be objects")
    pagination = data.get("pagination")
    if pagination is None:
        return items, len(items), False
    if not isinstance(pagination, Mapping):
        raise TypeError("pagination must be an object")
    results = _opt_int(pagination.get("results"))
    return items, results if results is not None else len(items), bool(pagination.get("nextPage"))


def _customer(data: Any) -> Customer:
    if not isinstance(data, Mapping):
        raise TypeError("a customer must be an object")
    return Customer(
        number=_req_int(data.get("customerNumber")),
        last_updated=parse_timestamp(data.get("lastUpdated")),
        document=dict(data),
    )


def _annotated(node: Mapping[str, Any], path: list[str], found: list[str]) -> None:
    """Walk e-conomic's annotated errors, which mirror the shape of the sent document."""
    index = node.get("arrayIndex")
    if index is not None:
        path = [*path[:-1], f"{path[-1] if path else ''}[{index}]"]
    for key, value in node.items():
        if key == "errors" and isinstance(value, list):
            for entry in value:
                if isinstance(entry, Mapping):
                    found.append(_entry(entry, ".".join(path)))
        elif isinstance(value, Mapping):
            _annotated(value, [*path, str(key)], found)
        elif isinstance(value, list):
            for item in value:
                if isinstance(item, Mapping):
                    _annotated(item, [*path, str(key)], found)


def _entry(entry: Mapping[str, Any], prop: str) -> str:
    message = _str(entry.get("message")) or _str(entry.get("developerHint"))
    if not message:
        return ""
    text = f"{prop}: {message}" if prop else message
    return _with_code(text, entry.get("errorCode"))


def _with_code(message: str, code: Any) -> str:
    code = _str(code)
    return f"{message.strip()} ({code})" if code else message.strip()


def _no_nulls(document: Mapping[str, Any], operation: str) -> Mapping[str, Any]:
    """e-conomic refuses null (an omitted property is how it clears one)."""
    if not isinstance(document, Mapping):
        raise TypeError("a customer document must be a mapping")
    nulls = sorted(k for k, v in document.items() if v is None)
    if nulls:
        raise Rejected(
            f"e-conomic does not accept empty values for {', '.join(nulls)}",
            operation=operation,
        )
    return document


def _number(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValueError("a customer number must be a whole number")
    number = int(value)
    if number < 1:
        raise ValueError("a customer number must be at least 1")
    return number


def _str(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool | int | float):
        return str(value)
    raise TypeError("expected text")


def _req_str(value: Any) -> str:
    result = _str(value)
    if not result:
        raise ValueError("missing identifier")
    return result


def _opt_int(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool):
        raise TypeError("expected a number")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    raise TypeError("expected a whole number")


def _req_int(value: Any) -> int:
    result = _opt_int(value)
    if result is None:
        raise ValueError("missing number")
    return result


def _decimal(value: Any) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        raise ValueError("expected an amount") from None
