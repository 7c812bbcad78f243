"""Forms of Unimicro's wizard steps and settings boxes."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from apps.integrations.connectors.unimicro import MODE_API, MODE_CSV

KEY_NAME_MAX = 80


class ModeForm(forms.Form):
    mode = forms.ChoiceField(
        label=_("Integration"),
        widget=forms.RadioSelect,
        choices=[
            (
                MODE_API,
                _(
                    "Full integration (API): customers, projects and work types go to "
                    "Unimicro, approved hours become work items and orders customer orders; "
                    "needs a login to Unimicro."
                ),
            ),
            (
                MODE_CSV,
                _(
                    "CSV export: no API access needed; orders are exported as the file "
                    "Unimicro imports (Orders → Export for Unimicro). Nothing else is kept "
                    "in step."
                ),
            ),
        ],
        error_messages={"required": _("Choose full integration or CSV export.")},
    )


class LoginForm(forms.Form):
    """Log in to Unimicro (no fields), or, where configured, Tidsbro's server access."""

    auth = forms.ChoiceField(
        label=_("Access"),
        widget=forms.RadioSelect,
        required=False,
        choices=[
            ("login", _("Log in to Unimicro as a person (a named key for one company)")),
            ("server", _("Use Tidsbro's server access (a certificate, no personal login)")),
        ],
        initial="login",
    )

    def __init__(self, *args: Any, server: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not server:
            del self.fields["auth"]


class CompanyForm(forms.Form):
    company_key = forms.ChoiceField(
        label=_("Company"),
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose the Unimicro company to connect.")},
    )

    def __init__(self, *args: Any, companies: list[dict[str, Any]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["company_key"].choices = [
            (
                c["key"],
                f"{c['name']} ({_('org. no.')} {c['org_number']})"
                if c.get("org_number")
                else c["name"],
            )
            for c in companies
        ]


class KeyNameForm(forms.Form):
    name = forms.CharField(
        label=_("Key name"),
        max_length=KEY_NAME_MAX,
        help_text=_("How the key is listed under Keys (e.g. who logged in and for what)."),
        error_messages={"required": _("Name the key.")},
    )

    def clean_name(self) -> str:
        name = " ".join(self.cleaned_data["name"].split())
        if not name:
            raise forms.ValidationError(_("Name the key."))
        return name


class KeyActionForm(forms.Form):
    """The Keys box: rename (with `name`), re-authorise or revoke one key."""

    key = forms.CharField(widget=forms.HiddenInput)
    do = forms.ChoiceField(
        choices=[("rename", "rename"), ("reauthorise", "reauthorise"), ("revoke", "revoke")],
        widget=forms.HiddenInput,
    )
    name = forms.CharField(max_length=KEY_NAME_MAX, required=False)


class OrdersForm(forms.Form):
    transfer_orders_to_invoice = forms.BooleanField(
        label=_("Also make an invoice draft of each order in Unimicro"),
        required=False,
        help_text=_("Tidsbro never sends the invoice to the customer; that stays in Unimicro."),
    )
