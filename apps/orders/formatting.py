"""Amounts as the office reads them: "12 345,00 kr" in Norwegian, "NOK 12,345.00" in English."""

from decimal import Decimal
from typing import Any

from django.utils import formats, translation

# The currency the demo ERP client keeps its books in (the ERP's default currency).
CURRENCY = "NOK"
# Scandinavian languages write the krone as "kr" after the amount.
LOCAL_SYMBOLS = {("NOK", "nb"), ("NOK", "nn"), ("NOK", "no"), ("SEK", "sv"), ("DKK", "da")}
LOCAL_SYMBOLS |= {("NOK", "da"), ("NOK", "sv"), ("SEK", "nb"), ("DKK", "nb")}
NBSP = "\u00a0"


def format_money(value: Any, *, currency: str = CURRENCY, language: str | None = None) -> str:
    """`12345` → "12 345,00 kr" (nb), "12.345,00 kr" (da), "NOK 12,345.00" (en)."""
    if value is None or value == "":
        return ""
    language = (language or translation.get_language() or "en").split("-")[0].lower()
    amount = Decimal(str(value)).quantize(Decimal("0.01"))
    with translation.override(language):
        text = formats.number_format(amount, decimal_pos=2, use_l10n=True, force_grouping=True)
    if (currency, language) in LOCAL_SYMBOLS:
        return f"{text}{NBSP}kr"
    return f"{currency}{NBSP}{text}"
