"""The HTTP base every REST connector stands on (each connector package subclasses it).

One `RestClient` per connection, used by one thread at a time, on its own `requests.Session`
(no proxies or CA bundles from the environment, no redirects followed). Per call it gives:

- Timeouts: (connect, read) on the socket, and an overall deadline for the call: the wait
  for the reply's headers is bounded by it, and every read of the streamed body by the time
  left (a slow drip or a stall stops when it passes).
- A size cap: the reply is streamed and counted; over the cap → `Unavailable`.
- Secrets redacted: the subclass declares its secret headers (and any other secret values);
  they are blanked from every message and log line. Exceptions never carry headers, bodies
  or query strings, and are raised `from None` so no traceback holds them either.
- Errors, only the four of `connectors.base`:
  429 → `RateLimited(retry_after=…)` from `Retry-After` (seconds or an HTTP date);
  401/403 (`auth_statuses`) → `AuthFailed`; 408, 5xx, 3xx → `Unavailable`;
  other 4xx → `Rejected(messages=…)` with the messages `error_messages()` (the subclass's
  parser of its system's error format) finds; an unreadable or unexpected reply body on a
  2xx → `Unavailable`.
- Ambiguity: `Unavailable.ambiguous` says whether a write may have been applied. Reads
  (GET, HEAD, OPTIONS) are never ambiguous. A write (POST, PUT, PATCH, DELETE) is ambiguous
  once its request may have reached the server: 5xx, 408, a redirect, a reset or read
  timeout after sending, a reply that was cut off, too late, too large or unreadable. It is
  not ambiguous when the connection was never made (connect timeout, refused, DNS). An
  idempotency key does not clear the flag — the write may still have been applied — but it
  makes reconciling cheap: the same request with the same key, inside the system's replay
  window, returns the first result instead of writing twice. Callers keep the key with the
  pending write and reuse it for the retry.
- The request budget, as the system's `BudgetPolicy`: `FixedWindowPolicy` (a count per
  window in a shared `RequestBudget`, e.g. a fixed number an hour counted in the database) or
  `TokenBucketPolicy` (follows the bucket the system reports in a header, e.g.
  `X-RateLimiting`, and waits or refuses before it is empty). Every request is counted
  before it is sent; a refusal raises `RateLimited` and sends nothing.
- `on_request`: told about every request sent, with a `CallRecord` (method, path without
  the query, status, milliseconds); one log line per request.
"""

from __future__ import annotations

import email.utils
import http.client
import json
import logging
import math
import re
import threading
import time
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar, Protocol
from urllib.parse import quote, urlsplit

import requests
import urllib3.exceptions
from requests.structures import CaseInsensitiveDict

from apps.integrations.connectors.base import (
    AuthFailed,
    ConnectorError,
    RateLimited,
    Rejected,
    Unavailable,
)

log = logging.getLogger(__name__)

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
REDACTED = "***"
# Shorter values are not treated as secrets: blanking "1" or "ab" would garble every text.
MIN_SECRET_LENGTH = 4
DEFAULT_RETRY_AFTER = 60.0

# urllib3 logs every request line, query string included, at DEBUG: a secret in a URL would
# reach the logs whatever the project's logging says.
_urllib3_log = logging.getLogger("urllib3.connectionpool")
if _urllib3_log.level < logging.INFO:
    _urllib3_log.setLevel(logging.INFO)


# HELPERS
# ------------------------------------------------------------------------------
def redact(text: str, secrets: Iterable[str]) -> str:
    """`text` with every secret (and its URL-encoded form) replaced by ***."""
    values = {s for s in secrets if s and len(s) >= MIN_SECRET_LENGTH}
    for secret in sorted(values, key=len, reverse=True):
        text = text.replace(secret, REDACTED)
        encoded = quote(secret, safe="")
        if encoded != secret:
            text = text.replace(encoded, REDACTED)
    return text


def safe_text(value: object, limit: int = 500) -> str:
    """A server or error text on one line, cut to `limit` characters."""
    text = " ".join(str(value or "").split())
    return text[:limit]


def retry_after_seconds(
    value: str | None, *, now: datetime | None = None, default: float = DEFAULT_RETRY_AFTER
) -> float:
    """Seconds from a `Retry-After` header: seconds or an HTTP date; `default` when absent
    or unreadable; never negative."""
    if value is None or not value.strip():
        return default
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        return max(seconds, 0.0) if math.isfinite(seconds) else default
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return default
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max((when - (now or datetime.now(UTC))).total_seconds(), 0.0)


# RECORDS
# ------------------------------------------------------------------------------
@dataclass(frozen=True, kw_only=True)
class CallRecord:
    """One HTTP request a REST client sent, for run histories: no payloads, no secrets."""

    system: str
    method: str
    # The path below the base URL, without the query string.
    path: str
    # None when no HTTP status came back (timeout, reset).
    status: int | None
    started_at: datetime
    duration_ms: int
    # The connector error's class name; "" = ok.
    error: str = ""
    message: str = ""

    @property
    def ok(self) -> bool:
        return not self.error

    @property
    def operation(self) -> str:
        return f"{self.method} {self.path}"


@dataclass(frozen=True, kw_only=True)
class HttpLimits:
    """How long and how much a single call may take."""

    connect_timeout: float = 5.0
    read_timeout: float = 30.0
    # The whole call: sending, waiting and reading the reply.
    deadline: float = 60.0
    max_bytes: int = 20 * 1024 * 1024


@dataclass(frozen=True)
class Reply:
    """A reply that passed every check: status, headers and the decoded JSON (None if empty)."""

    status: int
    headers: Mapping[str, str]
    data: Any = None


# BUDGET POLICIES
# ------------------------------------------------------------------------------
class RequestBudget(Protocol):
    """Counts requests per key over a window; shared by every client of a key.

    `try_acquire` counts one request and returns None when it fits under `limit` within
    `window` (and no block is active), else counts nothing and returns the seconds to wait.
    `block` records that the remote side refuses requests until `until`. `release` gives
    back what was reserved ahead of use (called when the client closes).
    Implemented by `apps.integrations.sync.budget.DatabaseRequestBudget`.
    """

    def try_acquire(
        self, key: str, *, limit: int, window: timedelta, now: datetime
    ) -> float | None: ...

    def block(self, key: str, *, until: datetime) -> None: ...

    def release(self, key: str) -> None: ...


class BudgetPolicy(Protocol):
    """A system's request budget as the HTTP base sees it."""

    def acquire(self, operation: str) -> None:
        """Count one request before it is sent; raise `RateLimited` (sending nothing)."""

    def observe(self, status: int, headers: Mapping[str, str]) -> None:
        """Learn from a reply's headers (the system's own count)."""

    def refused(self, retry_after: float) -> None:
        """The system answered 429: nobody sharing the budget sends for `retry_after` s."""

    def release(self) -> None:
        """The client closes: give back what was reserved and not used."""


class NoBudget:
    """No local budget: only the system's own 429 stops requests."""

    def acquire(self, operation: str) -> None:
        return None

    def observe(self, status: int, headers: Mapping[str, str]) -> None:
        return None

    def refused(self, retry_after: float) -> None:
        return None

    def release(self) -> None:
        return None


class FixedWindowPolicy:
    """A fixed number of requests per window, counted in a shared `RequestBudget`.

    `limit - reserve` requests are spent by the sync; the reserve is left for people working
    in the system with the same login (systems that count them against the same limit).
    """

    def __init__(
        self,
        *,
        budget: RequestBudget,
        key: str,
        limit: int,
        window: timedelta,
        reserve: int = 0,
        label: str = "the remote system",
        spent_message: str = "",
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.budget = budget
        self.key = key
        self.limit = limit
        self.window = window
        self.reserve = reserve
        self.label = label
        self.spent_message = spent_message or f"the request budget for {label} is spent"
        self._clock = clock

    def acquire(self, operation: str) -> None:
        now = self._clock()
        wait = self.budget.try_acquire(
            self.key, limit=max(self.limit - self.reserve, 1), window=self.window, now=now
        )
        if wait is not None:
            raise RateLimited(
                self.spent_message,
                operation=operation,
                retry_after=wait,
                until=now + timedelta(seconds=wait),
            )

    def observe(self, status: int, headers: Mapping[str, str]) -> None:
        return None

    def refused(self, retry_after: float) -> None:
        self.block(until=self._clock() + timedelta(seconds=retry_after))

    def block(self, *, until: datetime) -> None:
        """Refuse every request of the key until `until` (every worker sharing it)."""
        self.budget.block(self.key, until=until)

    def release(self) -> None:
        self.budget.release(self.key)


@dataclass(frozen=True)
class RateWindow:
    """One window of a token bucket as the system reports it."""

    limit: int
    seconds: int
    used: int


_RATE_WINDOW = re.compile(
    r"token-limit-(?P<limit>\d+)-per-(?P<seconds>\d+)-seconds?\s*:\s*(?P<used>\d+)\s*/\s*(?P<total>\d+)",
    re.IGNORECASE,
)


def parse_rate_limiting(value: str | None) -> tuple[RateWindow, ...]:
    """An `X-RateLimiting` header ("token-limit-10000-per-60-seconds: 147/10000", several
    windows separated by commas or semicolons) as windows; unreadable parts are skipped."""
    if not value:
        return ()
    windows = []
    for match in _RATE_WINDOW.finditer(value):
        limit = int(match["total"]) or int(match["limit"])
        seconds = int(match["seconds"])
        if limit > 0 and seconds > 0:
            windows.append(RateWindow(limit=limit, seconds=seconds, used=int(match["used"])))
    return tuple(windows)


@dataclass
class _Bucket:
    # (limit, seconds) → (tokens used, monotonic time the count was seen or estimated)
    windows: dict[tuple[int, int], tuple[int, float]] = field(default_factory=dict)
    blocked_until: float = 0.0
    cost: int = 1


class TokenBuckets:
    """What clients of one process know about each key's bucket (shared, thread-safe)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.buckets: dict[str, _Bucket] = {}

    def bucket(self, key: str) -> _Bucket:
        return self.buckets.setdefault(key, _Bucket())

    def usage(self, key: str, *, now: float | None = None) -> tuple[int, int] | None:
        """(tokens used, limit) of the key's tightest window not yet refilled, as the system
        last reported it (plus requests sent since); None when nothing is known."""
        now = time.monotonic() if now is None else now
        with self.lock:
            bucket = self.buckets.get(key)
            live = [
                (limit - used, used, limit)
                for (limit, seconds), (used, seen) in (bucket.windows.items() if bucket else ())
                if seen + seconds > now
            ]
        if not live:
            return None
        _left, used, limit = min(live)
        return used, limit

    def clear(self) -> None:
        """Forget every key (tests that start a fresh sandbox with the same tokens)."""
        with self.lock:
            self.buckets.clear()


# One per process: every client of a key in a worker shares what the system last reported.
DEFAULT_TOKEN_BUCKETS = TokenBuckets()


class TokenBucketPolicy:
    """Follows the token bucket the system reports on every reply (`header`).

    The system refills on a fixed window whose start it does not tell: a window reported
    `seconds` long is assumed to refill at the latest `seconds` after it was seen. Between
    replies each request is added locally at the last `X-CallCost`. Before the bucket is
    down to `reserve` (a fraction of the limit), the policy waits when the refill is at most
    `max_wait` seconds away, else refuses with `RateLimited`. A 429 blocks the key for
    `Retry-After`. Other processes' spending is seen at the next reply.
    """

    def __init__(
        self,
        *,
        key: str,
        label: str = "the remote system",
        header: str = "X-RateLimiting",
        cost_header: str = "X-CallCost",
        reserve: float = 0.05,
        max_wait: float = 2.0,
        buckets: TokenBuckets | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.key = key
        self.label = label
        self.header = header
        self.cost_header = cost_header
        self.reserve = reserve
        self.max_wait = max_wait
        self._buckets = buckets or DEFAULT_TOKEN_BUCKETS
        self._clock = clock
        self._sleep = sleep

    def _wait(self, bucket: _Bucket, now: float) -> float:
        if bucket.blocked_until > now:
            return bucket.blocked_until - now
        wait = 0.0
        for (limit, seconds), (used, seen) in bucket.windows.items():
            refill = seen + seconds
            if refill <= now:
                continue
            keep = max(math.ceil(limit * self.reserve), bucket.cost)
            if used + bucket.cost > limit - keep:
                wait = max(wait, refill - now)
        return wait

    def acquire(self, operation: str) -> None:
        waited = False
        while True:
            now = self._clock()
            with self._buckets.lock:
                bucket = self._buckets.bucket(self.key)
                wait = self._wait(bucket, now)
                if wait <= 0:
                    for window, (used, seen) in list(bucket.windows.items()):
                        if seen + window[1] <= now:
                            del bucket.windows[window]  # refilled since
                        else:
                            bucket.windows[window] = (used + bucket.cost, seen)
                    return
            if waited or wait > self.max_wait:
                raise RateLimited(
                    f"the request budget for {self.label} is nearly spent",
                    operation=operation,
                    retry_after=wait,
                    until=datetime.now(UTC) + timedelta(seconds=wait),
                )
            self._sleep(wait)
            waited = True

    def observe(self, status: int, headers: Mapping[str, str]) -> None:
        windows = parse_rate_limiting(headers.get(self.header))
        cost = headers.get(self.cost_header)
        now = self._clock()
        with self._buckets.lock:
            bucket = self._buckets.bucket(self.key)
            if cost is not None:
                try:
                    bucket.cost = max(int(cost.strip()), 1)
                except ValueError:
                    pass
            for window in windows:
                bucket.windows[(window.limit, window.seconds)] = (window.used, now)

    def refused(self, retry_after: float) -> None:
        until = self._clock() + retry_after
        with self._buckets.lock:
            bucket = self._buckets.bucket(self.key)
            bucket.blocked_until = max(bucket.blocked_until, until)

    def release(self) -> None:
        return None

    def remaining(self) -> int | None:
        """Tokens left in the tightest window known now (None = nothing reported yet)."""
        now = self._clock()
        with self._buckets.lock:
            bucket = self._buckets.bucket(self.key)
            left = [
                limit - used
                for (limit, seconds), (used, seen) in bucket.windows.items()
                if seen + seconds > now
            ]
        return min(left) if left else None


# THE CLIENT BASE
# ------------------------------------------------------------------------------
class _ReplyProblem(Exception):
    """The reply could not be accepted (too slow, too large, cut off)."""


class RestClient:
    """JSON over HTTP for one connection; subclasses add the system's calls and hooks.

    Subclasses set `system` and `label`, pass their auth headers with `secret_headers`
    naming the secret ones, and implement `error_messages()` for their error format.
    """

    system: ClassVar[str] = "rest"
    # How messages name the system (its display name).
    label: ClassVar[str] = "the remote system"
    user_agent: ClassVar[str] = "Tidsbro connector"
    idempotency_header: ClassVar[str] = "Idempotency-Key"
    # A refused or revoked grant, and a grant without the role a resource needs: a human
    # must act, retrying does not help.
    auth_statuses: ClassVar[frozenset[int]] = frozenset({401, 403})

    def __init__(
        self,
        *,
        base_url: str,
        headers: Mapping[str, str] | None = None,
        secret_headers: Collection[str] = (),
        secrets: Iterable[str] = (),
        limits: HttpLimits | None = None,
        budget: BudgetPolicy | None = None,
        on_request: Callable[[CallRecord], None] | None = None,
    ) -> None:
        split = urlsplit(base_url)
        if split.scheme not in ("http", "https") or not split.netloc:
            raise ValueError("the base URL must be an absolute http(s) URL")
        self.base_url = base_url.rstrip("/")
        self._base_path = split.path.rstrip("/")
        self.limits = limits or HttpLimits()
        self.budget: BudgetPolicy = budget or NoBudget()
        self._on_request = on_request
        headers = dict(headers or {})
        secret_names = {name.lower() for name in secret_headers}
        self._secrets: tuple[str, ...] = tuple(
            {v for k, v in headers.items() if k.lower() in secret_names and v} | set(secrets)
        )
        self._http = requests.Session()
        # Never pick up proxies, CA bundles or .netrc credentials from the environment.
        self._http.trust_env = False
        self._http.headers["User-Agent"] = self.user_agent
        self._http.headers["Accept"] = "application/json"
        self._http.headers.update(headers)
        self._requests = 0
        self._status: int | None = None

    # LIFECYCLE
    # --------------------------------------------------------------------------
    def close(self) -> None:
        """Close the connections and give back the budget reserved and not used."""
        try:
            self.budget.release()
        except Exception:  # closing never fails; a reservation then ages out
            log.warning("could not give back the unspent request budget", exc_info=True)
        finally:
            self._http.close()

    def __enter__(self) -> RestClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.redact(self.base_url)!r}>"

    @property
    def requests(self) -> int:
        """HTTP requests this client has sent so far."""
        return self._requests

    # HOOKS
    # --------------------------------------------------------------------------
    def error_messages(self, status: int, body: Any) -> tuple[str, ...]:
        """The reasons an error reply gives (the system's error format); () when none.

        The base reads the common `message`/`title`/`detail` fields; messages are redacted
        and cut to one line by the caller.
        """
        if not isinstance(body, Mapping):
            return ()
        found = [body.get(key) for key in ("message", "title", "detail")]
        return tuple(str(m) for m in found if isinstance(m, str) and m.strip())

    def redact(self, text: str) -> str:
        """`text` with this client's secrets blanked."""
        return redact(text, self._secrets)

    # CALLS
    # --------------------------------------------------------------------------
    def get(self, path: str, *, params: Mapping[str, Any] | None = None, **kwargs: Any) -> Any:
        return self.request("GET", path, params=params, **kwargs).data

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json_body: Any = None,
        idempotency_key: str | None = None,
        operation: str | None = None,
        expect: type | tuple[type, ...] | None = dict,
        allow_not_found: bool = False,
    ) -> Reply:
        """One request: budget, send, read with the limits, errors mapped, recorded.

        `path` is relative to the base URL (an absolute URL under the base is accepted, so
        a system's own paging links can be followed; any other host is refused). `expect`
        is the JSON type a 2xx body must have (None: anything, also empty). With
        `allow_not_found`, a 404 is returned as `Reply(404, …, None)` instead of `Rejected`.
        """
        method = method.upper()
        url, shown_path = self._url(path)
        operation = operation or f"{method} {shown_path}"
        write = method not in READ_METHODS
        self.budget.acquire(operation)
        self._requests += 1
        started_at = datetime.now(UTC)
        started = time.monotonic()
        self._status = None
        error: BaseException | None = None
        try:
            status, headers, body = self._exchange(
                method, url, params, json_body, idempotency_key, operation, write, started
            )
            return self._judge(
                status, headers, body, operation, write, expect=expect, allow_nf=allow_not_found
            )
        except BaseException as exc:
            error = exc
            raise
        finally:
            self._record(method, shown_path, self._status, started_at, started, error)

    def _url(self, path: str) -> tuple[str, str]:
        """The URL to call and the path shown in records (below the base, no query)."""
        split = urlsplit(path)
        if split.scheme or split.netloc:
            if not (path == self.base_url or path.startswith(self.base_url + "/")):
                # Our tokens go to our base URL only, whatever a reply links to.
                raise Unavailable(
                    f"{self.label} linked to an address outside its API", ambiguous=False
                )
            url = path
            shown = split.path[len(self._base_path) :] or "/"
        else:
            url = f"{self.base_url}/{path.lstrip('/')}"
            shown = "/" + split.path.lstrip("/")
        return url, self.redact(shown)

    def _exchange(
        self,
        method: str,
        url: str,
        params: Mapping[str, Any] | None,
        json_body: Any,
        idempotency_key: str | None,
        operation: str,
        write: bool,
        started: float,
    ) -> tuple[int, CaseInsensitiveDict[str], bytes]:
        limits = self.limits
        headers: dict[str, str] = {}
        data: bytes | None = None
        if json_body is not None:
            headers["Content-Type"] = "application/json"
            data = json.dumps(json_body, ensure_ascii=False, allow_nan=False).encode()
        if idempotency_key:
            headers[self.idempotency_header] = idempotency_key
        try:
            response = self._http.request(
                method,
                url,
                params=params,
                data=data,
                headers=headers,
                timeout=(limits.connect_timeout, min(limits.read_timeout, limits.deadline)),
                stream=True,
                # A redirect would carry our secret headers to wherever it points.
                allow_redirects=False,
            )
        except requests.exceptions.ConnectTimeout:
            raise Unavailable(
                f"{self.label} did not accept the connection in time", operation=operation
            ) from None
        except requests.exceptions.ReadTimeout:
            raise Unavailable(
                f"{self.label} did not answer in time", operation=operation, ambiguous=write
            ) from None
        except requests.exceptions.ConnectionError as exc:
            raise Unavailable(
                f"could not reach {self.label}",
                operation=operation,
                ambiguous=write and not _never_connected(exc),
            ) from None
        except requests.exceptions.RequestException:
            raise Unavailable(
                f"the request to {self.label} failed", operation=operation, ambiguous=write
            ) from None
        # Header names in any casing (HTTP/2 lower-cases them).
        reply_headers = CaseInsensitiveDict(response.headers)
        # Known from here on, also when reading the body fails (for the call record).
        self._status = response.status_code
        try:
            body = self._read(response, started)
        except _ReplyProblem as exc:
            raise Unavailable(str(exc), operation=operation, ambiguous=write) from None
        except (
            urllib3.exceptions.HTTPError,
            requests.exceptions.RequestException,
            http.client.HTTPException,
            OSError,
        ):
            raise Unavailable(
                f"the reply from {self.label} was cut off or timed out",
                operation=operation,
                ambiguous=write,
            ) from None
        finally:
            response.close()
        return response.status_code, reply_headers, body

    def _read(self, response: requests.Response, started: float) -> bytes:
        limits = self.limits
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > limits.max_bytes:
            raise _ReplyProblem(f"the reply from {self.label} is larger than allowed")
        sock = getattr(getattr(response.raw, "connection", None), "sock", None)
        before = sock.gettimeout() if sock is not None else None
        try:
            return self._read_body(response, started, sock)
        finally:
            if sock is not None and sock.fileno() != -1:
                # A kept-alive connection is reused: its next request starts as before.
                sock.settimeout(before)

    def _read_body(self, response: requests.Response, started: float, sock: Any) -> bytes:
        limits = self.limits
        chunks: list[bytes] = []
        size = 0
        while True:
            left = limits.deadline - (time.monotonic() - started)
            if left <= 0:
                raise _ReplyProblem(f"the reply from {self.label} took longer than allowed")
            if sock is not None:
                # A stalled read may not outlast the deadline either (not only the read
                # timeout).
                sock.settimeout(max(min(limits.read_timeout, left), 0.01))
            try:
                chunk = response.raw.read1(65536, decode_content=True)
            except (urllib3.exceptions.HTTPError, OSError):
                if time.monotonic() - started >= limits.deadline:
                    raise _ReplyProblem(
                        f"the reply from {self.label} took longer than allowed"
                    ) from None
                raise
            if not chunk:
                return b"".join(chunks)
            size += len(chunk)
            if size > limits.max_bytes:
                raise _ReplyProblem(f"the reply from {self.label} is larger than allowed")
            chunks.append(chunk)

    def _judge(
        self,
        status: int,
        headers: CaseInsensitiveDict[str],
        body: bytes,
        operation: str,
        write: bool,
        *,
        expect: type | tuple[type, ...] | None,
        allow_nf: bool,
    ) -> Reply:
        self.budget.observe(status, headers)
        if 200 <= status < 300:
            data = self._decode(body, operation, write)
            if expect is not None and not isinstance(data, expect):
                raise Unavailable(
                    f"{self.label} sent a reply that is not what was asked for",
                    operation=operation,
                    ambiguous=write,
                )
            return Reply(status, headers, data)
        if status == 404 and allow_nf:
            return Reply(status, headers, None)
        if status == 429:
            retry_after = retry_after_seconds(headers.get("Retry-After"))
            self.budget.refused(retry_after)
            return self._raise(
                RateLimited(
                    f"{self.label} asks to slow down",
                    operation=operation,
                    retry_after=retry_after,
                    until=datetime.now(UTC) + timedelta(seconds=retry_after),
                )
            )
        messages = self._messages(status, body)
        detail = f"HTTP {status} from {self.label}"
        if 400 <= status < 500 and status != 408:
            text = f"{detail}: {messages[0]}" if messages else detail
            if status in self.auth_statuses:
                return self._raise(AuthFailed(text, operation=operation))
            return self._raise(Rejected(text, operation=operation, messages=messages))
        return self._raise(Unavailable(detail, operation=operation, ambiguous=write))

    @staticmethod
    def _raise(error: ConnectorError) -> Reply:
        raise error

    def _decode(self, body: bytes, operation: str, write: bool) -> Any:
        if not body.strip():
            return None
        try:
            return json.loads(body)
        except (ValueError, RecursionError):
            raise Unavailable(
                f"{self.label} sent a reply that is not valid JSON",
                operation=operation,
                ambiguous=write,
            ) from None

    def _messages(self, status: int, body: bytes) -> tuple[str, ...]:
        """The error reply's reasons, redacted and on one line each; () when unreadable."""
        try:
            parsed = json.loads(body) if body.strip() else None
        except (ValueError, RecursionError):
            return ()
        try:
            found = self.error_messages(status, parsed)
        except Exception:  # a parser bug must not hide the HTTP error itself
            log.warning("%s: could not read an error reply", self.label, exc_info=False)
            return ()
        cleaned = (self.redact(safe_text(m)) for m in found)
        return tuple(dict.fromkeys(m for m in cleaned if m))

    def _record(
        self,
        method: str,
        path: str,
        status: int | None,
        started_at: datetime,
        started: float,
        error: BaseException | None,
    ) -> None:
        elapsed_ms = int((time.monotonic() - started) * 1000)
        if error is None:
            kind = message = ""
            log.debug("%s %s %s: %s in %d ms", self.label, method, path, status, elapsed_ms)
        else:
            kind = type(error).__name__
            message = self.redact(safe_text(error)) if isinstance(error, ConnectorError) else ""
            log.warning(
                "%s %s %s failed in %d ms: %s %s",
                self.label,
                method,
                path,
                elapsed_ms,
                kind,
                message,
            )
        if self._on_request is not None:
            self._on_request(
                CallRecord(
                    system=self.system,
                    method=method,
                    path=path,
                    status=status,
                    started_at=started_at,
                    duration_ms=elapsed_ms,
                    error=kind,
                    message=message,
                )
            )


def _never_connected(exc: requests.exceptions.ConnectionError) -> bool:
    """True when the TCP connection was never made (so nothing reached the system)."""
    reason: Any = exc.args[0] if exc.args else None
    reason = getattr(reason, "reason", reason)
    return isinstance(
        reason,
        urllib3.exceptions.NewConnectionError
        | urllib3.exceptions.NameResolutionError
        | urllib3.exceptions.ConnectTimeoutError,
    )
