"""The admin home's integration health panel (only for those who may see the integration)."""

from typing import Any

from django import template

register = template.Library()


@register.inclusion_tag("admin/includes/integration_health.html", takes_context=True)
def integration_health_panel(context: Any) -> dict[str, Any]:
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.has_perm("integrations.view_connection"):
        return {"panel": None}
    from apps.integrations.selectors import health_panel

    return {"panel": health_panel(), "request": request}


@register.simple_tag
def connector_specs() -> list[Any]:
    """Every system Tidsbro can connect to (`{% connector_specs as specs %}`), by its spec."""
    from apps.integrations.registry import specs

    return specs()


@register.simple_tag
def active_connections() -> list[Any]:
    """The active connections (`{% active_connections as connections %}`), one query."""
    from apps.integrations.selectors import connection_list

    return list(connection_list(active=True))
