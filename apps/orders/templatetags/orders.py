from django import template

from apps.orders.formatting import format_money

register = template.Library()


@register.filter
def money(value):
    """An amount with thousands separators and the currency, in the reader's language."""
    return format_money(value)
