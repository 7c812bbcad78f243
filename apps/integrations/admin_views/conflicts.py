"""The conflict screen: one record's differing fields side by side (value at the last sync,
Tidsbro, the connected system); click the value to keep or type a merged one, submit, both
end equal.

Registered by BindingAdmin.get_urls; writes only through `partners.conflict_resolve`.
"""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.translation import gettext_lazy as _

from apps.core.exceptions import ApplicationError
from apps.integrations import partners, selectors
from apps.integrations.admin_views.sync_center import (
    ENTITIES,
    Picked,
    context,
    list_url,
    require,
    zoned,
)
from apps.integrations.models import Binding, Conflict


def urls(model_admin: Any) -> list:
    wrap = model_admin.admin_site.admin_view
    return [
        path(
            "conflicts/<int:binding_id>/",
            wrap(lambda r, binding_id: resolve_view(model_admin, r, binding_id)),
            name="integrations_conflict_resolve",
        ),
    ]


def shown(value: Any) -> str:
    """A canonical value as the office reads it."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return str(_("yes")) if value else str(_("no"))
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def typed(value: Any) -> str:
    """A value as it is typed back in the merged-value box."""
    if value is None:
        return ""
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def entity_fields(entity: str) -> tuple[str, ...]:
    from apps.integrations import entities

    try:
        return tuple(entities.fields(entity))
    except LookupError:
        return ()


def field_label(model: Any, name: str) -> str:
    """The field's name as the office knows it (its verbose name), else the sync's name."""
    from django.core.exceptions import FieldDoesNotExist

    try:
        return str(model._meta.get_field(name).verbose_name)
    except FieldDoesNotExist:
        return name.replace("_", " ")


@zoned
def resolve_view(model_admin: Any, request: HttpRequest, binding_id: int) -> HttpResponse:
    require(request, "view_conflict")
    binding = get_object_or_404(Binding.objects.select_related("connection"), pk=binding_id)
    conflicts = list(
        Conflict.objects.filter(binding=binding, resolved_at__isnull=True).order_by("field")
    )
    picked = Picked(binding.connection, list(selectors.sync_connections()))
    back = list_url(binding.entity, "conflict", connection=picked.param)
    model = partners.local_model(binding.entity)
    # In the order the office knows the record's fields (name first), not alphabetically.
    order = {name: i for i, name in enumerate(entity_fields(binding.entity))}
    conflicts.sort(key=lambda c: (order.get(c.field, len(order)), c.field))
    if request.method == "POST":
        require(request, "resolve_conflict")
        choices = {
            c.field: (
                request.POST.get(f"choice-{c.field}", ""),
                request.POST.get(f"merged-{c.field}", ""),
            )
            for c in conflicts
        }
        unchosen = [field_label(model, f) for f, (how, _typed) in choices.items() if not how]
        try:
            if unchosen:
                raise ApplicationError(
                    _("Choose a value for every field: %(fields)s.")
                    % {"fields": ", ".join(unchosen)}
                )
            partners.conflict_resolve(binding=binding, choices=choices, actor=request.user)
        except ApplicationError as exc:
            model_admin.message_user(request, exc.message, messages.ERROR)
        else:
            model_admin.message_user(
                request,
                _("The conflict is resolved; %(system)s gets the chosen values now.")
                % {"system": binding.connection.system_name},
                messages.SUCCESS,
            )
            return HttpResponseRedirect(back)
    obj = model.objects.filter(pk=binding.local_id).first() if binding.local_id else None
    posted = request.POST if request.method == "POST" else {}
    rows = [
        {
            "field": c.field,
            "label": field_label(model, c.field),
            "base": shown(c.base_value),
            "local": shown(c.local_value),
            "remote": shown(c.remote_value),
            "merged": posted.get(f"merged-{c.field}", typed(c.local_value)),
            "choice": posted.get(f"choice-{c.field}", ""),
        }
        for c in conflicts
    ]
    return TemplateResponse(
        request,
        "admin/integrations/conflicts/resolve.html",
        context(
            model_admin,
            request,
            title=_("Resolve the conflict: %(record)s") % {"record": obj or binding},
            entity=binding.entity,
            entity_label=ENTITIES.get(binding.entity, binding.entity),
            binding=binding,
            record=obj,
            rows=rows,
            # A pair just partnered has no last sync: say so instead of an empty column.
            has_base=any(c.base_value not in (None, "") for c in conflicts),
            back=back,
            can_resolve=request.user.has_perm("integrations.resolve_conflict"),
        ),
    )
