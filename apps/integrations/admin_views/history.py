"""History of one connection: the health line per object type, every sync run (trigger,
duration, counts, requests, errors; each opens to what it changed) and the transfers that
failed, with "retry now". `?connection=<id>` chooses among several active connections.

Registered by SyncRunAdmin.get_urls; retries go through `outbox.retry`.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from apps.integrations import selectors
from apps.integrations.admin_views.sync_center import (
    context,
    in_user_zone,
    pick_connection,
    require,
    zoned,
)
from apps.integrations.admin_views.transfers import outbox_rows
from apps.integrations.explain import explain
from apps.integrations.labels import entity_choices, entity_label, kind_label
from apps.integrations.models import OutboxItem, SyncRun
from apps.integrations.sync import outbox

PER_PAGE = 50
# A run's counters, shown when not zero ("30 fetched · 2 created · 1 error").
RUN_COUNTS: tuple[tuple[str, Any], ...] = (
    ("fetched", _("fetched")),
    ("created", _("created")),
    ("updated", _("updated")),
    ("pushed", _("sent")),
    ("skipped", _("unchanged")),
    ("conflicts", _("conflicts")),
    ("errors", _("errors")),
    ("requests", _("requests")),
)


def urls(model_admin: Any) -> list:
    wrap = model_admin.admin_site.admin_view
    return [
        path(
            "history/",
            wrap(lambda r: history_view(model_admin, r)),
            name="integrations_sync_history",
        ),
    ]


@zoned
def history_view(model_admin: Any, request: HttpRequest) -> HttpResponse:
    require(request, "view_syncrun")
    picked = pick_connection(request)
    here = reverse("admin:integrations_sync_history")
    if request.method == "POST":
        require(request, "retry_outbox")
        ids = [int(v) for v in request.POST.getlist("selected") if v.isdigit()]
        items = list(OutboxItem.objects.filter(pk__in=ids).exclude(status=OutboxItem.Status.DONE))
        for item in items:
            outbox.retry(item=item)
            model_admin.log_change(request, item, [{"changed": {"fields": ["status"]}}])
        if items:
            model_admin.message_user(
                request,
                ngettext(
                    "%(n)d transfer queued again.", "%(n)d transfers queued again.", len(items)
                )
                % {"n": len(items)},
                messages.SUCCESS,
            )
        else:
            model_admin.message_user(request, _("Choose at least one transfer."), messages.WARNING)
        return HttpResponseRedirect(here + picked.query)
    connection = picked.connection
    system = connection.system_name if connection is not None else None
    runs = SyncRun.objects.order_by("-started_at", "-id")
    if connection is not None:
        runs = runs.filter(connection=connection)
    entity = request.GET.get("entity") or ""
    if entity:
        runs = runs.filter(entity=entity)
    if request.GET.get("failed"):
        runs = runs.filter(status=SyncRun.Status.FAILED)
    page = Paginator(runs, PER_PAGE).get_page(request.GET.get("p"))
    dead = list(selectors.dead_outbox_items(connection=connection).order_by("-updated_at")[:100])
    live = list(
        OutboxItem.objects.filter(
            connection=connection,
            status__in=[OutboxItem.Status.PENDING, OutboxItem.Status.AMBIGUOUS],
        )
        .exclude(last_error="")
        .order_by("-updated_at", "-id")[:100]
    )
    for run in page.object_list:
        run.entity_label = entity_label(run.entity)
        run.kind_label = kind_label(run.kind, system=system)
        run.explanation = explain(run.error_text, connection) if run.error_text else None
        run.counts = [
            (label, getattr(run, name)) for name, label in RUN_COUNTS if getattr(run, name)
        ]
    health = [
        {"h": h, "label": entity_label(h.entity)}
        for h in (selectors.entity_health(connection=connection) if connection else [])
    ]
    return in_user_zone(
        request,
        TemplateResponse(
            request,
            "admin/integrations/sync_center/history.html",
            context(
                model_admin,
                request,
                title=_("Sync history"),
                **picked.context(lambda pk: f"{here}?connection={pk}"),
                health=health,
                page=page,
                entity=entity,
                entities=entity_choices(),
                failed=bool(request.GET.get("failed")),
                dead=outbox_rows(dead, connection=connection),
                live=outbox_rows(live, connection=connection),
                can_retry=request.user.has_perm("integrations.retry_outbox"),
                errors_label=RUN_COUNTS[-2][1],
            ),
        ),
    )


def record_links(changes: list[dict[str, Any]]) -> dict[tuple[str, Any], str]:
    """(object type, Tidsbro id) → a link to the record's admin page, for a run's changes
    (one query per object type); hours read as "16.11.2026 · Kari · Project · 2,5 t"."""
    from django.utils.html import format_html

    from apps.integrations.admin_views.transfers import _admin_url, load_records, record_label

    pairs = [
        (c.get("entity"), c.get("local_id"))
        for c in changes
        if isinstance(c.get("entity"), str) and isinstance(c.get("local_id"), int)
    ]
    links: dict[tuple[str, Any], str] = {}
    for (entity, pk), obj in load_records(pairs).items():
        url = _admin_url(obj)
        label = record_label(entity, obj)
        links[(entity, pk)] = format_html('<a href="{}">{}</a>', url, label) if url else label
    return links
