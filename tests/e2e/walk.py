"""What the walks in a Norwegian browser share (their `norwegian` fixture is in conftest.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.utils import translation

from tests.accounts.factories import PASSWORD


def nb(text: str) -> str:
    """What a Norwegian user reads for `text`."""
    with translation.override("nb"):
        return translation.gettext(text)


def shot(page: Any, folder: str, name: str) -> None:
    """A full-page screenshot into `folder` (the walk's *_SHOTS variable); none when empty."""
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


def log_in(page: Any, url: str, email: str) -> None:
    page.goto(f"{url}/admin/login/")
    page.fill("#id_username", email)
    page.fill("#id_password", PASSWORD)
    page.click("#login-form [type=submit]")
    page.wait_for_url(f"{url}/admin/")
