"""Fixtures for the 24SO client: a tiny scripted SOAP peer on 127.0.0.1 for hostile replies.

The scripted peer is a real HTTP server in a thread: the client goes through its whole
transport (sockets, timeouts, streaming) exactly as against 24SO. Everything that can be
tested against the sandbox is tested there (`test_client.py`); this peer only plays what
the sandbox never does on purpose: broken or hostile XML, slow drips, odd HTTP statuses.
"""

from __future__ import annotations

import http.server
import socket
import struct
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import pytest

from apps.integrations.connectors.twentyfourseven.client import (
    InMemoryRequestBudget,
    MemorySessionStore,
    TwentyFourSevenClient,
)
from apps.integrations.connectors.twentyfourseven.types import Credentials

NS = "http://24sevenOffice.com/webservices"
PASSWORD = "s3cret-Pa55word"
SESSION_ID = "sessionidfromscriptedpeer"


def envelope(body: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">'
        f"<soap:Body>{body}</soap:Body></soap:Envelope>"
    ).encode()


def fault(message: str, code: str = "soap:Server") -> bytes:
    return envelope(
        f"<soap:Fault><faultcode>{code}</faultcode><faultstring>{message}</faultstring>"
        "<detail /></soap:Fault>"
    )


def result(operation: str, inner: str) -> bytes:
    return envelope(
        f'<{operation}Response xmlns="{NS}"><{operation}Result>{inner}'
        f"</{operation}Result></{operation}Response>"
    )


@dataclass
class Reply:
    """What the peer answers: a status, headers and a body, or a custom writer."""

    body: bytes = b""
    status: int = 200
    content_type: str = "text/xml; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    # Takes over the socket completely (for drips, hangs and resets).
    writer: Callable[[http.server.BaseHTTPRequestHandler], None] | None = None


@dataclass
class Seen:
    path: str
    action: str
    cookie: str
    body: str


class ScriptedPeer:
    """Answers Login with a session id and every other operation from `replies`."""

    def __init__(self) -> None:
        self.replies: dict[str, Reply | list[Reply]] = {}
        self.seen: list[Seen] = []
        self.stop = threading.Event()
        peer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode("utf-8", errors="replace")
                action = (self.headers.get("SOAPAction") or "").strip('"').rsplit("/", 1)[-1]
                peer.seen.append(Seen(self.path, action, self.headers.get("Cookie") or "", body))
                reply = peer.reply_for(action)
                if reply.writer is not None:
                    reply.writer(self)
                    return
                self.send_response(reply.status)
                self.send_header("Content-Type", reply.content_type)
                self.send_header("Content-Length", str(len(reply.body)))
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(reply.body)

        class Server(http.server.ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, request: object, client_address: object) -> None:
                pass  # resets and hang-ups are what these tests play on purpose

        self.server = Server(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}"

    def reply_for(self, action: str) -> Reply:
        scripted = self.replies.get(action)
        if isinstance(scripted, list):
            return scripted.pop(0) if len(scripted) > 1 else scripted[0]
        if scripted is not None:
            return scripted
        if action == "Login":
            return Reply(result("Login", SESSION_ID))
        return Reply(envelope(f'<{action}Response xmlns="{NS}" />'))

    def actions(self) -> list[str]:
        return [s.action for s in self.seen]


@pytest.fixture
def peer() -> Iterator[ScriptedPeer]:
    server = ScriptedPeer()
    server.thread.start()
    yield server
    server.stop.set()
    server.server.shutdown()
    server.server.server_close()


@pytest.fixture
def make_client(peer: ScriptedPeer) -> Iterator[Callable[..., TwentyFourSevenClient]]:
    """A client for the scripted peer with short timeouts and its own budget."""
    clients: list[TwentyFourSevenClient] = []

    def make(**overrides: object) -> TwentyFourSevenClient:
        options: dict[str, object] = {
            "credentials": Credentials(username="api@example.no", password=PASSWORD),
            "session_store": MemorySessionStore(),
            "base_url": peer.url,
            "timeout": (1.0, 1.0),
            "deadline": 3.0,
            "budget": InMemoryRequestBudget(),
        }
        options.update(overrides)
        client = TwentyFourSevenClient(**options)  # type: ignore[arg-type]
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


def drip(interval: float, total: int) -> Callable[[http.server.BaseHTTPRequestHandler], None]:
    """A reply that sends its body one byte at a time, each within the read timeout."""

    def write(handler: http.server.BaseHTTPRequestHandler) -> None:
        body = result("GetUsers", "") + b" " * total
        handler.send_response(200)
        handler.send_header("Content-Type", "text/xml; charset=utf-8")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        try:
            for index in range(len(body)):
                handler.wfile.write(body[index : index + 1])
                handler.wfile.flush()
                time.sleep(interval)
        except OSError:
            pass  # the client gave up, as it should

    return write


def hang(seconds: float) -> Callable[[http.server.BaseHTTPRequestHandler], None]:
    def write(handler: http.server.BaseHTTPRequestHandler) -> None:
        time.sleep(seconds)

    return write


def reset_after_headers(handler: http.server.BaseHTTPRequestHandler) -> None:
    """Promise a long body, send a little, then reset the connection."""
    handler.send_response(200)
    handler.send_header("Content-Type", "text/xml; charset=utf-8")
    handler.send_header("Content-Length", "100000")
    handler.end_headers()
    handler.wfile.write(b"<?xml version='1.0'?><soap:Envelope")
    handler.wfile.flush()
    handler.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    # Close every reference so the socket really closes now (with RST, thanks to the linger).
    handler.close_connection = True
    handler.wfile.close()
    handler.rfile.close()
    handler.connection.close()
