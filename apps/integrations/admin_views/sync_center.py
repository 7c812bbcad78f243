"""The sync center: per object type, the records in step, on one side only, in conflict,
missing in the ERP and excluded; create partner, choose partner, no sync and its undo.

Every screen is about one connection: `?connection=<id>` when several are active (a choice
above the lists), else the only one. The system is named from the connection's connector.

Admin views (registered by BindingAdmin.get_urls): they read through selectors and write
only through `apps.integrations.partners`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from apps.core.exceptions import ApplicationError
from apps.integrations import partners, selectors
from apps.integrations.entities import fields as entity_fields
from apps.integrations.models import Binding, Connection

PER_PAGE = 50
ENTITIES: dict[str, Any] = {
    "customer": _("Customers"),
    "project": _("Projects"),
    "work_type": _("Work types"),
    "task": _("Tasks"),
    "user": _("Users"),
}
# Labels may name the connected system: "%(system)s" is filled in by `named`.
TABS: dict[str, Any] = {
    "linked": _("Synchronised"),
    "local_only": _("Only in Tidsbro"),
    "remote_only": _("Only in %(system)s"),
    "conflict": _("Conflicts"),
    "missing_remotely": _("Missing in %(system)s"),
    "excluded": _("No sync"),
}
# What each list lets you do with the records ticked in it.
TAB_ACTIONS: dict[str, list[tuple[str, Any]]] = {
    "linked": [("exclude", _("No sync")), ("unlink", _("Stop sync and unlink"))],
    "local_only": [("create_remote", _("Create in %(system)s")), ("exclude", _("No sync"))],
    "remote_only": [("create_local", _("Create in Tidsbro")), ("exclude", _("No sync"))],
    "conflict": [
        ("keep_local", _("Keep Tidsbro values")),
        ("keep_remote", _("Keep %(system)s values")),
    ],
    "missing_remotely": [("exclude", _("No sync"))],
    "excluded": [("include", _("Sync again"))],
}
CONFIRM = {"create_remote", "create_local", "keep_local", "keep_remote", "unlink"}
# The list a row's own "Create partner" button is on, and what it does.
CREATE_ACTION = {"local_only": "create_remote", "remote_only": "create_local"}


def urls(model_admin: Any) -> list:
    wrap = model_admin.admin_site.admin_view
    return [
        path(
            "sync-center/",
            wrap(lambda r: index_view(model_admin, r)),
            name="integrations_sync_center",
        ),
        path(
            "sync-center/<str:entity>/",
            wrap(lambda r, entity: list_view(model_admin, r, entity)),
            name="integrations_sync_center_list",
        ),
        path(
            "sync-center/<str:entity>/create-all/<int:run_id>/",
            wrap(
                lambda r, entity, run_id: create_all_progress_view(model_admin, r, entity, run_id)
            ),
            name="integrations_sync_center_create_all",
        ),
        path(
            "sync-center/<str:entity>/partner/local/<int:local_id>/",
            wrap(lambda r, entity, local_id: partner_local_view(model_admin, r, entity, local_id)),
            name="integrations_sync_center_partner_local",
        ),
        path(
            "sync-center/<str:entity>/partner/remote/<int:binding_id>/",
            wrap(
                lambda r, entity, binding_id: partner_remote_view(
                    model_admin, r, entity, binding_id
                )
            ),
            name="integrations_sync_center_partner_remote",
        ),
    ]


# --- helpers ---------------------------------------------------------------------------------


def require(request: HttpRequest, permission: str) -> None:
    if not request.user.has_perm(f"integrations.{permission}"):
        raise PermissionDenied


def context(model_admin: Any, request: HttpRequest, **extra: Any) -> dict[str, Any]:
    return {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.opts,
        "app_label": model_admin.opts.app_label,
        **extra,
    }


def in_user_zone(request: HttpRequest, response: Any) -> Any:
    """Renders now, with times in the person's own time zone (not the server's, not UTC)."""
    from django.utils import timezone

    zone = getattr(request.user, "tzinfo", None)
    if zone is None or not hasattr(response, "render") or response.is_rendered:
        return response
    with timezone.override(zone):
        response.render()
    return response


def zoned(view: Any) -> Any:
    """A screen whose times (runs, syncs, conflicts) are shown in the person's time zone."""
    from functools import wraps

    from django.utils import timezone

    @wraps(view)
    def inner(model_admin: Any, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        zone = getattr(request.user, "tzinfo", None)
        if zone is None:
            return view(model_admin, request, *args, **kwargs)
        with timezone.override(zone):
            return in_user_zone(request, view(model_admin, request, *args, **kwargs))

    return inner


def named(label: Any, connection: Connection | None) -> str:
    """A label with the connected system's name in it ("Only in %(system)s")."""
    text = str(label)
    if "%(system)s" not in text:
        return text
    return text % {"system": connection.system_name if connection else _("the ERP")}


@dataclass
class Picked:
    """The connection a screen is about, and the active ones to choose from."""

    connection: Connection | None
    active: list[Connection] = field(default_factory=list)

    @property
    def param(self) -> int | None:
        """The `connection` URL parameter: only needed when there is a choice."""
        return self.connection.pk if self.connection and len(self.active) > 1 else None

    @property
    def query(self) -> str:
        """ "?connection=<id>" for links that have no query of their own ("" when no choice)."""
        return f"?connection={self.param}" if self.param else ""

    def context(self, url: Any) -> dict[str, Any]:
        """`connection`, `system`, `connection_query` and `connections` (the choice, each
        linking to `url(connection_id)`) for the templates."""
        return {
            "connection": self.connection,
            "system": self.connection.system_name if self.connection else "",
            "connection_query": self.query,
            "connections": [
                {"connection": c, "url": url(c.pk), "selected": c == self.connection}
                for c in self.active
            ]
            if len(self.active) > 1
            else [],
        }


def pick_connection(request: HttpRequest) -> Picked:
    """The active connection `?connection=<id>` names (404 when it is not one), else the first
    active one (one query)."""
    active = list(selectors.sync_connections())
    wanted = request.GET.get("connection") or request.POST.get("connection") or ""
    if wanted:
        chosen = next((c for c in active if str(c.pk) == wanted), None)
        if chosen is None:
            raise Http404
        return Picked(chosen, active)
    return Picked(active[0] if active else None, active)


def list_url(
    entity: str, tab: str = "linked", *, connection: int | None = None, **params: Any
) -> str:
    query = {"tab": tab, **{k: v for k, v in params.items() if v}}
    if connection:
        query["connection"] = connection
    return f"{reverse('admin:integrations_sync_center_list', args=[entity])}?{urlencode(query)}"


def _entity(entity: str) -> str:
    if entity not in ENTITIES:
        raise Http404
    return entity


def offered(connection: Connection) -> dict[str, Any]:
    """The object types the sync center lists for a connection: those its system exchanges
    (its connector pulls or pushes them)."""
    spec = connection.spec
    return {
        key: label
        for key, label in ENTITIES.items()
        if spec.can_keep(connection.settings or {}, key)
    }


def _ids(request: HttpRequest) -> list[int]:
    return [int(v) for v in request.POST.getlist("selected") if v.isdigit()]


def has_number(entity: str) -> bool:
    """Whether records of the type have a number of their own (customers, projects; not
    users or work types): the list shows a number column only then."""
    return "number" in entity_fields(entity)


def local_label(entity: str, obj: Any) -> str:
    """The record's name; where the type has a number the list shows it in its own column,
    so the name does not repeat it ("101 Website" is "Website" next to 101)."""
    if obj is None:
        return "—"
    name = getattr(obj, "name", "") if has_number(entity) else ""
    return str(name or obj)


def columns(entity: str, tab: str, rows: list[dict[str, Any]]) -> dict[str, bool]:
    """Which number and id columns the list shows: each value once. One "Number" column
    (Tidsbro's, or the system's where Tidsbro has no record); the system's number only where
    it differs from Tidsbro's; the system's id only where it is not simply the number."""
    numbered = has_number(entity)
    for row in rows:
        row["number"] = (row["local_number"] or row["remote_number"]) if numbered else ""
    remote_side = tab != "local_only"
    return {
        "number": numbered,
        "remote_number": numbered
        and remote_side
        and tab != "remote_only"
        and any(
            r["remote_number"] and str(r["remote_number"]) != str(r["local_number"]) for r in rows
        ),
        "external": remote_side
        and (
            not numbered
            or any(r["external_id"] and r["external_id"] != str(r["number"]) for r in rows)
        ),
    }


def remote_label(binding: Binding) -> str:
    values = binding.remote_values or binding.snapshot or {}
    return str(values.get("name") or values.get("email") or "—")


def remote_number(binding: Binding) -> str:
    values = binding.remote_values or binding.snapshot or {}
    return str(values.get("number") or values.get("product_number") or "")


def rows_for(connection: Connection, entity: str, tab: str, items: list) -> list[dict[str, Any]]:
    """Table rows of one page (one query for the local records, one for conflicts)."""
    if tab == "local_only":
        # A project goes to the ERP only with its customer: say which need a partner.
        unpartnered = (
            dict(
                (p.pk, c)
                for p, c in partners.customers_without_partner(
                    connection=connection, projects=items
                )
            )
            if entity == "project"
            else {}
        )
        return [
            {
                "id": o.pk,
                "local": local_label(entity, o),
                "local_number": getattr(o, "number", "") or "",
                "local_id": o.pk,
                "external_id": "",
                "remote": "",
                "remote_number": "",
                "needs_customer": unpartnered.get(o.pk),
            }
            for o in items
        ]
    model = partners.local_model(entity)
    local = model.objects.in_bulk([b.local_id for b in items if b.local_id is not None])
    conflicts = selectors.open_conflicts_by_binding(bindings=items) if tab == "conflict" else {}
    rows = []
    for b in items:
        obj = local.get(b.local_id) if b.local_id is not None else None
        # A conflict found by a push has the ERP's newer name only on the conflict.
        theirs = {c.field: c.remote_value for c in conflicts.get(b.pk, [])}
        rows.append(
            {
                "id": b.pk,
                "binding": b,
                "local": local_label(entity, obj) if b.local_id is not None else "",
                "local_number": getattr(obj, "number", "") or "",
                "local_id": b.local_id,
                "external_id": b.external_id,
                "remote": (theirs.get("name") or remote_label(b)) if b.external_id else "",
                "remote_number": remote_number(b) if b.external_id else "",
                "synced_at": b.synced_at,
                "conflict_fields": [c.field for c in conflicts.get(b.pk, [])],
            }
        )
    return rows


# --- views -----------------------------------------------------------------------------------


def index_view(model_admin: Any, request: HttpRequest) -> HttpResponse:
    require(request, "view_binding")
    picked = pick_connection(request)
    types = offered(picked.connection) if picked.connection else {}
    first = "project" if "project" in types or not types else next(iter(types))
    return HttpResponseRedirect(list_url(first, connection=picked.param))


@zoned
def list_view(model_admin: Any, request: HttpRequest, entity: str) -> HttpResponse:
    require(request, "view_binding")
    entity = _entity(entity)
    tab = request.GET.get("tab") or request.POST.get("tab") or "linked"
    if tab not in TABS:
        tab = "linked"
    search = (request.GET.get("q") or "").strip()
    picked = pick_connection(request)
    connection = picked.connection
    if connection is None:
        return TemplateResponse(
            request,
            "admin/integrations/sync_center/list.html",
            context(model_admin, request, title=_("Sync center"), connection=None),
        )
    types = offered(connection)
    if types and entity not in types:  # not something this system exchanges
        index = reverse("admin:integrations_sync_center")
        return HttpResponseRedirect(index + picked.query)
    if request.method == "POST":
        return _act(model_admin, request, picked, entity, tab)
    param = picked.param

    if tab == "local_only":
        qs = selectors.partner_local_only(connection=connection, entity=entity, search=search)
        if entity == "task":
            qs = qs.select_related("project")
        elif entity == "project":
            qs = qs.select_related("customer")
    else:
        qs = selectors.partner_bindings(
            connection=connection, entity=entity, tab=tab, search=search
        )
    page = Paginator(qs, PER_PAGE).get_page(request.GET.get("p"))
    counts = selectors.partner_counts(connection=connection, entity=entity)
    tabs = [
        {
            "key": key,
            "label": named(label, connection),
            "count": counts[key],
            "url": list_url(entity, key, connection=param, q=search),
        }
        for key, label in TABS.items()
    ]
    entities = [
        {"key": key, "label": label, "url": list_url(key, tab, connection=param)}
        for key, label in types.items()
    ]
    can_match = request.user.has_perm("integrations.match_binding")
    can_resolve = request.user.has_perm("integrations.resolve_conflict")
    actions = [
        (key, named(label, connection))
        for key, label in TAB_ACTIONS.get(tab, [])
        if (can_resolve if key.startswith("keep_") else can_match)
    ]
    note = ""
    if tab == "local_only" and not partners.can_push(connection, entity):
        note = partners.push_refusal(connection, entity)
        actions = [a for a in actions if a[0] != "create_remote"]
    if tab in ("local_only", "remote_only") and not note:
        # The system's word on pairing (e.g. its number range differs from Tidsbro's).
        hints = getattr(connection.spec.capabilities, "partner_notes", {}) or {}
        note = str(hints.get(entity) or "")
    if tab == "remote_only" and entity == "user":
        actions = [a for a in actions if a[0] != "create_local"]
    return TemplateResponse(
        request,
        "admin/integrations/sync_center/list.html",
        context(
            model_admin,
            request,
            title=_("Sync center: %(entity)s") % {"entity": ENTITIES[entity]},
            **picked.context(lambda pk: list_url(entity, tab, connection=pk)),
            entity=entity,
            entity_label=ENTITIES[entity],
            entities=entities,
            tab=tab,
            tab_label=named(TABS[tab], connection),
            tabs=tabs,
            search=search,
            page=page,
            rows=(rows := rows_for(connection, entity, tab, list(page.object_list))),
            columns=columns(entity, tab, rows),
            actions=actions,
            create_one=any(key == CREATE_ACTION.get(tab) for key, _label in actions),
            create_all=bool(page.paginator.count)
            and any(key == CREATE_ACTION.get(tab) for key, _label in actions),
            note=note,
            can_match=can_match,
            can_resolve=can_resolve,
            can_fetch=request.user.has_perm("integrations.run_sync")
            and connection.is_connected(entity),
            last_run=selectors.last_run(connection=connection, entity=entity),
            page_query=urlencode(
                {"tab": tab, "q": search, **({"connection": param} if param else {})}
            ),
        ),
    )


def _act(
    model_admin: Any, request: HttpRequest, picked: Picked, entity: str, tab: str
) -> HttpResponse:
    connection = picked.connection
    assert connection is not None
    action = request.POST.get("action", "")
    back = list_url(entity, tab, connection=picked.param, q=request.POST.get("q", ""))
    if action == "fetch":
        return _fetch(model_admin, request, connection, entity, back)
    if action == "create_all":
        return _create_all(model_admin, request, picked, entity, tab)
    ids = _ids(request)
    one = request.POST.get("create_one", "")
    if one.isdigit() and tab in CREATE_ACTION:  # a row's own "Create partner" button
        action, ids = CREATE_ACTION[tab], [int(one)]
    if action.startswith("keep_"):
        require(request, "resolve_conflict")
    else:
        require(request, "match_binding")
    if not ids:
        model_admin.message_user(request, _("Choose at least one record."), messages.WARNING)
        return HttpResponseRedirect(back)
    if action in CONFIRM and request.POST.get("confirm") != "yes":
        return _confirm(model_admin, request, picked, entity, tab, action, ids)
    user = request.user
    numbers = _typed_numbers(request, entity, action, ids)
    try:
        if action == "exclude":
            if tab == "local_only":
                done = partners.binding_exclude(
                    connection=connection, entity=entity, local_ids=ids, actor=user
                )
            else:
                done = partners.binding_exclude(
                    connection=connection, entity=entity, binding_ids=ids, actor=user
                )
            text = ngettext(
                "%(n)d record will not be synced. Undo it in the list “No sync”.",
                "%(n)d records will not be synced. Undo it in the list “No sync”.",
                done,
            )
        elif action == "include":
            done = partners.binding_include(
                connection=connection, bindings=_bindings(connection, entity, ids), actor=user
            )
            text = ngettext(
                "%(n)d record is synced again.", "%(n)d records are synced again.", done
            )
        elif action == "create_remote":
            done = partners.create_partner_remote(
                connection=connection, entity=entity, local_ids=ids, numbers=numbers, actor=user
            )
            text = ngettext(
                "%(n)d record is being created in %(system)s; its number appears when it is done.",
                "%(n)d records are being created in %(system)s; their numbers appear when "
                "they are done.",
                done,
            )
        elif action == "create_local":
            done = len(
                partners.create_partner_local(
                    connection=connection,
                    entity=entity,
                    bindings=_bindings(connection, entity, ids),
                    numbers=numbers,
                    actor=user,
                )
            )
            text = ngettext(
                "%(n)d record created in Tidsbro.", "%(n)d records created in Tidsbro.", done
            )
        elif action == "unlink":
            bindings = _bindings(connection, entity, ids)
            for binding in bindings:
                partners.binding_unlink(binding=binding, actor=user)
            done = len(bindings)
            text = ngettext(
                "%(n)d record is no longer synced; link it again from “No sync”.",
                "%(n)d records are no longer synced; link them again from “No sync”.",
                done,
            )
        elif action in ("keep_local", "keep_remote"):
            done = partners.conflicts_keep(
                bindings=_bindings(connection, entity, ids),
                side=partners.LOCAL if action == "keep_local" else partners.REMOTE,
                actor=user,
            )
            text = ngettext("%(n)d conflict resolved.", "%(n)d conflicts resolved.", done)
        else:
            model_admin.message_user(request, _("Choose an action."), messages.WARNING)
            return HttpResponseRedirect(back)
    except ApplicationError as exc:
        if numbers:  # the form again, with what was typed and why it cannot be
            return _confirm(
                model_admin, request, picked, entity, tab, action, ids, error=exc.message
            )
        model_admin.message_user(request, exc.message, messages.ERROR)
        return HttpResponseRedirect(back)
    model_admin.message_user(
        request, text % {"n": done, "system": connection.system_name}, messages.SUCCESS
    )
    return HttpResponseRedirect(back)


def _fetch(
    model_admin: Any, request: HttpRequest, connection: Connection, entity: str, back: str
) -> HttpResponse:
    """Queues a pull of this object type now (support and admins)."""
    from apps.integrations import services
    from apps.integrations.models import SyncRun

    require(request, "run_sync")
    try:
        services.sync_now(
            connection=connection, entity=entity, trigger=SyncRun.Trigger.MANUAL, actor=request.user
        )
    except ApplicationError as exc:
        model_admin.message_user(request, exc.message, messages.ERROR)
    else:
        model_admin.message_user(
            request,
            _("Fetching %(entity)s from %(system)s has been queued; reload to see the result.")
            % {"entity": ENTITIES[entity], "system": connection.system_name},
            messages.SUCCESS,
        )
    return HttpResponseRedirect(back)


def _create_all(
    model_admin: Any, request: HttpRequest, picked: Picked, entity: str, tab: str
) -> HttpResponse:
    """Create all partners of a list (its whole search, not one page): how many and how the
    numbers are given, then the run in the background and its progress page."""
    from apps.integrations import jobs_partners

    require(request, "match_binding")
    connection = picked.connection
    assert connection is not None
    search = (request.POST.get("q") or "").strip()
    back = list_url(entity, tab, connection=picked.param, q=search)
    action = CREATE_ACTION.get(tab, "")
    running = jobs_partners.create_all_running(connection=connection, entity=entity)
    if running is not None:
        return HttpResponseRedirect(_progress_url(picked, entity, running.pk))
    if request.POST.get("confirm") == "yes":
        try:
            run = jobs_partners.create_all_start(
                connection=connection,
                entity=entity,
                action=action,
                search=search,
                numbers=request.POST.get("numbers", jobs_partners.KEEP),
                actor=request.user,
            )
        except ApplicationError as exc:
            model_admin.message_user(request, exc.message, messages.ERROR)
            return HttpResponseRedirect(back)
        return HttpResponseRedirect(_progress_url(picked, entity, run.pk))
    try:
        count = jobs_partners.create_all_matching(
            connection=connection, entity=entity, action=action, search=search
        ).count()
    except ApplicationError as exc:
        model_admin.message_user(request, exc.message, messages.ERROR)
        return HttpResponseRedirect(back)
    target = _("Tidsbro") if action == "create_local" else connection.system_name
    return TemplateResponse(
        request,
        "admin/integrations/sync_center/create_all.html",
        context(
            model_admin,
            request,
            title=_("Create all partners in %(target)s") % {"target": target},
            **picked.context(lambda pk: list_url(entity, tab, connection=pk)),
            entity=entity,
            entity_label=ENTITIES[entity],
            tab=tab,
            tab_label=named(TABS[tab], connection),
            target=target,
            count=count,
            search=search,
            typed_numbers=entity in partners.TYPED_NUMBERS,
            back=back,
        ),
    )


def _progress_url(picked: Picked, entity: str, run_id: int) -> str:
    url = reverse("admin:integrations_sync_center_create_all", args=[entity, run_id])
    return url + picked.query


@zoned
def create_all_progress_view(
    model_admin: Any, request: HttpRequest, entity: str, run_id: int
) -> HttpResponse:
    """How far a create-all run is: done of total, failures with their reasons, the end."""
    from apps.integrations import jobs_partners
    from apps.integrations.models import SyncRun

    require(request, "view_binding")
    entity = _entity(entity)
    run = get_object_or_404(
        SyncRun.objects.select_related("connection"),
        pk=run_id,
        entity=entity,
        kind__in=jobs_partners.KINDS.values(),
    )
    picked = Picked(run.connection, list(selectors.sync_connections()))
    local = run.kind == jobs_partners.KINDS["create_local"]
    tab = "remote_only" if local else "local_only"
    target = _("Tidsbro") if local else run.connection.system_name
    finished = run.status != SyncRun.Status.RUNNING
    return TemplateResponse(
        request,
        "admin/integrations/sync_center/create_all_progress.html",
        context(
            model_admin,
            request,
            title=_("Create all partners in %(target)s") % {"target": target},
            **picked.context(lambda pk: list_url(entity, tab, connection=pk)),
            entity=entity,
            entity_label=ENTITIES[entity],
            run=run,
            local=local,
            target=target,
            finished=finished,
            handled=run.created + run.skipped + run.errors,
            failures=run.changes if isinstance(run.changes, list) else [],
            percent=int(100 * (run.created + run.skipped + run.errors) / run.fetched)
            if run.fetched
            else 100,
            back=list_url(entity, tab, connection=picked.param),
            linked=list_url(entity, "linked", connection=picked.param),
        ),
    )


def _typed_numbers(
    request: HttpRequest, entity: str, action: str, ids: list[int]
) -> dict[int, str] | None:
    """Record id → the number typed on the confirmation (create partner, customers)."""
    if action not in CREATE_ACTION.values() or entity not in partners.TYPED_NUMBERS:
        return None
    return {i: request.POST[f"number-{i}"].strip() for i in ids if f"number-{i}" in request.POST}


def _bindings(connection: Connection, entity: str, ids: list[int]) -> list[Binding]:
    return list(
        Binding.objects.filter(connection=connection, entity=entity, pk__in=ids)
        .select_related("connection")
        .order_by("id")
    )


def _confirm(
    model_admin: Any,
    request: HttpRequest,
    picked: Picked,
    entity: str,
    tab: str,
    action: str,
    ids: list[int],
    error: str = "",
) -> HttpResponse:
    """The first pass of a bulk action: what will happen to which records; creating a
    customer's partner asks for its number (its own, or the next free one when it has none
    or the other side has it)."""
    connection = picked.connection
    assert connection is not None
    system = connection.system_name
    if tab == "local_only":
        items: list = list(
            selectors.partner_local_only(connection=connection, entity=entity).filter(pk__in=ids)
        )
    else:
        items = _bindings(connection, entity, ids)
    rows = rows_for(connection, entity, tab, items)
    # A project goes to the ERP only with its customer: offer to partner those first.
    unpartnered = []
    if action == "create_remote" and entity == "project":
        seen: set[int] = set()
        for _project, customer in partners.customers_without_partner(
            connection=connection, projects=items
        ):
            if customer.pk not in seen:
                seen.add(customer.pk)
                unpartnered.append(
                    {
                        "customer": customer,
                        "url": reverse(
                            "admin:integrations_sync_center_partner_local",
                            args=["customer", customer.pk],
                        )
                        + picked.query,
                    }
                )
    number_note = ""
    typed = action in CREATE_ACTION.values() and entity in partners.TYPED_NUMBERS
    if typed:
        if action == "create_remote":
            records = [(r["id"], r["local_number"], r["local_id"], "") for r in rows]
        else:
            records = [(r["id"], r["remote_number"], None, r["external_id"]) for r in rows]
        offered = partners.proposed_numbers(connection=connection, entity=entity, records=records)
        for row in rows:
            row["number"] = request.POST.get(f"number-{row['id']}", offered.get(row["id"], ""))
            # The ERP's number is its key there: it cannot change, so it is not typed.
            row["fixed"] = action == "create_local" and bool(partners.number_is_id(row["binding"]))
            if row["fixed"]:
                row["number"] = offered.get(row["id"], row["number"])
        if all(row["fixed"] for row in rows):
            number_note = _("The new Tidsbro records get the numbers they have in %(system)s.")
        else:
            number_note = _(
                "The number is the customer’s number in both Tidsbro and %(system)s. It is "
                "the customer’s own, or the next free one where the other side already uses "
                "it; change it if you like."
            )
        number_note = number_note % {"system": system}
    elif action == "create_remote":
        number_note = _(
            "%(system)s gives each new record its number; it appears here after the transfer."
        ) % {"system": system}
    elif action == "create_local":
        number_note = _("The new Tidsbro records get the numbers they have in %(system)s.") % {
            "system": system
        }
    titles = {
        "create_remote": _("Create in %(system)s"),
        "create_local": _("Create in Tidsbro"),
        "keep_local": _("Keep Tidsbro values"),
        "keep_remote": _("Keep %(system)s values"),
        "unlink": _("Stop sync and unlink"),
    }
    return TemplateResponse(
        request,
        "admin/integrations/sync_center/confirm.html",
        context(
            model_admin,
            request,
            title=named(titles[action], connection),
            **picked.context(lambda pk: list_url(entity, tab, connection=pk)),
            entity=entity,
            entity_label=ENTITIES[entity],
            tab=tab,
            action=action,
            rows=rows,
            number_note=number_note,
            typed_numbers=typed,
            error=error,
            unpartnered=unpartnered,
            back=list_url(entity, tab, connection=picked.param),
            search=request.POST.get("q", ""),
        ),
    )


@zoned
def partner_local_view(
    model_admin: Any, request: HttpRequest, entity: str, local_id: int
) -> HttpResponse:
    """Choose the ERP record a Tidsbro record is: suggestions with their evidence, a search,
    or an ERP id."""
    require(request, "view_binding")
    entity = _entity(entity)
    picked = pick_connection(request)
    connection = picked.connection
    if connection is None:
        raise Http404
    obj = get_object_or_404(partners.local_model(entity), pk=local_id)
    if request.method == "POST":
        require(request, "match_binding")
        external_id = (request.POST.get("choice") or "").strip()
        if external_id == "_typed":
            external_id = (request.POST.get("external_id") or "").strip()
        try:
            partners.binding_link(
                connection=connection,
                entity=entity,
                local_id=obj.pk,
                external_id=external_id,
                actor=request.user,
            )
        except ApplicationError as exc:
            model_admin.message_user(request, exc.message, messages.ERROR)
        else:
            model_admin.message_user(
                request,
                _("%(record)s is linked to the %(system)s record %(id)s.")
                % {"record": obj, "id": external_id, "system": connection.system_name},
                messages.SUCCESS,
            )
            return HttpResponseRedirect(_after_link(picked, entity, obj.pk))
    candidates = partners.candidates_for_local(connection=connection, entity=entity, obj=obj)
    query = (request.GET.get("q") or "").strip()
    found = partners.search_remote(connection=connection, entity=entity, query=query)
    return TemplateResponse(
        request,
        "admin/integrations/sync_center/partner.html",
        context(
            model_admin,
            request,
            title=_("Choose the partner of %(record)s") % {"record": obj},
            **picked.context(
                lambda pk: (
                    reverse("admin:integrations_sync_center_partner_local", args=[entity, local_id])
                    + f"?connection={pk}"
                )
            ),
            entity=entity,
            entity_label=ENTITIES[entity],
            record=str(obj),
            candidates=candidates,
            query=query,
            found=[c for c in found if c.key not in {k.key for k in candidates}],
            side=connection.system_name,
            master_note=partners.link_note(connection, entity),
            typed=True,
            back=list_url(entity, "local_only", connection=picked.param),
            can_match=request.user.has_perm("integrations.match_binding"),
        ),
    )


def _after_link(picked: Picked, entity: str, local_id: int) -> str:
    binding = Binding.objects.filter(
        connection=picked.connection, entity=entity, local_id=local_id
    ).first()
    if binding is not None and binding.state == Binding.State.CONFLICT:
        return reverse("admin:integrations_conflict_resolve", args=[binding.pk])
    return list_url(entity, "linked", connection=picked.param)


@zoned
def partner_remote_view(
    model_admin: Any, request: HttpRequest, entity: str, binding_id: int
) -> HttpResponse:
    """Choose the Tidsbro record an ERP record (only in the ERP) is."""
    require(request, "view_binding")
    entity = _entity(entity)
    picked = pick_connection(request)
    connection = picked.connection
    if connection is None:
        raise Http404
    binding = get_object_or_404(
        Binding, pk=binding_id, connection=connection, entity=entity, local_id__isnull=True
    )
    if request.method == "POST":
        require(request, "match_binding")
        choice = (request.POST.get("choice") or "").strip()
        try:
            partners.binding_link(
                connection=connection,
                entity=entity,
                local_id=int(choice) if choice.isdigit() else 0,
                external_id=binding.external_id,
                actor=request.user,
            )
        except ApplicationError as exc:
            model_admin.message_user(request, exc.message, messages.ERROR)
        else:
            model_admin.message_user(
                request,
                _("The %(system)s record %(id)s is linked.")
                % {"id": binding.external_id, "system": connection.system_name},
                messages.SUCCESS,
            )
            return HttpResponseRedirect(_after_link(picked, entity, int(choice)))
    candidates = partners.candidates_for_remote(connection=connection, binding=binding)
    query = (request.GET.get("q") or "").strip()
    found = partners.search_local(connection=connection, entity=entity, query=query)
    return TemplateResponse(
        request,
        "admin/integrations/sync_center/partner.html",
        context(
            model_admin,
            request,
            title=_("Choose the partner of %(record)s") % {"record": remote_label(binding)},
            **picked.context(lambda pk: list_url(entity, "remote_only", connection=pk)),
            entity=entity,
            entity_label=ENTITIES[entity],
            record=f"{remote_label(binding)} ({binding.external_id})",
            candidates=candidates,
            query=query,
            found=[c for c in found if c.key not in {k.key for k in candidates}],
            side=_("Tidsbro"),
            master_note=partners.link_note(connection, entity),
            typed=False,
            back=list_url(entity, "remote_only", connection=picked.param),
            can_match=request.user.has_perm("integrations.match_binding"),
        ),
    )
