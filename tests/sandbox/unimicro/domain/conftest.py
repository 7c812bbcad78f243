"""Fixtures for the Unimicro sandbox's domain: a company, a caller, a webhook receiver."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace

import pytest

COMPANY = "4b3e9a10-0000-4000-8000-000000000001"
OTHER_COMPANY = "4b3e9a10-0000-4000-8000-000000000003"


@pytest.fixture
def caller():
    return SimpleNamespace(
        subject="6f1c2d3e-0000-4000-8000-00000000abcd",
        client_id="tidsbro-demo",
        company_key=COMPANY,
        company_name="Tidsbro Rådgivning AS",
        user_name="regnskap@tidsbro.no",
        scopes=frozenset({"AppFramework"}),
    )


class Receiver:
    """A loopback HTTP endpoint recording what it is sent; answers `status` (or a list)."""

    def __init__(self) -> None:
        self.calls: list[dict] = []
        self.statuses: list[int] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's name
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                owner.calls.append(
                    {
                        "path": self.path,
                        "headers": dict(self.headers),
                        "raw": raw,
                        "json": json.loads(raw or b"null"),
                    }
                )
                code = owner.statuses.pop(0) if owner.statuses else 200
                self.send_response(code)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook/"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    made = Receiver()
    yield made
    made.close()


# The API core's fixtures (a bearer token from the identity server, `api` over the live server).
from tests.sandbox.unimicro.api.conftest import api, token  # noqa: E402, F401
