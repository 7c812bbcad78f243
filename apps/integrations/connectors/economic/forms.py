"""The forms of e-conomic's own wizard steps (the generic wizard draws and posts them)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _


class AgreementForm(forms.Form):
    agreement_grant_token = forms.CharField(
        label=_("Agreement grant token"),
        max_length=200,
        strip=True,
        help_text=_(
            "Filled in when you come back from e-conomic's approval page; or paste the token "
            "an e-conomic user gave you (e-conomic → Settings → Apps)."
        ),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false", "size": 60}),
    )


def _choices(pairs: list[tuple[Any, str]], *, blank: str | None = None) -> list[tuple[str, str]]:
    choices = [(str(key), f"{key} – {name}") for key, name in pairs]
    return [("", blank), *choices] if blank is not None else choices


class DefaultsForm(forms.Form):
    """What a new e-conomic customer gets for the fields e-conomic requires and Tidsbro does
    not hold, from the agreement's own lists."""

    customer_group = forms.ChoiceField(label=_("Customer group"))
    payment_terms = forms.ChoiceField(label=_("Payment terms"))
    vat_zone = forms.ChoiceField(label=_("VAT zone"))
    currency = forms.ChoiceField(label=_("Currency"))
    layout = forms.ChoiceField(label=_("Layout"), required=False)

    def __init__(self, *args: Any, lists: Any, projects: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["customer_group"].choices = _choices(lists.customer_groups)
        self.fields["payment_terms"].choices = _choices(lists.payment_terms)
        self.fields["vat_zone"].choices = _choices(lists.vat_zones)
        self.fields["currency"].choices = _choices(lists.currencies)
        self.fields["layout"].choices = _choices(lists.layouts, blank=str(_("e-conomic's own")))
        if projects is not None:
            # Only with the Project module (`projects` = its lists).
            self.fields.update(ProjectDefaultsForm(projects=projects).fields)


class ProjectDefaultsForm(forms.Form):
    """Where projects and work types made in Tidsbro go in e-conomic, and whose name hours of
    people not linked to an e-conomic employee are sent under."""

    project_group = forms.ChoiceField(
        label=_("Project group for new projects"),
        help_text=_("A project created in Tidsbro is created in this group in e-conomic."),
    )
    activity_group = forms.ChoiceField(
        label=_("Activity group for new work types"),
        help_text=_("A work type created in Tidsbro becomes an activity in this group."),
    )
    integration_employee = forms.ChoiceField(
        label=_("Integration employee"),
        required=False,
        help_text=_(
            "Hours of colleagues not linked to an e-conomic employee are sent under this "
            "employee and flagged, so you can see whose they are. Without one, such hours are "
            "refused, with the reason, until the colleague is linked."
        ),
    )

    def __init__(self, *args: Any, projects: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["project_group"].choices = _choices(projects.project_groups)
        self.fields["activity_group"].choices = _choices(projects.activity_groups)
        self.fields["integration_employee"].choices = _choices(
            projects.employees, blank=str(_("None"))
        )
