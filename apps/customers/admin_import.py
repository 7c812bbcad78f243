"""Admin → Customers → Import: upload, preview (nothing written), confirm (one transaction).

The upload waits in CUSTOMER_IMPORT_DIR between the two steps under a random name that starts
with the uploader's id, so only they can confirm it or download its error rows. The
confirmation plans the file again and writes only if the plan is the one that was previewed.
"""

import re
import secrets
import time
from pathlib import Path
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import get_language, gettext_lazy, ngettext
from django.utils.translation import gettext as _

from apps.core.exceptions import ApplicationError
from apps.core.exports import rows_dataset, spreadsheet_response
from apps.customers import imports
from apps.customers.services import customers_import

PREVIEW_LIMIT = 200  # rows shown per section; the counts are always complete
_TOKEN = re.compile(r"^(\d+)-[0-9a-f]{32}\.(csv|txt|xlsx)$")
_MAX_AGE_SECONDS = 24 * 3600

FIELD_LABELS = {field: imports.LABELS[header] for header, field in imports.COLUMNS}


class ImportForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("File"),
        help_text=gettext_lazy("CSV (UTF-8 or Excel's semicolon CSV) or Excel workbook (.xlsx)."),
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        limit = imports.max_upload_bytes()
        if upload.size > limit:
            raise forms.ValidationError(
                _("The file is %(size)s MB; the largest file that can be imported is %(limit)s MB.")
                % {"size": imports._mb(upload.size), "limit": imports._mb(limit)}
            )
        if not upload.name.lower().endswith((".csv", ".txt", ".xlsx")):
            raise forms.ValidationError(
                _("Upload a .csv or .xlsx file (the template shows the columns).")
            )
        return upload


def _display(value: Any) -> Any:
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    return "" if value is None else value


def _import_dir() -> Path:
    directory = Path(settings.CUSTOMER_IMPORT_DIR)
    directory.mkdir(parents=True, exist_ok=True)
    return directory


def _store(request: HttpRequest, content: bytes, filename: str) -> str:
    directory = _import_dir()
    now = time.time()
    for old in directory.glob("*-*.*"):  # uploads nobody confirmed
        if now - old.stat().st_mtime > _MAX_AGE_SECONDS:
            old.unlink(missing_ok=True)
    ext = filename.lower().rsplit(".", 1)[-1]
    token = f"{request.user.pk}-{secrets.token_hex(16)}.{ext}"
    (directory / token).write_bytes(content)
    return token


def _load(request: HttpRequest, token: str) -> tuple[bytes, str]:
    match = _TOKEN.match(token or "")
    if not match or match.group(1) != str(request.user.pk):
        raise Http404
    stored = _import_dir() / token
    if not stored.exists():
        raise Http404
    return stored.read_bytes(), token


class CustomerImportMixin:
    """The import screens of the customer admin (needs add and change permission)."""

    import_template = "admin/customers/customer/import.html"

    def get_urls(self) -> list:
        view = self.admin_site.admin_view  # type: ignore[attr-defined]
        return [
            path("import/", view(self.import_view), name="customers_customer_import"),
            path(
                "import/template.<str:fmt>",
                view(self.import_template_view),
                name="customers_customer_import_template",
            ),
            path(
                "import/errors/<str:token>/<str:fmt>/",
                view(self.import_errors_view),
                name="customers_customer_import_errors",
            ),
            *super().get_urls(),  # type: ignore[misc]
        ]

    def has_import_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("customers.add_customer") and request.user.has_perm(
            "customers.change_customer"
        )

    def changelist_view(self, request: HttpRequest, extra_context: dict | None = None):
        extra_context = {
            **(extra_context or {}),
            "can_import": self.has_import_permission(request),
        }
        return super().changelist_view(request, extra_context)  # type: ignore[misc]

    # --- the two steps --------------------------------------------------------------------

    def import_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_import_permission(request):
            raise PermissionDenied
        if request.method == "POST" and request.POST.get("token"):
            return self._confirm(request)
        form = ImportForm(request.POST or None, request.FILES or None)
        context: dict[str, Any] = {"form": form}
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            content = upload.read()
            started = time.perf_counter()
            try:
                table = imports.read_table(content=content, filename=upload.name)
                plan = imports.plan_import(table=table)
            except imports.ImportFileError as exc:
                form.add_error("file", exc.message)
            else:
                token = _store(request, content, upload.name)
                context.update(self._preview_context(plan, token, upload.name, started))
        return self._render(request, context)

    def _confirm(self, request: HttpRequest) -> HttpResponse:
        content, token = _load(request, request.POST["token"])
        filename = request.POST.get("filename") or token
        try:
            plan = imports.plan_import(
                table=imports.read_table(content=content, filename=token),
            )
        except imports.ImportFileError as exc:  # a limit lowered, or a slower second reading
            self.message_user(request, exc.message, messages.ERROR)  # type: ignore[attr-defined]
            return HttpResponseRedirect(reverse("admin:customers_customer_import"))
        if plan.digest() != request.POST.get("digest"):
            self.message_user(  # type: ignore[attr-defined]
                request,
                _(
                    "The customer register changed since the preview, so nothing was imported. "
                    "Check the new preview and confirm again."
                ),
                messages.WARNING,
            )
            started = time.perf_counter()
            return self._render(
                request,
                {
                    "form": ImportForm(),
                    **self._preview_context(plan, token, filename, started),
                },
            )
        started = time.perf_counter()
        try:
            created, changed = customers_import(
                creates=[row.data for row in plan.creates],
                updates=[(row.customer, row.data) for row in plan.updates],
            )
        except ApplicationError as exc:
            self.message_user(request, exc.message, messages.ERROR)  # type: ignore[attr-defined]
            return HttpResponseRedirect(reverse("admin:customers_customer_import"))
        seconds = time.perf_counter() - started
        self.message_user(  # type: ignore[attr-defined]
            request,
            _(
                "Imported %(file)s. Customers created: %(created)d, changed: %(changed)d, "
                "unchanged: %(unchanged)d (%(seconds).1f s)."
            )
            % {
                "file": filename,
                "created": len(created),
                "changed": len(changed),
                "unchanged": len(plan.unchanged),
                "seconds": seconds,
            },
            messages.SUCCESS,
        )
        if plan.errors:
            url = reverse("admin:customers_customer_import_errors", args=[token, "csv"])
            self.message_user(  # type: ignore[attr-defined]
                request,
                format_html(
                    '{} <a href="{}">{}</a>',
                    ngettext(
                        "%(rows)d row was not imported.",
                        "%(rows)d rows were not imported.",
                        len(plan.error_rows),
                    )
                    % {"rows": len(plan.error_rows)},
                    url,
                    _("Download them with the reasons, fix and import again."),
                ),
                messages.WARNING,
            )
        else:
            (_import_dir() / token).unlink(missing_ok=True)
        return HttpResponseRedirect(reverse("admin:customers_customer_changelist"))

    def _preview_context(
        self, plan: imports.ImportPlan, token: str, filename: str, started: float
    ) -> dict[str, Any]:
        table = plan.table
        encodings = {"utf-8": "UTF-8", "utf-8-sig": "UTF-8 (BOM)", "cp1252": "Windows-1252"}
        delimiters = {";": _("semicolon"), ",": _("comma"), "\t": _("tab")}
        if table.format == "csv":
            detected = _("CSV, %(encoding)s, separated by %(delimiter)s") % {
                "encoding": encodings.get(table.encoding, table.encoding),
                "delimiter": delimiters.get(table.delimiter, table.delimiter),
            }
        else:
            detected = _("Excel workbook (.xlsx)")
        updates = [
            {
                "row": row,
                "changes": [
                    (FIELD_LABELS[f], _display(old), _display(new)) for f, old, new in row.changes
                ],
            }
            for row in plan.updates[:PREVIEW_LIMIT]
        ]
        fields = [imports.FIELD_OF[c] for c in plan.columns]
        creates = [
            {"row": row, "cells": [_display(row.data.get(f)) for f in fields]}
            for row in plan.creates[:PREVIEW_LIMIT]
        ]
        return {
            "plan": plan,
            "token": token,
            "filename": filename,
            "detected": detected,
            "digest": plan.digest(),
            "creates": creates,
            "to_write": len(plan.creates) + len(plan.updates),
            "updates": updates,
            "unchanged": plan.unchanged[:PREVIEW_LIMIT],
            "errors": plan.errors[:PREVIEW_LIMIT],
            "preview_limit": PREVIEW_LIMIT,
            "column_labels": [imports.LABELS[c] for c in plan.columns],
            "planned_in": time.perf_counter() - started,
        }

    def _render(self, request: HttpRequest, context: dict[str, Any]) -> HttpResponse:
        opts = self.opts  # type: ignore[attr-defined]
        bounds = imports.limits()
        request.current_app = self.admin_site.name  # type: ignore[attr-defined]
        return TemplateResponse(
            request,
            self.import_template,
            {
                **self.admin_site.each_context(request),  # type: ignore[attr-defined]
                "title": _("Import customers"),
                "subtitle": None,
                "opts": opts,
                "columns": imports.COLUMNS,
                "local_headers": imports.local_headers(get_language()),
                "labels": imports.LABELS,
                "required": imports.REQUIRED,
                "max_mb": imports._mb(bounds.max_bytes),
                "max_unpacked_mb": imports._mb(bounds.max_unpacked_bytes),
                "max_rows": bounds.max_rows,
                "max_seconds": f"{bounds.max_seconds:g}",
                **context,
            },
        )

    # --- files ----------------------------------------------------------------------------

    def import_template_view(self, request: HttpRequest, fmt: str) -> HttpResponse:
        if not self.has_import_permission(request) or fmt not in ("csv", "xlsx"):
            raise Http404
        dataset = rows_dataset(imports.template_rows(get_language()))
        return spreadsheet_response(dataset, fmt=fmt, filename="tidsbro-customers")

    def import_errors_view(self, request: HttpRequest, token: str, fmt: str) -> HttpResponse:
        if not self.has_import_permission(request) or fmt not in ("csv", "xlsx"):
            raise Http404
        content, token = _load(request, token)
        try:
            plan = imports.plan_import(table=imports.read_table(content=content, filename=token))
        except imports.ImportFileError as exc:
            self.message_user(request, exc.message, messages.ERROR)  # type: ignore[attr-defined]
            return HttpResponseRedirect(reverse("admin:customers_customer_import"))
        dataset = rows_dataset(imports.error_rows(plan))
        return spreadsheet_response(dataset, fmt=fmt, filename="tidsbro-customers-errors")
