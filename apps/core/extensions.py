"""Places on a page where another app adds its own part, without the page's app importing it.

An app registers a renderer for a named place in its `ready()`; the page asks for every
part of that place and shows them in order. A renderer gets the page's keyword arguments
and returns HTML (or "" to add nothing here).

Places: "timesheets.week" (below My week's grid: request, user, week_start, tz),
"timesheets.entry" (on a time entry's change page: request, entry).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.utils.safestring import SafeString, mark_safe

Renderer = Callable[..., str]

_places: dict[str, list[Renderer]] = {}


def register(place: str, renderer: Renderer) -> None:
    renderers = _places.setdefault(place, [])
    if renderer not in renderers:
        renderers.append(renderer)


def render(place: str, **context: Any) -> list[SafeString]:
    """Every registered part of `place` (the renderers escape what they put in)."""
    parts = []
    for renderer in _places.get(place, []):
        html = renderer(**context)
        if html:
            parts.append(mark_safe(html))  # noqa: S308 - rendered by templates that escape
    return parts
