"""Template filters for showing values the way the reader's language writes them."""

from typing import Any

from django import template

from apps.core.formatting import format_hours

register = template.Library()


@register.filter(name="hours")
def hours_filter(value: Any) -> str:
    """`{{ entry.hours|hours }}` → "7,5 t" in Norwegian, "7.5 h" in English."""
    return format_hours(value)


@register.filter(name="dictget")
def dictget(mapping: Any, key: Any) -> Any:
    """`{{ row|dictget:name }}`: a dictionary value by a variable key (None when absent)."""
    try:
        return mapping.get(key)
    except AttributeError:
        return None
