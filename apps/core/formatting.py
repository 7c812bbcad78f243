"""Numbers as the reader writes them: durations in the active language's local format."""

from decimal import Decimal
from typing import Any

from django.utils import formats, translation

# The unit after a number of hours: Norwegian and Danish write "t" (timer), Swedish and
# English "h". Kept here rather than in the .po files because it is a format, not a phrase.
HOUR_UNITS = {"nb": "t", "nn": "t", "no": "t", "da": "t", "sv": "h"}
NBSP = "\u00a0"

# Spreadsheet programs run a cell that starts with one of these as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def format_hours(value: Any, *, language: str | None = None) -> str:
    """`7.5` → "7,5 t" (nb, da), "7,5 h" (sv), "7.5 h" (en); empty for None."""
    if value is None or value == "":
        return ""
    language = language or translation.get_language() or "en"
    number = Decimal(str(value))
    # 7.50 → 7.5 and 8.00 → 8, without turning 10 into 1E+1.
    number = number.quantize(Decimal(1)) if number == number.to_integral() else number.normalize()
    with translation.override(language):
        text = formats.number_format(number, use_l10n=True)
    unit = HOUR_UNITS.get(language.split("-")[0].lower(), "h")
    return f"{text}{NBSP}{unit}"


def neutralise_formula(value: Any) -> Any:
    """Text a spreadsheet would run as a formula gets a leading apostrophe; the rest is kept."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value
