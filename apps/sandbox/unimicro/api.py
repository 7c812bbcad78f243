"""The Unimicro sandbox's business API: `/api/biz/<plural>` and `/api/biz/<plural>/<id>`.

GET lists (a bare JSON array, query options of API-NOTES §6: filter, select, expand, top, skip,
orderby, hateoas; parameter names in any case) and reads one (404 `{"Message"}`); POST creates,
PUT changes the fields sent, DELETE marks deleted; `?action=<name>` on PUT/POST (and GET for read
actions such as `users?action=current-session`) runs the entity's action (actions.py).
Bearer token and `CompanyKey` header checked by the identity server's gate. Refusals: 400
`{"Message", "_validationResults": {EntityType: [ValidationMessage…]}}`.
"""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from . import entities, query, runtime, store
from .entities import EntityDef, ValidationFailed
from .runtime import json_response

COMMON_FIELDS = (
    "ID",
    "CreatedAt",
    "CreatedBy",
    "UpdatedAt",
    "UpdatedBy",
    "Deleted",
    "StatusCode",
    "CustomFields",
    "_createguid",
)
# Fields the notes name per entity (API-NOTES §5), known to filter/orderby/select even when no
# record of the company has them yet (the catalogue's own fields are known too).
NOTED_FIELDS = {
    "Customer": "CustomerNumber OrgNumber BusinessRelationID IsPrivate SocialSecurityNumber "
    "WebUrl CreditDays PaymentTermsID DeliveryTermsID CurrencyCodeID DimensionsID "
    "DefaultSellerID GLN PeppolAddress EfakturaIdentifier EInvoiceAgreementReference "
    "Localization AvtaleGiro DontSendReminders ReminderEmailAddress FactoringNumber "
    "CustomerNumberKidAlias SubAccountNumberSeriesID",
    "BusinessRelation": "Name DefaultEmailID DefaultPhoneID InvoiceAddressID ShippingAddressID "
    "DefaultContactID DefaultBankAccountID",
    "Address": "AddressLine1 AddressLine2 AddressLine3 PostalCode City Region Country "
    "CountryCode BusinessRelationID",
    "Email": "EmailAddress Description Type BusinessRelationID",
    "Phone": "Number CountryCode Description Type BusinessRelationID",
    "Project": "Name ProjectNumber ProjectNumberNumeric ProjectNumberSeriesID ProjectCustomerID "
    "Description StartDate EndDate PlannedStartdate PlannedEnddate ProjectLeadName Price "
    "CostPrice Amount Total IsUsed DimensionsID WorkPlaceAddressID",
    "ProjectTask": "ProjectID Name Number SuggestedNumber StartDate EndDate Price CostPrice "
    "Amount Total Description",
    "CustomerOrder": "OrderNumber OrderDate CustomerID CustomerName CustomerOrgNumber "
    "CustomerPerson EmailAddress OurReference YourReference Requisition FreeTxt Comment "
    "InternalNote DeliveryDate CreditDays PaymentTermsID CurrencyCodeID CurrencyExchangeRate "
    "DefaultDimensionsID DefaultSellerID InvoiceReceiverName InvoiceAddressLine1 "
    "InvoicePostalCode InvoiceCity InvoiceCountry InvoiceCountryCode TaxExclusiveAmount "
    "TaxInclusiveAmount VatTotalsAmount RestAmountCurrency ReadyToInvoice PrintStatus",
    "CustomerOrderItem": "CustomerOrderID ProductID ItemText Unit NumberOfItems PriceExVat "
    "PriceIncVat PriceSetByUser Discount DiscountPercent VatTypeID VatPercent AccountID "
    "DimensionsID ItemSourceID SortIndex SumTotalExVat SumTotalIncVat SumVat CostPrice Comment "
    "ReadyToInvoice",
    "CustomerInvoice": "InvoiceNumber InvoiceNumberSeriesID InvoiceDate PaymentDueDate "
    "InvoiceType InvoiceReferenceID Credited CreditedAmount RestAmount PaymentID "
    "PaymentInformation JournalEntryID ExternalReference ExternalStatus CustomerID "
    "CustomerName OurReference YourReference TaxExclusiveAmount TaxInclusiveAmount",
    "CustomerInvoiceItem": "CustomerInvoiceID OrderItemId ProductID ItemText Unit NumberOfItems "
    "PriceExVat DimensionsID",
    "Product": "PartName Name Description Unit PriceExVat PriceIncVat ListPrice CostPrice "
    "AverageCost VatTypeID AccountID DimensionsID Type DefaultProductCategoryID",
    "Worker": "UserID EmployeeID BusinessRelationID",
    "WorkRelation": "WorkerID CompanyName Description WorkPercentage StartDate EndTime "
    "IsActive IsPrivate WorkProfileID TeamID",
    "WorkType": "Name Description Price ProductID WagetypeNumber SystemType",
    "WorkItem": "WorkRelationID WorkTypeID Date StartTime EndTime Minutes LunchInMinutes "
    "Description Label Invoiceable PriceExVat MinutesToOrder CustomerID CustomerOrderID "
    "OrderItemId TransferedToOrder TransferedToPayroll PayrollTrackingID DimensionsID "
    "WorkItemGroupID",
    "WorkItemGroup": "WorkRelationID",
    "Dimensions": "ProjectID ProjectTaskID DepartmentID RegionID ResponsibleID Dimension5ID "
    "Dimension6ID Dimension7ID Dimension8ID Dimension9ID Dimension10ID",
    "User": "DisplayName Email GlobalIdentity UserName PhoneNumber",
    "Eventplan": "Name Active PlanType ModelFilter OperationFilter SigningKey JobNames Cargo "
    "IsSystemPlan",
    "EventSubscriber": "Name Endpoint Active Authorization Headers EventplanID",
    "ExpressionFilter": "EntityName Expression EventplanID",
}


def _message(status: int, text: str) -> HttpResponse:
    return json_response(status, {"Message": text})


def validation_response(messages: list[dict]) -> HttpResponse:
    """400 with `_validationResults` grouped by EntityType (one list per child type)."""
    grouped: dict[str, list[dict]] = {}
    for number, item in enumerate(messages, start=1):
        shown = {
            "ID": item.get("ID") or number,
            "EntityID": item.get("EntityID") or 0,
            "EntityType": item.get("EntityType") or "",
            "PropertyName": item.get("PropertyName") or "",
            "Message": item.get("Message") or "",
            "Level": item.get("Level") or entities.LEVEL_ERROR,
        }
        grouped.setdefault(shown["EntityType"], []).append(shown)
    text = "; ".join(m.get("Message", "") for m in messages if m.get("Message"))
    return json_response(
        400, {"Message": f"Validation failed: {text}", "_validationResults": grouped}
    )


def _authenticate(request: HttpRequest) -> Any:
    from .identity import gate

    return gate.authenticate(request, require_company=True)


def _params(request: HttpRequest) -> dict[str, str]:
    """The query parameters by lowercased name (Unimicro reads them in any case)."""
    return {key.lower(): request.GET.get(key, "") for key in request.GET}


def _body(request: HttpRequest) -> tuple[Any, HttpResponse | None]:
    if not request.body:
        return None, None
    try:
        return json.loads(request.body), None
    except (ValueError, UnicodeDecodeError):
        return None, _message(400, "The request body is not valid JSON")


@csrf_exempt
def biz(request: HttpRequest, plural: str, record_id: str | None = None) -> HttpResponse:
    """One `/api/biz/…` request under the sandbox's knobs and request log."""
    return runtime.serve(request, lambda: _biz(request, plural, record_id))


def _biz(request: HttpRequest, plural: str, record_id: str | None) -> HttpResponse:
    caller = _authenticate(request)
    if isinstance(caller, HttpResponse):
        return caller
    entity = entities.by_plural(plural)
    if entity is None or not entity.plural:
        return _message(404, f"No HTTP resource was found that matches /api/biz/{plural}")
    number: int | None = None
    if record_id is not None:
        try:
            number = int(record_id)
        except ValueError:
            return _message(404, f"{entity.name} with ID {record_id} not found")
    params = _params(request)
    company_key = caller.company_key
    action = params.get("action", "").strip()
    method = request.method
    if action and method in ("PUT", "POST", "GET"):
        return _action(request, company_key, entity, number, action, params, caller)
    if method == "GET":
        if number is None:
            return _list(request, company_key, entity, params)
        return _get(request, company_key, entity, number, params)
    if method == "POST" and number is None:
        return _write(request, lambda body: store.create(company_key, entity, body, caller))
    if method == "PUT" and number is not None:
        return _write(request, lambda body: store.update(company_key, entity, number, body, caller))
    if method == "DELETE" and number is not None:
        try:
            store.delete(company_key, entity, number, caller)
        except store.NotFound as missing:
            return _message(404, str(missing))
        except ValidationFailed as failed:
            return validation_response(failed.messages)
        return HttpResponse(status=204)
    return json_response(
        405, {"Message": f"The requested resource does not support http method '{method}'."}
    )


def _write(request: HttpRequest, write: Any) -> HttpResponse:
    body, problem = _body(request)
    if problem is not None:
        return problem
    if not isinstance(body, dict):
        return _message(400, "The request body must be a JSON object")
    try:
        record = write(body)
    except store.NotFound as missing:
        return _message(404, str(missing))
    except ValidationFailed as failed:
        return validation_response(failed.messages)
    return json_response(200 if request.method == "PUT" else 201, record)


def _action(
    request: HttpRequest,
    company_key: str,
    entity: EntityDef,
    record_id: int | None,
    action: str,
    params: dict[str, str],
    caller: Any,
) -> HttpResponse:
    from . import actions

    body, problem = _body(request)
    if problem is not None:
        return problem
    extra = {k: v for k, v in params.items() if k != "action"}
    try:
        status, answer = actions.run(company_key, entity, record_id, action, extra, body, caller)
    except store.NotFound as missing:
        return _message(404, str(missing))
    except ValidationFailed as failed:
        return validation_response(failed.messages)
    if answer is None:
        return HttpResponse(status=status if status != 200 else 204)
    return json_response(status, answer)


# -- reads --------------------------------------------------------------------------------------
def _options(entity: EntityDef, params: dict[str, str]) -> dict:
    """The query options, checked (QueryError → 400)."""
    filter_tree = None
    if "filter" in params:
        filter_tree = query.parse_filter(params["filter"])
    expand = query.split_list(params.get("expand", ""))
    tree = query.tree_of(expand)
    try:
        store.check_expand(entity, tree)
    except KeyError as missing:
        raise query.QueryError(
            f"Could not find a navigation property '{missing.args[0]}' on {entity.name}"
        ) from None
    top = skip = None
    for name in ("top", "skip"):
        if params.get(name, "") != "":
            try:
                value = int(params[name])
            except ValueError:
                raise query.QueryError(f"{name} must be a whole number") from None
            if value < 0:
                raise query.QueryError(f"{name} cannot be negative")
            if name == "top":
                top = value
            else:
                skip = value
    return {
        "filter": filter_tree,
        "expand": tree,
        "select": query.split_list(params.get("select", "")),
        "orderby": query.parse_orderby(params.get("orderby", "")),
        "top": top,
        "skip": skip or 0,
        "hateoas": params.get("hateoas", "").strip().lower() == "true",
    }


def _nav_prefixes(entity: EntityDef, path: str) -> dict:
    """The expand tree a dotted field path needs (Info.Name → {"Info": {}})."""
    parts = path.split(".")
    tree: dict = {}
    node, current = tree, entity
    for part in parts[:-1]:
        found = store._nav(current, part)
        if found is None:
            raise query.QueryError(
                f"Could not find a property named '{part}' on type '{current.name}'"
            )
        node = node.setdefault(found[0], {})
        current = found[1].entity
    return tree


def _merge(a: dict, b: dict) -> dict:
    out = dict(a)
    for key, value in b.items():
        out[key] = _merge(out.get(key, {}), value)
    return out


def _known_fields(entity: EntityDef) -> set[str]:
    if entity.name not in _KNOWN:
        _KNOWN[entity.name] = _fields_of(entity)
    return _KNOWN[entity.name]


_KNOWN: dict[str, set[str]] = {}
_SPELLING: dict[str, dict[str, str]] = {}


def _spelling(entity: EntityDef) -> dict[str, str]:
    """Lowercased → stored spelling of the entity's own fields (for the database prefilter):
    those the notes and the catalogue name, navigation properties and stamps left out."""
    if entity.name not in _SPELLING:
        names = set(NOTED_FIELDS.get(entity.name, "").split())
        names.update(entity.defaults, entity.series, entity.references, entity.unique)
        names.update(("StatusCode", "_createguid"))
        _SPELLING[entity.name] = {
            n.lower(): n
            for n in names
            if n.isidentifier() and n not in entity.expandable and n not in store.STAMPS
        }
    return _SPELLING[entity.name]


def _fields_of(entity: EntityDef) -> set[str]:
    names = set(COMMON_FIELDS)
    names.update(NOTED_FIELDS.get(entity.name, "").split())
    names.update(entity.defaults, entity.series, entity.references, entity.expandable)
    names.update(p.split(".")[0] for p in entity.required)
    names.update(entity.unique)
    for nav in entity.expandable.values():
        if not nav.many:
            names.add(nav.fk)
    for other in entities.ENTITIES:  # ids children keep of their parents (CustomerOrderID)
        for nav in other.expandable.values():
            if nav.many and nav.entity is entity:
                names.add(nav.fk)
    return {n.lower() for n in names}


def _check_fields(entity: EntityDef, paths: list[str], records: list[dict], what: str) -> None:
    """QueryError for a field no record of the entity has and the catalogue does not name."""
    for path in paths:
        current, level = entity, records
        parts = path.split(".")
        for depth, part in enumerate(parts):
            last = depth == len(parts) - 1
            found = store._nav(current, part)
            if found is not None and not last:
                canonical, nav = found
                following = []
                for record in level:
                    value = record.get(canonical)
                    following.extend(value if isinstance(value, list) else [value])
                current, level = nav.entity, [v for v in following if isinstance(v, dict)]
                continue
            if part.lower() in _known_fields(current):
                break
            if any(query.get_ci(record, part)[0] for record in level):
                break
            raise query.QueryError(
                f"Invalid {what}: could not find a property named '{part}' on type '{current.name}'"
            )


def _project(record: dict, entity: EntityDef, tree: dict) -> dict:
    """The record with only the navigation properties asked for filled (others null)."""
    out = {}
    for key, value in record.items():
        found = store._nav(entity, key)
        if found is None:
            out[key] = value
            continue
        canonical, nav = found
        sub = next((s for name, s in tree.items() if name.lower() == canonical.lower()), None)
        if sub is None or value is None:
            out[key] = None
        elif isinstance(value, list):
            out[key] = [_project(v, nav.entity, sub) for v in value]
        else:
            out[key] = _project(value, nav.entity, sub)
    return out


def _select(record: dict, paths: list[str]) -> dict:
    out: dict = {}
    for path in paths:
        parts = path.split(".")
        source: Any = record
        target = out
        for depth, part in enumerate(parts):
            if not isinstance(source, dict):
                break
            found, value = query.get_ci(source, part)
            key = next((k for k in source if k.lower() == part.lower()), part)
            if depth == len(parts) - 1:
                target[key] = value if found else None
            else:
                if not isinstance(value, dict):
                    target[key] = value
                    break
                target = target.setdefault(key, {})
                source = value
    return out


def _links(request: HttpRequest, entity: EntityDef, record: dict) -> dict:
    from . import actions

    base = request.build_absolute_uri(f"/sandbox/unimicro/api/biz/{entity.plural}")
    own = f"{base}/{record['ID']}"
    named = actions.names(entity)
    transitions = {
        name: {"href": f"{own}?action={name}", "method": "PUT"}
        for name in named
        if _allowed(entity, name, record)
    }
    return {
        "actions": {name: {"href": f"{own}?action={name}", "method": "PUT"} for name in named},
        "transitions": transitions,
        "relations": {
            name: {"href": f"{own}?expand={name}", "method": "GET"} for name in entity.expandable
        },
    }


def _allowed(entity: EntityDef, action: str, record: dict) -> bool:
    """Whether a transition applies to the record's status (orders and invoices) [I]."""
    status = record.get("StatusCode")
    if entity.name == "CustomerOrder":
        if action == "register":
            return status in (None, entities.ORDER_DRAFT)
        if action == "transfer-to-invoice":
            return (status or entities.ORDER_DRAFT) < entities.ORDER_TRANSFERRED
    if entity.name == "CustomerInvoice" and action == "invoice":
        return status in (None, entities.INVOICE_DRAFT)
    if entity.name == "Customer":
        if action == "activate":
            return status != entities.CUSTOMER_ACTIVE
        if action == "deactivate":
            return status == entities.CUSTOMER_ACTIVE
    return True


def _shape(request: HttpRequest, entity: EntityDef, records: list[dict], options: dict) -> list:
    tree = _merge(store.default_tree(entity), options["expand"])
    shaped = []
    for record in records:
        out = _project(record, entity, tree)
        if options["select"]:
            out = _select(out, options["select"])
        if options["hateoas"]:
            out["_links"] = _links(request, entity, record)
        shaped.append(out)
    return shaped


def _list(
    request: HttpRequest, company_key: str, entity: EntityDef, params: dict[str, str]
) -> HttpResponse:
    """A bare array: filter and order on the records (expanded as far as the filter and the
    order reach), then skip/top, then the page expanded as asked."""
    try:
        options = _options(entity, params)
        filter_paths = query.paths_of(options["filter"])
        order_paths = [p for p, _ in options["orderby"]]
        start = options["skip"]
        end = start + options["top"] if options["top"] is not None else None
        rows = store.live(company_key, entity)
        if options["filter"] is None and all(p.lower() == "id" for p in order_paths):
            # Nothing to read in the records: page in the database.
            if order_paths and options["orderby"][0][1]:
                rows = rows.order_by("-record_id")
            records = [store.to_json(row, entity) for row in rows[start:end]]
        else:
            needed: dict = {}
            for path in filter_paths + order_paths:
                needed = _merge(needed, _nav_prefixes(entity, path))
            if options["filter"] is not None:
                rows = rows.filter(query.prefilter(options["filter"], _spelling(entity)))
            records = [store.to_json(row, entity) for row in rows]
            store.expand_records(company_key, entity, records, needed)
            _check_fields(entity, filter_paths, records, "filter")
            _check_fields(entity, order_paths, records, "orderby")
            if options["filter"] is not None:
                records = [r for r in records if query.evaluate(options["filter"], r)]
            for path, descending in reversed(options["orderby"]):
                records.sort(
                    key=lambda r, p=path: min(query.sort_key(v) for v in query.get_path(r, p)),
                    reverse=descending,
                )
            records = records[start:end]
        store.expand_records(
            company_key, entity, records, _merge(store.default_tree(entity), options["expand"])
        )
        _check_fields(entity, options["select"], records, "select")
    except query.QueryError as refused:
        return _message(400, str(refused))
    return json_response(200, _shape(request, entity, records, options))


def _get(
    request: HttpRequest,
    company_key: str,
    entity: EntityDef,
    record_id: int,
    params: dict[str, str],
) -> HttpResponse:
    try:
        options = _options(entity, params)
    except query.QueryError as refused:
        return _message(400, str(refused))
    row = store.live(company_key, entity).filter(record_id=record_id).first()
    if row is None:
        return _message(404, f"{entity.name} with ID {record_id} not found")
    record = store.to_json(row, entity)
    store.expand_records(
        company_key, entity, [record], _merge(store.default_tree(entity), options["expand"])
    )
    try:
        _check_fields(entity, options["select"], [record], "select")
    except query.QueryError as refused:
        return _message(400, str(refused))
    return json_response(200, _shape(request, entity, [record], options)[0])
