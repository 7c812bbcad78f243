"""The HTTP session of the calendar connector (MSAL's `http_client` and the Graph client's).

MSAL takes https authorities only, so the demo and the tests give the sandbox an https name
(`GRAPH_ROUTE_FROM`) and this session sends that name to the sandbox's real address
(`GRAPH_ROUTE_TO`). In production both settings are empty and nothing is rewritten. The
settings are read at each request (tests change them). No proxies or CA bundles from the
environment, and no redirects followed (they would carry the bearer token elsewhere).
"""

from __future__ import annotations

from typing import Any

import requests
from django.conf import settings


def route(url: str) -> str:
    """`url` with the routed name replaced by the real address (unchanged when not routed)."""
    source = (getattr(settings, "GRAPH_ROUTE_FROM", "") or "").rstrip("/")
    target = (getattr(settings, "GRAPH_ROUTE_TO", "") or "").rstrip("/")
    if not source or not target or not isinstance(url, str):
        return url
    if url == source or url.startswith((source + "/", source + "?")):
        return target + url[len(source) :]
    return url


def browser_link(url: str) -> str:
    """A link the calendar or the login gave, as a person's browser can open it."""
    return route(url or "")


class GraphSession(requests.Session):
    """A requests session that routes the sandbox's https name and never follows redirects."""

    def __init__(self) -> None:
        super().__init__()
        self.trust_env = False

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any):
        if isinstance(url, bytes):
            url = url.decode()
        kwargs["allow_redirects"] = False
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = timeouts()
        return super().request(method, route(url), *args, **kwargs)


def timeouts() -> tuple[float, float]:
    """(connect, read) seconds for the identity platform's requests."""
    return (
        float(getattr(settings, "GRAPH_CONNECT_TIMEOUT", 5.0)),
        float(getattr(settings, "GRAPH_READ_TIMEOUT", 30.0)),
    )
