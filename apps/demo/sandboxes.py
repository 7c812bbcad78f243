"""The ERP sandboxes the demo serves, as each declares itself in `settings.SANDBOXES`.

One entry per sandbox (local settings only; tests set their own):

- `app`: the sandbox's app (it takes part only when installed);
- `path`: where it answers under this server ("/sandbox/<system>");
- `settings`: the settings that point a connector at it, each with the suffix after the
  sandbox's address ("" for the address itself); one set in the environment is left alone;
- `seed`: the management command (and its arguments) that seeds the demo office into it;
- `about`: what `demo_run` prints about it; `{url}` is the sandbox's address;
- `connect` (optional): a connection the demo office has with it from the start, as
  `{"system": …, "settings": {…}}` (one that needs no office credentials, e.g. switching each
  person's calendar on); `demo_data --sandboxes` makes it once, after seeding.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from django.apps import apps
from django.conf import settings


@dataclass(frozen=True)
class Sandbox:
    app: str
    path: str
    settings: dict[str, str] = field(default_factory=dict)
    seed: tuple[str, ...] = ()
    about: str = ""
    connect: dict = field(default_factory=dict)

    def url(self, base_url: str) -> str:
        return f"{base_url.rstrip('/')}{self.path}"


def installed_sandboxes() -> list[Sandbox]:
    """The sandboxes of settings.SANDBOXES whose app is installed, in their order."""
    found = []
    for entry in getattr(settings, "SANDBOXES", []):
        sandbox = Sandbox(
            app=entry["app"],
            path=entry["path"],
            settings=dict(entry.get("settings", {})),
            seed=tuple(entry.get("seed", ())),
            about=entry.get("about", ""),
            connect=dict(entry.get("connect", {})),
        )
        if apps.is_installed(sandbox.app):
            found.append(sandbox)
    return found


def follow_served_address(base_url: str) -> dict[str, str]:
    """Points every installed sandbox's settings at this server on `base_url` in this process
    and returns the environment for child processes (the worker) that does the same. An
    address set explicitly in the environment (a real ERP, another sandbox) is left as it is."""
    env = {"TIDSBRO_BASE_URL": base_url}
    settings.TIDSBRO_BASE_URL = base_url
    for sandbox in installed_sandboxes():
        for name, suffix in sandbox.settings.items():
            if not os.environ.get(name):
                value = f"{sandbox.url(base_url)}{suffix}"
                setattr(settings, name, value)
                env[name] = value
    return env


def about_lines(base_url: str) -> list[str]:
    """What the demo prints about each sandbox (its `about`, `{url}` filled in)."""
    lines: list[str] = []
    for sandbox in installed_sandboxes():
        if sandbox.about:
            lines.extend(sandbox.about.format(url=sandbox.url(base_url)).splitlines())
    return lines


def connect_office() -> list[str]:
    """Makes each installed sandbox's `connect` connection for the demo office, unless one of
    that system is active already (running the demo again changes nothing); what was done,
    in words."""
    from apps.integrations import services
    from apps.integrations.models import Connection

    done: list[str] = []
    for sandbox in installed_sandboxes():
        if not sandbox.connect:
            continue
        system = sandbox.connect["system"]
        existing = Connection.objects.filter(system=system, is_active=True).first()
        if existing is not None:
            done.append(f"{existing}: already active.")
            continue
        connection = services.connection_create(
            system=system,
            credentials={},
            settings=sandbox.connect.get("settings", {}),
            connected=[],
            masters={},
        )
        done.append(f"{connection}: active for the office (connection {connection.pk}).")
    return done
