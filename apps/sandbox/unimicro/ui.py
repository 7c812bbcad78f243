"""Pages of Unimicro's web app that Tidsbro links to: an order by its number opens the
order's page in the sandbox (its admin page, "play Unimicro")."""

from __future__ import annotations

from django.contrib.admin.views.decorators import staff_member_required
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _

from .models_proxies import OrderRecord


@staff_member_required
def order_view(request: HttpRequest, number: int) -> HttpResponse:
    """Unimicro's page of one customer order (the link on a Tidsbro order made there): the
    order's admin page, found by its order number — in the company `?company=<key>` names,
    else the newest order with that number in any company."""
    orders = OrderRecord.objects.filter(deleted=False).filter(
        Q(data__OrderNumber=number) | Q(data__OrderNumber=str(number))
    )
    company = request.GET.get("company", "").strip()
    if company:
        orders = orders.filter(company_key=company)
    order = orders.order_by("-created_at", "-record_id").first()
    if order is None:
        raise Http404(_("No order has this number."))
    return HttpResponseRedirect(
        reverse("admin:sandbox_unimicro_orderrecord_change", args=[order.pk])
    )
