"""Orders: read-only once sent, and a "Create order" screen that picks approved hours."""

from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied
from django.db.models import Max, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import formats, timezone
from django.utils.html import format_html, format_html_join
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from unfold.admin import ModelAdmin, TabularInline

from apps.core.exceptions import ApplicationError
from apps.core.formatting import format_hours
from apps.customers.models import Customer
from apps.integrations.adapters.hours import hour_transfer_flags
from apps.integrations.models import Connection
from apps.orders.formatting import CURRENCY, format_money
from apps.orders.models import ExportedOrder, Order, OrderLine
from apps.orders.selectors import order_billable_entries
from apps.orders.services import (
    Problem,
    order_create,
    order_export,
    order_export_capability,
    order_export_connections,
    order_export_plan,
    order_lines_draft,
    order_problems,
)
from apps.projects.models import Project


class OrderLineInline(TabularInline):
    model = OrderLine
    fields = ["entry", "work_type", "product_number", "description", "registered", "billed"]
    fields += ["price", "amount"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    @admin.display(description=_("hours registered"))
    def registered(self, obj: OrderLine) -> str:
        return format_hours(obj.registered_hours)

    @admin.display(description=_("hours"))
    def billed(self, obj: OrderLine) -> str:
        return format_hours(obj.hours)

    @admin.display(description=_("rate"))
    def price(self, obj: OrderLine) -> str:
        return format_money(obj.rate)

    @admin.display(description=_("amount"))
    def amount(self, obj: OrderLine) -> str:
        return format_money(obj.amount)

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).select_related("entry", "entry__user", "work_type")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ChooseForm(forms.Form):
    connection = forms.ModelChoiceField(
        Connection.objects.filter(is_active=True), label=_("ERP connection")
    )
    customer = forms.ModelChoiceField(
        Customer.objects.filter(is_active=True), required=False, label=_("Customer")
    )
    project = forms.ModelChoiceField(
        Project.objects.select_related("customer"),
        required=False,
        label=_("Project"),
        help_text=_("Leave empty to bill every project of the customer."),
    )
    date_from = forms.DateField(
        required=False,
        label=_("From"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    date_to = forms.DateField(
        required=False,
        label=_("To"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    title = forms.CharField(required=False, max_length=255, label=_("Order title"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from apps.integrations.selectors import sync_connections

        # An ERP, not a connection that only switches a feature on (people's calendars).
        self.fields["connection"].queryset = sync_connections()
        connections = list(self.fields["connection"].queryset[:2])
        if len(connections) == 1:
            self.fields["connection"].initial = connections[0].pk

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if not data.get("customer") and not data.get("project"):
            raise forms.ValidationError(_("Choose a customer or a project."))
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("The period ends before it starts."))
        return data


def document_label(connection: Connection) -> str:
    """What the order is in the system, a noun ("order", "draft invoice": `orders.document_label`)."""
    return str(getattr(connection.spec.orders, "document_label", None) or _("order"))


def erp_text(order: Order) -> str:
    """ "Draft invoice 1 in <system>": the number, named as the system names what it made;
    "Order 1 for <system> (file export)" where orders go in a file the system imports."""
    if order_export_capability(order.connection) is not None:
        return capfirst(
            _("%(document)s %(number)s for %(system)s (file export)")
            % {
                "document": document_label(order.connection),
                "number": order.external_id,
                "system": order.connection.system_name,
            }
        )
    return capfirst(
        _("%(document)s %(number)s in %(system)s")
        % {
            "document": document_label(order.connection),
            "number": order.external_id,
            "system": order.connection.system_name,
        }
    )


def erp_url(order: Order) -> str:
    """A link to the order in the system, when its connector offers one (`orders.url`)."""
    if order_export_capability(order.connection) is not None:
        return ""  # the order is in a file the system imports, not (yet) at an address there
    orders = order.connection.spec.orders
    url = getattr(orders, "url", None)
    if url is None or not order.external_id:
        return ""
    return url(order.connection, order.external_id) or ""


def _fix_url(problem: Problem, connection: Connection) -> str:
    """Where the office fixes what the ERP would refuse."""
    if problem.fix is None:  # fixed by the sync (e.g. hours not in the system yet)
        return reverse("admin:integrations_sync_center")
    if problem.kind == "customer_not_in_erp":
        return reverse(
            "admin:integrations_sync_center_partner_local", args=["customer", problem.fix.pk]
        )
    opts = problem.fix._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[problem.fix.pk])


class ExportedFilter(admin.SimpleListFilter):
    """Orders written to a file for the ERP, or not yet (to select the next file's orders)."""

    title = _("exported")
    parameter_name = "exported"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list:
        return [("yes", _("Yes")), ("no", _("Not yet"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() == "yes":
            return queryset.filter(exports__isnull=False).distinct()
        if self.value() == "no":
            return queryset.filter(exports__isnull=True)
        return queryset


@admin.register(Order)
class OrderAdmin(ModelAdmin):
    list_display = ["number", "in_erp", "customer", "project", "amount", "created_by"]
    list_display += ["created_at", "exported"]
    list_filter = ["created_at"]
    search_fields = ["external_id", "customer__name", "project__name", "title"]
    list_select_related = ["connection", "customer", "project", "created_by"]
    readonly_fields = [
        "connection",
        "erp_number",
        "customer",
        "project",
        "title",
        "amount",
        "created_by",
        "created_at",
        "exports_made",
    ]
    fields = readonly_fields
    inlines = [OrderLineInline]

    @admin.display(description=_("number in the ERP"), ordering="external_id")
    def number(self, obj: Order) -> str:
        return obj.external_id

    @admin.display(description=_("number in the ERP"), ordering="external_id")
    def erp_number(self, obj: Order) -> str:
        """ "Draft invoice 1 in <system>", linked to it when the connector offers a link."""
        link = erp_url(obj)
        if not link:
            return erp_text(obj)
        return format_html(
            '<a href="{}" target="_blank" rel="noopener" class="erp-order-link">{} ↗</a>',
            link,
            erp_text(obj),
        )

    @admin.display(description=_("in the ERP"))
    def in_erp(self, obj: Order) -> str:
        link = erp_url(obj)
        if not link:
            return ""
        return format_html(
            '<a href="{}" target="_blank" rel="noopener" class="erp-order-link">{} ↗</a>',
            link,
            erp_text(obj),
        )

    def _erp_number_field(self, request: HttpRequest, obj: Order | None) -> Any:
        """`erp_number` labelled with what the order is in its system ("Draft invoice
        number"); one callable per request, so the form and its read-only fields agree."""
        field = getattr(request, "_order_erp_number_field", None)
        if field is None:

            def field(order: Order) -> str:
                return self.erp_number(order)

            field.__name__ = "erp_number"
            field.short_description = (  # type: ignore[attr-defined]
                capfirst(_("%(document)s number") % {"document": document_label(obj.connection)})
                if obj is not None
                else _("number in the ERP")
            )
            request._order_erp_number_field = field  # type: ignore[attr-defined]
        return field

    def get_fields(self, request: HttpRequest, obj: Any = None) -> list:
        field = self._erp_number_field(request, obj)
        fields = [field if name == "erp_number" else name for name in self.fields]
        if obj is None or not (
            order_export_capability(obj.connection) is not None or obj.exports.exists()
        ):
            fields.remove("exports_made")  # this office exports no files
        return fields

    def _exports_in_use(self, request: HttpRequest) -> bool:
        """Whether this office exports orders as files (once per request)."""
        if not hasattr(request, "_orders_exports_in_use"):
            request._orders_exports_in_use = bool(  # type: ignore[attr-defined]
                order_export_connections() or ExportedOrder.objects.exists()
            )
        return request._orders_exports_in_use  # type: ignore[attr-defined]

    def get_list_display(self, request: HttpRequest) -> list:
        # The "exported" column and filter only where orders are exported as files.
        if self._exports_in_use(request):
            return self.list_display
        return [name for name in self.list_display if name != "exported"]

    def get_list_filter(self, request: HttpRequest) -> list:
        if self._exports_in_use(request):
            return [*self.list_filter, ExportedFilter]
        return list(self.list_filter)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list:
        return self.get_fields(request, obj)

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        # The latest export in the same query as the list (no query per row).
        return super().get_queryset(request).annotate(last_export=Max("exports__exported_at"))

    @admin.display(description=_("exported"), ordering="last_export")
    def exported(self, obj: Order) -> str:
        moment = getattr(obj, "last_export", None)
        if moment is None:
            return "–"
        return formats.date_format(timezone.localtime(moment), "SHORT_DATETIME_FORMAT")

    @admin.display(description=_("exported"))
    def exports_made(self, obj: Order) -> Any:
        """Each time the order was written to a file: when, by whom, which file."""
        exports = list(obj.exports.select_related("exported_by", "connection"))
        if not exports:
            return _("Not exported")
        return format_html_join(
            "",
            '<div class="order-export">{}</div>',
            (
                (
                    _("%(when)s by %(who)s for %(system)s, file %(file)s%(again)s")
                    % {
                        "when": formats.date_format(
                            timezone.localtime(e.exported_at), "SHORT_DATETIME_FORMAT"
                        ),
                        "who": e.exported_by or "–",
                        "system": e.connection.system_name,
                        "file": e.file_name,
                        "again": _(" (again)") if e.again else "",
                    },
                )
                for e in exports
            ),
        )

    # --- export to a file the ERP imports: one action per connection that offers it ------

    def get_actions(self, request: HttpRequest) -> dict:
        actions = super().get_actions(request)
        if not request.user.has_perm("orders.add_order"):
            return actions
        for connection in order_export_connections():

            def action(
                modeladmin: OrderAdmin,
                request: HttpRequest,
                queryset: QuerySet,
                connection: Connection = connection,
            ) -> HttpResponse | None:
                return modeladmin.export_view(request, queryset, connection)

            name = f"export_for_{connection.pk}"
            description = _("Export for %(system)s") % {"system": connection.system_name}
            actions[name] = (action, name, description)
        return actions

    def export_view(
        self, request: HttpRequest, queryset: QuerySet, connection: Connection
    ) -> HttpResponse | None:
        """First pass: what goes into the file, what was exported before (ticking "Export
        again" includes it) and what is refused, with the reason. Second pass (`post`): the
        file itself, the orders marked exported."""
        again = bool(request.POST.get("again"))
        if request.POST.get("post"):
            try:
                result = order_export(
                    connection=connection, actor=request.user, orders=queryset, again=again
                )
            except ApplicationError as exc:
                self.message_user(request, exc.message, messages.ERROR)
                return None
            for order in result.plan.export:
                self.log_change(
                    request, order, _("Exported to %(file)s") % {"file": result.file_name}
                )
            left = [reason for _order, reason in result.plan.skipped + result.plan.refused]
            self.message_user(
                request,
                ngettext(
                    "%(count)s order was exported to %(file)s.",
                    "%(count)s orders were exported to %(file)s.",
                    len(result.plan.export),
                )
                % {"count": len(result.plan.export), "file": result.file_name}
                + (" " + " ".join(left) if left else ""),
                messages.SUCCESS if not left else messages.WARNING,
            )
            response = HttpResponse(result.content, content_type=result.content_type)
            response["Content-Disposition"] = f'attachment; filename="{result.file_name}"'
            return response
        orders = list(
            queryset.select_related("connection", "customer", "project", "created_by")
            .prefetch_related("lines__work_type")
            .order_by("created_at", "id")
        )
        try:
            plan = order_export_plan(connection=connection, orders=orders, again=False)
        except ApplicationError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": _("Export for %(system)s") % {"system": connection.system_name},
            "connection": connection,
            "plan": plan,
            "orders": orders,
            "opts": self.opts,
            "action": request.POST.get("action", ""),
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "media": self.media,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/orders/order/export_confirmation.html", context)

    @admin.display(description=_("total excl. VAT"), ordering="total")
    def amount(self, obj: Order) -> str:
        return format_money(obj.total)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # orders are made on the "Create order" screen, from hours

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # an order sent to the ERP cannot be changed from Tidsbro

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_urls(self) -> list:
        return [
            path(
                "create/",
                self.admin_site.admin_view(self.create_view),
                name="orders_order_create",
            ),
            *super().get_urls(),
        ]

    def changelist_view(self, request: HttpRequest, extra_context: dict | None = None) -> Any:
        extra_context = {
            **(extra_context or {}),
            "can_create_order": request.user.has_perm("orders.add_order"),
        }
        return super().changelist_view(request, extra_context)

    def create_view(self, request: HttpRequest) -> HttpResponse:
        """Step 1 choose customer/project and period; step 2 pick hours and edit lines;
        step 3 check lines, amounts and totals, then send."""
        if not request.user.has_perm("orders.add_order"):
            raise PermissionDenied
        source = request.POST if request.method == "POST" else request.GET
        form = ChooseForm(source or None)
        context: dict[str, Any] = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Create order"),
            "form": form,
            "step": "choose",
            "currency": CURRENCY,
        }
        if not form.is_bound or not form.is_valid():
            return TemplateResponse(request, "admin/orders/order/create.html", context)
        data = form.cleaned_data
        connection = data["connection"]
        customer = data["customer"] or (data["project"].customer if data["project"] else None)
        entries = list(
            order_billable_entries(
                customer=data["customer"],
                project=data["project"],
                date_from=data["date_from"],
                date_to=data["date_to"],
            )
        )
        chosen = {int(i) for i in request.POST.getlist("entry") if i.isdigit()}
        edits = {
            e.pk: {
                "hours": request.POST.get(f"hours_{e.pk}", ""),
                "rate": request.POST.get(f"rate_{e.pk}", ""),
                "description": request.POST.get(f"description_{e.pk}", ""),
            }
            for e in entries
        }
        flags = hour_transfer_flags(connection=connection, entry_ids=[e.pk for e in entries])
        try:
            drafts = {d.entry.pk: d for d in order_lines_draft(entries=entries, edits=edits)}
        except ApplicationError as exc:
            # An edit that does not hold: show the rows with what was typed, and why.
            self.message_user(request, exc.message, messages.ERROR)
            drafts = {d.entry.pk: d for d in order_lines_draft(entries=entries)}
        fresh = request.method != "POST" or "step" not in request.POST
        rows = [
            {
                "entry": e,
                "flag": flags.get(e.pk, ""),
                # Hours registered as not billable wait unless the office ticks them.
                "checked": e.pk in chosen or (fresh and e.billable_hours > 0),
                **edits[e.pk],
                "default_rate": e.work_type.price,
                "line": drafts[e.pk],
            }
            for e in entries
        ]
        picked = [e for e in entries if e.pk in chosen]
        shown = [r["line"] for r in rows if r["checked"]]
        problems = order_problems(
            connection=connection, customer=customer, entries=picked if not fresh else entries
        )
        context.update(
            step="pick",
            customer=customer,
            rows=rows,
            problems=[(p, _fix_url(p, connection)) for p in problems],
            total_hours=sum((line.hours for line in shown), Decimal("0")),
            total=sum((line.amount for line in shown), Decimal("0")),
        )
        if fresh or request.POST.get("step") == "pick":
            return TemplateResponse(request, "admin/orders/order/create.html", context)
        try:
            if not picked:
                raise ApplicationError(_("Choose the hours to bill."))
            lines = order_lines_draft(entries=picked, edits=edits)
            if request.POST.get("step") != "send":
                context.update(
                    step="confirm",
                    lines=lines,
                    total_hours=sum((line.hours for line in lines), Decimal("0")),
                    total=sum((line.amount for line in lines), Decimal("0")),
                )
                return TemplateResponse(request, "admin/orders/order/create.html", context)
            order = order_create(
                connection=connection,
                actor=request.user,
                entries=picked,
                customer=data["customer"],
                project=data["project"],
                edits=edits,
                title=data["title"],
            )
        except ApplicationError as exc:
            if not problems:  # those are listed with their links already
                self.message_user(request, exc.message, messages.ERROR)
                context["refusal"] = exc.message
            return TemplateResponse(request, "admin/orders/order/create.html", context)
        self.log_addition(request, order, [{"added": {}}])
        self.message_user(
            request,
            ngettext(
                "%(order)s was created with %(count)s line (%(total)s).",
                "%(order)s was created with %(count)s lines (%(total)s).",
                len(picked),
            )
            % {
                "order": erp_text(order),
                "count": len(picked),
                "total": format_money(order.total),
            },
            messages.SUCCESS,
        )
        return HttpResponseRedirect(reverse("admin:orders_order_change", args=[order.pk]))
