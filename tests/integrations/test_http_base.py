"""The REST connectors' HTTP base against a scripted HTTP peer on 127.0.0.1.

The peer is a real server in a thread, so every request goes through sockets, timeouts and
streaming exactly as against an ERP; it plays what no sandbox does on purpose: hangs, drips,
resets, oversized and broken replies, redirects.
"""

from __future__ import annotations

import http.server
import json
import logging
import socket
import struct
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import pytest

from apps.integrations.connectors.base import AuthFailed, RateLimited, Rejected, Unavailable
from apps.integrations.connectors.http import (
    CallRecord,
    FixedWindowPolicy,
    HttpLimits,
    RateWindow,
    RestClient,
    TokenBucketPolicy,
    TokenBuckets,
    parse_rate_limiting,
    redact,
    retry_after_seconds,
)
from apps.integrations.sync.budget import DatabaseRequestBudget

SECRET = "sup3r-s3cret-app-token"
GRANT = "grant/token+with=odd&chars"

Handler = http.server.BaseHTTPRequestHandler


@dataclass
class Hit:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Peer:
    """Answers each path with a scripted function of the request handler."""

    routes: dict[str, Callable[[Handler], None]] = field(default_factory=dict)
    hits: list[Hit] = field(default_factory=list)
    server: Any = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}/api"

    def paths(self) -> list[str]:
        return [h.path for h in self.hits]


def send(
    handler: Handler,
    status: int = 200,
    body: bytes | dict | list = b"",
    headers: dict[str, str] | None = None,
) -> None:
    data = json.dumps(body).encode() if isinstance(body, dict | list) else body
    handler.send_response(status)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", str(len(data)))
    for name, value in (headers or {}).items():
        handler.send_header(name, value)
    handler.end_headers()
    handler.wfile.write(data)


def reset(handler: Handler) -> None:
    """Close the connection with a TCP reset, answering nothing."""
    handler.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    handler.close_connection = True


@pytest.fixture
def peer() -> Iterator[Peer]:
    peer = Peer()

    class RequestHandler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:
            pass

        def _any(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            path = self.path.split("?", 1)[0]
            peer.hits.append(Hit(self.command, self.path, dict(self.headers), body))
            route = peer.routes.get(path)
            if route is None:
                send(self, 404, {"message": "no such route"})
            else:
                route(self)

        do_GET = do_POST = do_PUT = do_DELETE = _any  # noqa: N815 - http.server's naming

    class Server(http.server.ThreadingHTTPServer):
        daemon_threads = True

        def handle_error(self, request: object, client_address: object) -> None:
            pass  # resets and hang-ups are played on purpose

    peer.server = Server(("127.0.0.1", 0), RequestHandler)
    thread = threading.Thread(
        target=peer.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    yield peer
    peer.server.shutdown()
    peer.server.server_close()


class DemoClient(RestClient):
    """A REST client as a connector writes one: secret headers and an error parser."""

    system = "demo"
    label = "Demo ERP"

    def __init__(self, base_url: str, **kwargs: Any) -> None:
        super().__init__(
            base_url=base_url,
            headers={"X-AppSecretToken": SECRET, "X-AgreementGrantToken": GRANT},
            secret_headers=("x-appsecrettoken", "X-AgreementGrantToken"),
            **kwargs,
        )

    def error_messages(self, status: int, body: Any) -> tuple[str, ...]:
        if isinstance(body, dict) and isinstance(body.get("errors"), list):
            return tuple(e["message"] for e in body["errors"])
        return super().error_messages(status, body)


def client_for(peer: Peer, **kwargs: Any) -> DemoClient:
    kwargs.setdefault("limits", HttpLimits(connect_timeout=1, read_timeout=1, deadline=3))
    return DemoClient(peer.url, **kwargs)


def assert_no_secret(*texts: str) -> None:
    for text in texts:
        assert SECRET not in text
        assert GRANT not in text
        assert "grant%2Ftoken" not in text


# SUCCESS AND CALL RECORDS
# ------------------------------------------------------------------------------
def test_json_reply_is_decoded_and_each_request_recorded_without_query(peer):
    peer.routes["/api/customers"] = lambda h: send(h, 200, {"collection": [{"n": 1}]})
    records: list[CallRecord] = []
    with client_for(peer, on_request=records.append) as client:
        data = client.get("customers", params={"skippages": 2, "filter": "name$eq:x"})

    assert data == {"collection": [{"n": 1}]}
    assert client.requests == 1
    [record] = records
    assert (record.system, record.method, record.path, record.status) == (
        "demo",
        "GET",
        "/customers",
        200,
    )
    assert record.ok and record.duration_ms >= 0
    [hit] = peer.hits
    assert hit.path == "/api/customers?skippages=2&filter=name%24eq%3Ax"
    assert hit.headers["X-AppSecretToken"] == SECRET
    assert hit.headers["User-Agent"] == "Tidsbro connector"


def test_the_connection_is_kept_alive_between_calls(peer):
    ports: list[int] = []

    def answer(handler: Handler) -> None:
        ports.append(handler.client_address[1])
        send(handler, 200, {"ok": True})

    peer.routes["/api/x"] = answer
    client = client_for(peer, limits=HttpLimits(read_timeout=1, deadline=1))
    for _ in range(3):
        assert client.get("x") == {"ok": True}
    assert len(ports) == 3 and len(set(ports)) == 1


def test_post_sends_json_and_the_idempotency_key(peer):
    peer.routes["/api/customers"] = lambda h: send(h, 201, {"customerNumber": 7})
    with client_for(peer) as client:
        reply = client.request(
            "POST", "/customers", json_body={"name": "Æble A/S"}, idempotency_key="k-1"
        )

    assert reply.status == 201 and reply.data == {"customerNumber": 7}
    [hit] = peer.hits
    assert json.loads(hit.body) == {"name": "Æble A/S"}
    assert hit.headers["Idempotency-Key"] == "k-1"
    assert hit.headers["Content-Type"] == "application/json"


def test_empty_reply_is_none_when_nothing_is_expected(peer):
    peer.routes["/api/thing"] = lambda h: send(h, 204)
    with client_for(peer) as client:
        assert client.request("DELETE", "thing", expect=None).data is None


def test_not_found_can_be_an_answer(peer):
    with client_for(peer) as client:
        reply = client.request("GET", "missing", allow_not_found=True)
        assert reply.status == 404 and reply.data is None
        with pytest.raises(Rejected):
            client.get("missing")


# TIMEOUTS, DEADLINE, SIZE
# ------------------------------------------------------------------------------
def _unused_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_refused_connection_is_never_ambiguous(method):
    client = DemoClient(f"http://127.0.0.1:{_unused_port()}/api")
    with pytest.raises(Unavailable) as caught:
        client.request(method, "customers", json_body={} if method == "POST" else None)
    assert caught.value.ambiguous is False
    assert "could not reach Demo ERP" in str(caught.value)


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_connect_timeout_is_never_ambiguous(method):
    # A listener that never accepts, with its one-place queue full: the next SYN is dropped.
    with socket.socket() as listener, socket.socket() as filler:
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)
        filler.connect(listener.getsockname())
        client = DemoClient(
            f"http://127.0.0.1:{listener.getsockname()[1]}/api",
            limits=HttpLimits(connect_timeout=0.3, read_timeout=1),
        )
        started = time.monotonic()
        with pytest.raises(Unavailable) as caught:
            client.request(method, "customers", json_body={} if method == "POST" else None)
    assert time.monotonic() - started < 1.5
    assert caught.value.ambiguous is False
    assert "did not accept the connection in time" in str(caught.value)


def _hang(handler: Handler) -> None:
    time.sleep(2)


@pytest.mark.parametrize(("method", "ambiguous"), [("GET", False), ("POST", True), ("PUT", True)])
def test_read_timeout_after_sending_is_ambiguous_for_writes(peer, method, ambiguous):
    peer.routes["/api/slow"] = _hang
    client = client_for(peer, limits=HttpLimits(read_timeout=0.3, deadline=5))
    started = time.monotonic()
    with pytest.raises(Unavailable) as caught:
        client.request(method, "slow", json_body=None if method == "GET" else {"a": 1})
    assert time.monotonic() - started < 1.5
    assert caught.value.ambiguous is ambiguous
    assert "did not answer in time" in str(caught.value)


def _drip(handler: Handler) -> None:
    handler.send_response(200)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", "100000")
    handler.end_headers()
    try:
        handler.wfile.write(b"[")
        for _ in range(100):
            handler.wfile.write(b"1,")
            handler.wfile.flush()
            time.sleep(0.1)
    except OSError:
        pass


@pytest.mark.parametrize(("method", "ambiguous"), [("GET", False), ("POST", True)])
def test_a_slow_drip_stops_at_the_call_deadline(peer, method, ambiguous):
    peer.routes["/api/drip"] = _drip
    records: list[CallRecord] = []
    client = client_for(
        peer, limits=HttpLimits(read_timeout=1, deadline=0.6), on_request=records.append
    )
    started = time.monotonic()
    with pytest.raises(Unavailable) as caught:
        client.request(method, "drip", json_body=None if method == "GET" else {})
    assert time.monotonic() - started < 1.5
    assert (records[0].status, records[0].error) == (200, "Unavailable")
    assert caught.value.ambiguous is ambiguous
    assert "took longer than allowed" in str(caught.value)


def _headers_then_stall(handler: Handler) -> None:
    handler.send_response(200)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", "100")
    handler.end_headers()
    handler.wfile.write(b"[1,")
    handler.wfile.flush()
    time.sleep(3)


def test_a_stall_in_the_body_stops_at_the_deadline_not_the_read_timeout(peer):
    peer.routes["/api/stall"] = _headers_then_stall
    client = client_for(peer, limits=HttpLimits(read_timeout=5, deadline=0.5))
    started = time.monotonic()
    with pytest.raises(Unavailable, match="took longer than allowed") as caught:
        client.request("PUT", "stall", json_body={})
    assert time.monotonic() - started < 1.2
    assert caught.value.ambiguous is True


def _big_chunked(handler: Handler) -> None:
    handler.send_response(200)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Transfer-Encoding", "chunked")
    handler.end_headers()
    try:
        for _ in range(64):
            chunk = b" " * 4096
            handler.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        handler.wfile.write(b"0\r\n\r\n")
    except OSError:
        pass


def test_a_reply_over_the_size_cap_is_refused_while_streaming(peer):
    peer.routes["/api/big"] = _big_chunked
    client = client_for(peer, limits=HttpLimits(max_bytes=10_000))
    with pytest.raises(Unavailable) as caught:
        client.get("big")
    assert "larger than allowed" in str(caught.value)
    assert caught.value.ambiguous is False


def test_a_declared_length_over_the_cap_is_refused_before_reading(peer):
    peer.routes["/api/big"] = lambda h: send(h, 200, b"[" + b"0," * 20_000 + b"0]")
    client = client_for(peer, limits=HttpLimits(max_bytes=10_000))
    with pytest.raises(Unavailable, match="larger than allowed") as caught:
        client.request("POST", "big", json_body={})
    assert caught.value.ambiguous is True


# STATUSES
# ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("method", "status", "ambiguous"),
    [("GET", 500, False), ("POST", 500, True), ("PUT", 503, True), ("DELETE", 502, True)],
)
def test_server_errors_are_unavailable_and_ambiguous_for_writes(peer, method, status, ambiguous):
    peer.routes["/api/x"] = lambda h: send(h, status, {"message": "boom"})
    with pytest.raises(Unavailable) as caught:
        client_for(peer).request(method, "x", json_body=None if method == "GET" else {})
    assert caught.value.ambiguous is ambiguous
    assert f"HTTP {status} from Demo ERP" in str(caught.value)


@pytest.mark.parametrize(("method", "ambiguous"), [("GET", False), ("POST", True)])
def test_a_reset_after_sending_is_ambiguous_for_writes(peer, method, ambiguous):
    peer.routes["/api/x"] = reset
    with pytest.raises(Unavailable) as caught:
        client_for(peer).request(method, "x", json_body=None if method == "GET" else {})
    assert caught.value.ambiguous is ambiguous


def test_unauthorised_is_auth_failed(peer):
    peer.routes["/api/self"] = lambda h: send(h, 401, {"message": "The token is not valid."})
    with pytest.raises(AuthFailed) as caught:
        client_for(peer).get("self")
    assert str(caught.value) == "GET /self: HTTP 401 from Demo ERP: The token is not valid."


def test_client_errors_are_rejected_with_the_parsed_messages(peer):
    body = {"errors": [{"message": "Name is required."}, {"message": "Bad zip."}]}
    peer.routes["/api/customers"] = lambda h: send(h, 400, body)
    with pytest.raises(Rejected) as caught:
        client_for(peer).request("POST", "customers", json_body={})
    assert caught.value.messages == ("Name is required.", "Bad zip.")


def test_a_redirect_is_not_followed(peer):
    peer.routes["/api/moved"] = lambda h: send(h, 302, b"", {"Location": "/elsewhere"})
    with pytest.raises(Unavailable, match="HTTP 302"):
        client_for(peer).get("moved")
    assert peer.paths() == ["/api/moved"]


def test_links_outside_the_base_url_are_refused_without_sending(peer):
    client = client_for(peer)
    with pytest.raises(Unavailable, match="outside its API"):
        client.get("http://attacker.example/api/customers")
    assert peer.hits == [] and client.requests == 0
    peer.routes["/api/customers"] = lambda h: send(h, 200, {})
    assert client.get(f"{peer.url}/customers?skippages=1") == {}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"<html>not json</html>", "not valid JSON"),
        (b"[1, 2]", "not what was asked for"),
        (b"[" * 100_000, "not valid JSON"),
    ],
)
@pytest.mark.parametrize(("method", "ambiguous"), [("GET", False), ("POST", True)])
def test_a_body_that_is_not_the_json_asked_for_is_unavailable(
    peer, body, message, method, ambiguous
):
    peer.routes["/api/x"] = lambda h: send(h, 200, body)
    with pytest.raises(Unavailable, match=message) as caught:
        client_for(peer).request(method, "x", json_body=None if method == "GET" else {})
    assert caught.value.ambiguous is ambiguous
    # Nothing of the reply is chained to the error (no traceback with data).
    error = caught.value
    assert error.__cause__ is None and (error.__context__ is None or error.__suppress_context__)


# RATE LIMITS
# ------------------------------------------------------------------------------
def test_429_with_retry_after_seconds_is_rate_limited(peer):
    peer.routes["/api/x"] = lambda h: send(h, 429, {"message": "slow"}, {"Retry-After": "7"})
    with pytest.raises(RateLimited) as caught:
        client_for(peer).get("x")
    assert caught.value.retry_after == 7.0
    assert caught.value.until is not None


def test_429_with_an_http_date_is_rate_limited_until_then(peer):
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=90), usegmt=True)
    peer.routes["/api/x"] = lambda h: send(h, 429, b"", {"Retry-After": when})
    with pytest.raises(RateLimited) as caught:
        client_for(peer).get("x")
    assert 85 <= caught.value.retry_after <= 90


def test_a_429_blocks_every_client_sharing_the_bucket(peer):
    buckets = TokenBuckets()
    peer.routes["/api/x"] = lambda h: send(h, 429, b"", {"Retry-After": "30"})
    first = client_for(peer, budget=TokenBucketPolicy(key="demo:1", buckets=buckets))
    with pytest.raises(RateLimited):
        first.get("x")
    second = client_for(peer, budget=TokenBucketPolicy(key="demo:1", buckets=buckets))
    with pytest.raises(RateLimited) as caught:
        second.get("x")
    assert 29 <= caught.value.retry_after <= 30
    assert len(peer.hits) == 1 and second.requests == 0


def test_the_token_bucket_header_stops_requests_before_the_bucket_is_empty(peer):
    used = iter(range(90, 200))

    def counted(handler: Handler) -> None:
        header = f"token-limit-100-per-60-seconds: {next(used)}/100"
        send(handler, 200, {}, {"X-RateLimiting": header, "X-CallCost": "1"})

    peer.routes["/api/x"] = counted
    buckets = TokenBuckets()
    policy = TokenBucketPolicy(key="demo:2", buckets=buckets, reserve=0.05)
    client = client_for(peer, budget=policy)
    for _ in range(6):  # the replies say 90 … 95 used: 5 are kept in reserve
        client.get("x")
    assert policy.remaining() == 5
    with pytest.raises(RateLimited) as caught:
        client.get("x")
    assert 55 < caught.value.retry_after <= 60
    assert len(peer.hits) == 6
    buckets.clear()
    client.get("x")  # a fresh start (tests with a new sandbox): nothing is remembered


# REDACTION
# ------------------------------------------------------------------------------
def _echo_secret(status: int) -> Callable[[Handler], None]:
    def reply(handler: Handler) -> None:
        token = handler.headers["X-AppSecretToken"]
        grant = handler.headers["X-AgreementGrantToken"]
        send(handler, status, {"message": f"token {token} grant {grant} refused"})

    return reply


@pytest.mark.parametrize("status", [400, 401, 403, 409, 422])
def test_secrets_echoed_by_the_server_never_reach_errors_or_logs(peer, caplog, status):
    peer.routes["/api/x"] = _echo_secret(status)
    records: list[CallRecord] = []
    client = client_for(peer, on_request=records.append)
    with caplog.at_level(logging.DEBUG), pytest.raises((Rejected, AuthFailed)) as caught:
        client.request("POST", f"x?token={SECRET}", json_body={"grant": GRANT})
    error = caught.value
    assert "***" in str(error)
    assert_no_secret(
        str(error), repr(error), *getattr(error, "messages", ()), caplog.text, repr(records)
    )
    assert_no_secret(repr(client))


def test_secrets_in_the_path_are_blanked_in_records_and_logs(peer, caplog):
    records: list[CallRecord] = []
    client = client_for(peer, on_request=records.append)
    with caplog.at_level(logging.DEBUG), pytest.raises(Rejected) as caught:
        client.get(f"lookup/{SECRET}")
    assert records[0].path == "/lookup/***"
    assert_no_secret(str(caught.value), caplog.text)


def test_redact_blanks_plain_and_url_encoded_secrets():
    text = f"a {GRANT} b grant%2Ftoken%2Bwith%3Dodd%26chars c"
    assert redact(text, [GRANT, "ab", ""]) == "a *** b *** c"


# BUDGET POLICIES
# ------------------------------------------------------------------------------
@pytest.mark.django_db
def test_fixed_window_budget_in_the_database_refuses_over_the_limit(peer):
    peer.routes["/api/x"] = lambda h: send(h, 200, {})
    policy = FixedWindowPolicy(
        budget=DatabaseRequestBudget(),
        key="demo:fixed",
        limit=5,
        reserve=2,
        window=timedelta(hours=1),
        label="Demo ERP",
    )
    client = client_for(peer, budget=policy)
    for _ in range(3):
        client.get("x")
    with pytest.raises(RateLimited, match="request budget for Demo ERP is spent"):
        client.get("x")
    assert len(peer.hits) == 3
    client.close()
    assert (
        DatabaseRequestBudget().used("demo:fixed", window=timedelta(hours=1), now=datetime.now(UTC))
        == 3
    )


@pytest.mark.django_db
def test_fixed_window_budget_blocks_the_key_after_a_429(peer):
    peer.routes["/api/x"] = lambda h: send(h, 429, b"", {"Retry-After": "120"})
    make = lambda: FixedWindowPolicy(  # noqa: E731
        budget=DatabaseRequestBudget(), key="demo:blocked", limit=100, window=timedelta(hours=1)
    )
    with pytest.raises(RateLimited):
        client_for(peer, budget=make()).get("x")
    with pytest.raises(RateLimited) as caught:
        client_for(peer, budget=make()).get("x")
    assert 100 < caught.value.retry_after <= 120
    assert len(peer.hits) == 1


def test_parse_rate_limiting_reads_every_window():
    assert parse_rate_limiting("token-limit-10000-per-60-seconds: 147/10000") == (
        RateWindow(limit=10000, seconds=60, used=147),
    )
    assert parse_rate_limiting(
        "token-limit-10-per-1-seconds: 3/10, token-limit-10000-per-3600-seconds: 9/10000"
    ) == (RateWindow(10, 1, 3), RateWindow(10000, 3600, 9))
    assert parse_rate_limiting("garbage") == ()
    assert parse_rate_limiting(None) == ()


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_token_bucket_waits_briefly_when_the_refill_is_near():
    clock = FakeClock()
    policy = TokenBucketPolicy(
        key="k", buckets=TokenBuckets(), clock=clock, sleep=clock.sleep, max_wait=2.0
    )
    policy.observe(200, {"X-RateLimiting": "token-limit-10-per-1-seconds: 9/10"})
    policy.acquire("GET /x")  # waits for the one-second window to refill, then goes
    assert clock.slept == [1.0]


def test_token_bucket_counts_requests_locally_at_the_last_call_cost():
    clock = FakeClock()
    buckets = TokenBuckets()
    policy = TokenBucketPolicy(key="k", buckets=buckets, clock=clock, sleep=clock.sleep)
    policy.observe(
        200, {"X-RateLimiting": "token-limit-100-per-60-seconds: 50/100", "X-CallCost": "10"}
    )
    for _ in range(4):  # 50 → 90: the next would leave less than the reserve
        policy.acquire("GET /x")
    assert policy.remaining() == 10
    with pytest.raises(RateLimited):
        policy.acquire("GET /x")
    assert buckets.usage("k", now=clock.now) == (90, 100)
    clock.now += 60  # the window has refilled
    assert buckets.usage("k", now=clock.now) is None
    policy.acquire("GET /x")
    assert clock.slept == []


@pytest.mark.parametrize(
    ("value", "expected"),
    [(None, 60.0), ("", 60.0), ("12", 12.0), ("-3", 0.0), ("soon", 60.0), ("nan", 60.0)],
)
def test_retry_after_seconds(value, expected):
    assert retry_after_seconds(value) == expected


def test_retry_after_http_date():
    now = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
    assert retry_after_seconds("Thu, 03 Dec 2026 12:01:30 GMT", now=now) == 90.0
    assert retry_after_seconds("Thu, 03 Dec 2026 11:00:00 GMT", now=now) == 0.0
