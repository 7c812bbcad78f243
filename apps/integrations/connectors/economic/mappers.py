"""e-conomic customer documents ↔ canonical customer values: pure functions, no database.

Canonical customer values are the ones the 24SO mappers define (`CUSTOMER_FIELDS` there),
plus `is_active`. e-conomic holds all of them but `visiting_address` (it keeps delivery
locations, which Tidsbro does not sync): `HELD_FIELDS` are the keys `customer_from_remote`
returns; a merge must leave the others alone.

Mapping (canonical ↔ e-conomic)
-------------------------------
name ↔ name · number ↔ customerNumber (the external id, as a string) ·
organisation_number ↔ corporateIdentificationNumber · email ↔ email (e-conomic allows several,
space-separated: the first valid one is read) · phone ↔ telephoneAndFaxNumber (mobilePhone when
that is empty) · address_line1/address_line2 ↔ address (split on the first line break; joined
with one) · postal_code ↔ zip · city ↔ city · country (ISO-2) ↔ country (free text: an ISO
code or a country name is read, an English name is written) · is_active ↔ not barred.
`lastUpdated` ("2022-06-02T08:53:29Z") → `customer_changed_at`.

Writing is read-modify-write: `to_remote` starts from the current document so what Tidsbro
does not hold (contacts, sales person, credit limit, EAN …) survives e-conomic's full-replace
PUT, and a field whose canonical value is what the current document already says is left
exactly as written there (its spelling of the country, its second e-mail address).
"""

from __future__ import annotations

import copy
import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext

from apps.integrations import entities
from apps.integrations.connectors.base import Rejected

# The canonical customer fields (the entity registry's); e-conomic holds all but one.
CUSTOMER_FIELDS = entities.fields("customer")
HELD_FIELDS = tuple(f for f in CUSTOMER_FIELDS if f != "visiting_address")

# Local column sizes (as for 24SO): a longer e-conomic value is cut on the way in.
_MAX = {
    "name": 255,
    "organisation_number": 20,
    "phone": 40,
    "address_line1": 255,
    "address_line2": 255,
    "postal_code": 20,
    "city": 100,
}
# Required on every POST and PUT; never sent as null (API-NOTES §10.1).
REQUIRED = ("name", "currency", "customerGroup", "paymentTerms", "vatZone")
# Read-only or links: e-conomic ignores them on writes, so they are not sent back.
READ_ONLY = frozenset(
    {
        "self",
        "metaData",
        "balance",
        "dueAmount",
        "lastUpdated",
        "contacts",
        "deliveryLocations",
        "invoices",
        "templates",
        "totals",
    }
)

# ISO-2 → the English name written to e-conomic; names in the Nordic languages and German
# are read too. Anything else that is not a two-letter code reads as "" (unknown).
COUNTRY_NAMES = {
    "DK": "Denmark",
    "NO": "Norway",
    "SE": "Sweden",
    "FI": "Finland",
    "IS": "Iceland",
    "FO": "Faroe Islands",
    "GL": "Greenland",
    "DE": "Germany",
    "NL": "Netherlands",
    "BE": "Belgium",
    "FR": "France",
    "ES": "Spain",
    "IT": "Italy",
    "PL": "Poland",
    "AT": "Austria",
    "CH": "Switzerland",
    "IE": "Ireland",
    "GB": "United Kingdom",
    "US": "United States",
    "EE": "Estonia",
    "LV": "Latvia",
    "LT": "Lithuania",
}
_COUNTRY_ALIASES = {
    "danmark": "DK",
    "norge": "NO",
    "noreg": "NO",
    "sverige": "SE",
    "suomi": "FI",
    "finland": "FI",
    "island": "IS",
    "ísland": "IS",
    "færøerne": "FO",
    "føroyar": "FO",
    "grønland": "GL",
    "tyskland": "DE",
    "deutschland": "DE",
    "holland": "NL",
    "nederland": "NL",
    "frankrig": "FR",
    "frankrike": "FR",
    "spanien": "ES",
    "spania": "ES",
    "italien": "IT",
    "italia": "IT",
    "polen": "PL",
    "østrig": "AT",
    "østerrike": "AT",
    "schweiz": "CH",
    "sveits": "CH",
    "storbritannien": "GB",
    "storbritannia": "GB",
    "england": "GB",
    "uk": "GB",
    "usa": "US",
    "united states of america": "US",
}
_COUNTRY_BY_NAME = {name.casefold(): code for code, name in COUNTRY_NAMES.items()}
_COUNTRY_BY_NAME.update(_COUNTRY_ALIASES)


@dataclass(frozen=True, kw_only=True)
class CustomerDefaults:
    """What a new customer gets for e-conomic's required fields Tidsbro does not hold."""

    customer_group: int | None = None
    payment_terms: int | None = None
    vat_zone: int | None = None
    currency: str = ""
    layout: int | None = None


# HELPERS
# ------------------------------------------------------------------------------
def text(value: Any, limit: int | None = None) -> str:
    result = "" if value is None else str(value).strip()
    return result[:limit] if limit else result


def clean_email(value: Any) -> str:
    """The first valid address of e-conomic's list (space, comma or semicolon separated)."""
    for candidate in re.split(r"[\s,;]+", text(value).lower()):
        if not candidate:
            continue
        try:
            validate_email(candidate)
        except ValidationError:
            continue
        return candidate
    return ""


def country_code(value: Any) -> str:
    """ISO-2 for e-conomic's free-text country; "" when it is not recognised."""
    name = " ".join(text(value).split())
    if len(name) == 2 and name.isascii() and name.isalpha():
        return name.upper()
    return _COUNTRY_BY_NAME.get(name.casefold(), "")


def address_lines(value: Any) -> tuple[str, str]:
    """e-conomic's one `address` as two lines: up to the first line break, and the rest."""
    address = "" if value is None else str(value).replace("\r\n", "\n").replace("\r", "\n")
    first, _, rest = address.partition("\n")
    more = ", ".join(p.strip() for p in rest.split("\n") if p.strip())
    return first.strip()[: _MAX["address_line1"]], more[: _MAX["address_line2"]]


def parse_timestamp(value: Any) -> datetime | None:
    """`lastUpdated` ("2022-06-02T08:53:29Z", or with an offset) as an aware UTC datetime."""
    raw = text(value)
    if not raw:
        return None
    if raw.endswith(("Z", "z")):
        raw = raw[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(raw)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def format_timestamp(value: datetime) -> str:
    """An aware datetime as e-conomic writes `lastUpdated`: UTC, whole seconds, literal Z."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("timestamps must be timezone-aware")
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _number(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


# INBOUND
# ------------------------------------------------------------------------------
def customer_external_id(document: Mapping[str, Any]) -> str:
    """The binding's external id: the customer number as a string ("" when absent)."""
    number = _number(document.get("customerNumber"))
    return str(number) if number is not None else ""


def customer_changed_at(document: Mapping[str, Any]) -> datetime | None:
    return parse_timestamp(document.get("lastUpdated"))


def customer_from_remote(document: Mapping[str, Any]) -> dict[str, Any]:
    """Canonical values (`HELD_FIELDS`) of an e-conomic customer document."""
    line1, line2 = address_lines(document.get("address"))
    phone = text(document.get("telephoneAndFaxNumber")) or text(document.get("mobilePhone"))
    return {
        "name": text(document.get("name"), _MAX["name"]),
        "number": customer_external_id(document),
        "organisation_number": text(
            document.get("corporateIdentificationNumber"), _MAX["organisation_number"]
        ),
        "email": clean_email(document.get("email")),
        "phone": phone[: _MAX["phone"]],
        "address_line1": line1,
        "address_line2": line2,
        "postal_code": text(document.get("zip"), _MAX["postal_code"]),
        "city": text(document.get("city"), _MAX["city"]),
        "country": country_code(document.get("country")),
        "is_active": document.get("barred") is not True,
    }


# OUTBOUND
# ------------------------------------------------------------------------------
def _set(document: dict[str, Any], key: str, value: str) -> None:
    # e-conomic refuses null: an empty value is left out, which clears it on a PUT.
    if value:
        document[key] = value
    else:
        document.pop(key, None)


def to_remote(
    canonical: Mapping[str, Any],
    current: Mapping[str, Any] | None = None,
    defaults: CustomerDefaults | None = None,
) -> dict[str, Any]:
    """The full document to POST (no `current`) or PUT (`current` = the document as read).

    Starts from `current` (read-modify-write); fields whose canonical value equals what
    `current` maps to are left as they are; read-only properties and nulls are dropped;
    required references missing from `current` come from `defaults`. Raises `Rejected`
    (nothing to send) when a required field has no value.
    """
    document: dict[str, Any] = copy.deepcopy(dict(current)) if current else {}
    for key in READ_ONLY:
        document.pop(key, None)
    document = {k: v for k, v in document.items() if v is not None}
    now = customer_from_remote(current or {})
    values = {field: canonical.get(field) for field in HELD_FIELDS if field in canonical}

    def changed(*fields: str) -> bool:
        return any(f in values and _canonical(f, values[f]) != now[f] for f in fields)

    if changed("name"):
        _set(document, "name", text(values["name"]))
    if current is None:
        number = _number(values.get("number"))
        if number is not None:
            document["customerNumber"] = number
    if changed("organisation_number"):
        _set(document, "corporateIdentificationNumber", text(values["organisation_number"]))
    if changed("email"):
        _set(document, "email", text(values["email"]))
    if changed("phone"):
        _set(document, "telephoneAndFaxNumber", text(values["phone"]))
        if not text(values["phone"]):
            # The mobile number is read as the phone when there is no other: clear it too.
            document.pop("mobilePhone", None)
    if changed("address_line1", "address_line2"):
        line1 = text(values.get("address_line1", now["address_line1"]))
        line2 = text(values.get("address_line2", now["address_line2"]))
        _set(document, "address", f"{line1}\n{line2}" if line2 else line1)
    if changed("postal_code"):
        _set(document, "zip", text(values["postal_code"]))
    if changed("city"):
        _set(document, "city", text(values["city"]))
    if changed("country"):
        code = text(values["country"]).upper()
        _set(document, "country", COUNTRY_NAMES.get(code, code))
    if changed("is_active"):
        if values["is_active"] is False:
            document["barred"] = True
        else:
            # Booleans are sent only when true (API-NOTES §5).
            document.pop("barred", None)
    _fill_required(document, defaults or CustomerDefaults())
    return document


def _canonical(field: str, value: Any) -> Any:
    """A caller's value as `customer_from_remote` would give it, to compare like with like."""
    if field == "is_active":
        return value is not False
    if field == "email":
        return text(value).lower()
    if field == "country":
        return text(value).upper()
    return text(value)


def _fill_required(document: dict[str, Any], defaults: CustomerDefaults) -> None:
    references = (
        ("customerGroup", "customerGroupNumber", defaults.customer_group),
        ("paymentTerms", "paymentTermsNumber", defaults.payment_terms),
        ("vatZone", "vatZoneNumber", defaults.vat_zone),
        ("layout", "layoutNumber", defaults.layout),
    )
    for key, number_key, default in references:
        if not _is_reference(document.get(key), number_key) and default is not None:
            document[key] = {number_key: default}
    if not text(document.get("currency")) and defaults.currency:
        document["currency"] = defaults.currency.upper()
    missing = [
        key
        for key in REQUIRED
        if not (
            text(document.get(key))
            if key in ("name", "currency")
            else _is_reference(document.get(key), _NUMBER_KEYS[key])
        )
    ]
    if missing:
        raise Rejected(
            gettext("e-conomic needs a value for %(fields)s; set the defaults for new customers.")
            % {"fields": ", ".join(missing)},
            messages=tuple(gettext("%(field)s is required.") % {"field": m} for m in missing),
        )


_NUMBER_KEYS = {
    "customerGroup": "customerGroupNumber",
    "paymentTerms": "paymentTermsNumber",
    "vatZone": "vatZoneNumber",
}


def _is_reference(value: Any, number_key: str) -> bool:
    # e-conomic accepts the target's number or its `self` link.
    return isinstance(value, Mapping) and (
        value.get(number_key) is not None or bool(value.get("self"))
    )


# IDENTITY
# ------------------------------------------------------------------------------
def customer_fingerprint(values: Mapping[str, Any]) -> str:
    """A stable hash of who a customer is (name and organisation number), for telling that a
    reused customer number now belongs to someone else; "" when both are empty.

    Case, spacing and punctuation in the organisation number do not change it; addresses,
    e-mail and phone (which change for the same customer) are not part of it.
    """
    name = " ".join(text(values.get("name")).casefold().split())
    organisation = re.sub(r"[^0-9A-Za-z]", "", text(values.get("organisation_number"))).upper()
    if not name and not organisation:
        return ""
    digest = hashlib.sha256(f"{name}\x1f{organisation}".encode()).hexdigest()
    return digest[:32]


# PROJECTS, ACTIVITIES, EMPLOYEES (the Projects service, `projectsapi`)
# ------------------------------------------------------------------------------
# project   (external id: Project.number)
#     name ↔ name · number ↔ number (int) · customer ↔ customerNumber (the customer
#     binding's id, a string; None when the project has none) · status ↔ isBarred / isClosed:
#     "archived" when either is set; writing sets isBarred only (isClosed is read-only: a
#     closed project is reopened in e-conomic) · description ↔ description.
#     Dates, the default work type and "needs approval" have no place there: Tidsbro's own.
# work_type (external id: Activity.number)
#     name ↔ name · is_active ↔ not isBarred. Prices live in the activity's price periods
#     and the product on the invoice: Tidsbro's own.
# user      (external id: Employee.number; read only)
#     name, first_name, last_name (split at the first space), email, employee_id (number).
PROJECT_HELD_FIELDS = ("name", "number", "customer", "status", "description")
WORK_TYPE_HELD_FIELDS = ("name", "is_active")
# What a PUT must not send back (read-only), beside the links e-conomic ignores.
PROJECT_READ_ONLY = frozenset(
    {"isClosed", "lastUpdated", "costPrice", "salesPrice", "invoicedTotal", "closedDate"}
)
_PROJECT_MAX = {"name": 100, "description": 2500}


def project_changed_at(document: Mapping[str, Any]) -> datetime | None:
    return parse_timestamp(document.get("lastUpdated"))


def project_from_remote(document: Mapping[str, Any]) -> dict[str, Any]:
    """Canonical values (`PROJECT_HELD_FIELDS`) of a projectsapi Project."""
    customer = _number(document.get("customerNumber"))
    archived = document.get("isBarred") is True or document.get("isClosed") is True
    return {
        "name": text(document.get("name"), _MAX["name"]),
        "number": _number(document.get("number")),
        "customer": str(customer) if customer else None,
        "status": entities.ARCHIVED if archived else entities.ACTIVE,
        "description": text(document.get("description")),
    }


def project_to_remote(
    canonical: Mapping[str, Any],
    current: Mapping[str, Any] | None = None,
    *,
    project_group: int | None = None,
) -> dict[str, Any]:
    """The whole Project to POST (no `current`) or PUT (`current` = as read, with its
    `objectVersion`): read-modify-write, fields Tidsbro does not hold kept as they are.

    A new project gets `project_group`; refuses (Rejected) a project without a name or a
    group, and a name or description longer than e-conomic takes."""
    document: dict[str, Any] = copy.deepcopy(dict(current)) if current else {}
    for key in PROJECT_READ_ONLY:
        document.pop(key, None)
    document = {k: v for k, v in document.items() if v is not None}
    now = project_from_remote(current or {})
    values = {f: canonical.get(f) for f in PROJECT_HELD_FIELDS if f in canonical}

    def changed(name: str) -> bool:
        return name in values and _project_canonical(name, values[name]) != now[name]

    if changed("name"):
        _set(document, "name", text(values["name"]))
    if current is None:
        number = _number(values.get("number"))
        if number is not None:
            document["number"] = number
    if changed("customer"):
        customer = _number(values["customer"])
        if customer:
            document["customerNumber"] = customer
        else:
            document.pop("customerNumber", None)
    if changed("description"):
        _set(document, "description", text(values["description"]))
    if changed("status") or current is None:
        document["isBarred"] = values.get("status") == entities.ARCHIVED
    if "projectGroupNumber" not in document and project_group is not None:
        document["projectGroupNumber"] = project_group
    problems = []
    if not text(document.get("name")):
        problems.append(gettext("e-conomic needs a name for the project."))
    if "projectGroupNumber" not in document:
        problems.append(
            gettext("Choose the project group for new projects in the e-conomic settings.")
        )
    for key, limit in _PROJECT_MAX.items():
        if len(text(document.get(key))) > limit:
            problems.append(
                gettext("e-conomic takes at most %(limit)d characters in a project's %(field)s.")
                % {"limit": limit, "field": key}
            )
    if problems:
        raise Rejected(" ".join(problems), messages=tuple(problems))
    return document


def _project_canonical(name: str, value: Any) -> Any:
    if name == "number":
        return _number(value)
    if name == "customer":
        number = _number(value)
        return str(number) if number else None
    if name == "status":
        return entities.ARCHIVED if value == entities.ARCHIVED else entities.ACTIVE
    return text(value)


def project_changes(canonical: Mapping[str, Any], document: Mapping[str, Any]) -> dict[str, Any]:
    """The held canonical values that differ from what `document` (a Project) holds."""
    now = project_from_remote(document)
    return {
        f: v
        for f, v in canonical.items()
        if f in PROJECT_HELD_FIELDS and _project_canonical(f, v) != now[f]
    }


def work_type_changes(canonical: Mapping[str, Any], document: Mapping[str, Any]) -> dict[str, Any]:
    """The held canonical values that differ from what `document` (an Activity) holds."""
    now = work_type_from_remote(document)
    wanted = {
        "name": lambda v: text(v, _MAX["name"]),
        "is_active": lambda v: v is not False,
    }
    return {f: v for f, v in canonical.items() if f in wanted and wanted[f](v) != now[f]}


def project_fingerprint(values: Mapping[str, Any]) -> str:
    """Who a project is for telling our own lost create among pulled ones: its name and
    customer ("" without a name)."""
    name = " ".join(text(values.get("name")).casefold().split())
    if not name:
        return ""
    return f"{name}\x1f{_number(values.get('customer')) or ''}"


def work_type_from_remote(document: Mapping[str, Any]) -> dict[str, Any]:
    """Canonical values (`WORK_TYPE_HELD_FIELDS`) of a projectsapi Activity."""
    return {
        "name": text(document.get("name"), _MAX["name"]),
        "is_active": document.get("isBarred") is not True,
    }


def work_type_to_remote(
    canonical: Mapping[str, Any],
    current: Mapping[str, Any] | None = None,
    *,
    number: int | None = None,
    activity_group: int | None = None,
) -> dict[str, Any]:
    """The whole Activity to POST (`number` chosen by the caller: e-conomic requires one) or
    PUT (`current` as read, with its `objectVersion`)."""
    document: dict[str, Any] = copy.deepcopy(dict(current)) if current else {}
    document = {k: v for k, v in document.items() if v is not None}
    now = work_type_from_remote(current or {})
    if "name" in canonical and text(canonical["name"]) != now["name"]:
        _set(document, "name", text(canonical["name"]))
    if "is_active" in canonical and (canonical["is_active"] is not False) != now["is_active"]:
        document["isBarred"] = canonical["is_active"] is False
    elif current is None:
        document["isBarred"] = False
    if current is None and number is not None:
        document["number"] = number
    if "groupNumber" not in document and activity_group is not None:
        document["groupNumber"] = activity_group
    problems = []
    if not text(document.get("name")):
        problems.append(gettext("e-conomic needs a name for the activity."))
    elif len(text(document.get("name"))) > 100:
        problems.append(gettext("e-conomic takes at most 100 characters in an activity's name."))
    if "groupNumber" not in document:
        problems.append(
            gettext("Choose the activity group for new work types in the e-conomic settings.")
        )
    if problems:
        raise Rejected(" ".join(problems), messages=tuple(problems))
    return document


def user_from_remote(document: Mapping[str, Any]) -> dict[str, Any]:
    """Canonical user values of a projectsapi Employee (e-conomic keeps one name)."""
    name = " ".join(text(document.get("name")).split())
    first, _, last = name.partition(" ")
    return {
        "name": name,
        "first_name": first,
        "last_name": last,
        "email": clean_email(document.get("email")),
        "user_id": "",
        "employee_id": _number(document.get("number")),
    }
