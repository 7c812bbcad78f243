"""Rate limits count per client address by the login lockout's rule (`client_ip`): a
client-written X-Forwarded-For never starts a fresh count; only trusted proxies' entries do."""

import pytest
from django.core.cache import cache, caches
from django.test import RequestFactory
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.settings import api_settings
from rest_framework.test import APIClient

from apps.core.security import ClientAddressThrottle
from tests.accounts.factories import employee

pytestmark = pytest.mark.django_db

TOKEN_URL = "/api/v1/auth/token/"


@pytest.fixture(autouse=True)
def _fresh_counts():
    caches["ratelimit"].clear()
    yield
    caches["ratelimit"].clear()


def _spray(client, tries: int, forwarded) -> list[int]:
    """Password spraying: one wrong password for a different account on every try."""
    answers = []
    for n in range(tries):
        response = client.post(
            TOKEN_URL,
            {"email": f"person{n}@example.no", "password": "Summer2026!"},
            format="json",
            HTTP_X_FORWARDED_FOR=forwarded(n),
        )
        answers.append(response.status_code)
    return answers


def test_spoofed_forwarded_for_addresses_do_not_dodge_the_token_endpoints_limit(settings):
    settings.TIDSBRO_TRUSTED_PROXY_COUNT = 0
    answers = _spray(APIClient(), 12, lambda n: f"203.0.113.{n}")

    assert 429 in answers[:11], answers
    assert answers[-1] == 429
    assert set(answers[: answers.index(429)]) == {400}


def test_the_limit_stays_while_the_right_password_arrives_from_a_new_spoofed_address(settings):
    settings.TIDSBRO_TRUSTED_PROXY_COUNT = 0
    employee(email="kari@example.no")
    _spray(APIClient(), 12, lambda n: f"203.0.113.{n}")

    response = APIClient().post(
        TOKEN_URL,
        {"email": "kari@example.no", "password": "Summer2026!"},
        format="json",
        HTTP_X_FORWARDED_FOR="198.51.100.1",
    )

    assert response.status_code == 429
    assert "token" not in response.json()


def test_the_count_is_shared_by_every_process_not_kept_in_one_process_memory(settings):
    settings.TIDSBRO_TRUSTED_PROXY_COUNT = 0
    assert _spray(APIClient(), 12, lambda n: "203.0.113.9")[-1] == 429

    # Another web process starts with its own, empty memory: the limit still holds there.
    cache.clear()
    for alias in ("default",):
        caches[alias].clear()

    assert _spray(APIClient(), 1, lambda n: "203.0.113.9") == [429]
    assert settings.CACHES["ratelimit"]["BACKEND"] != settings.CACHES["default"]["BACKEND"]


def test_behind_a_trusted_proxy_each_client_has_its_own_count(settings):
    settings.TIDSBRO_TRUSTED_PROXY_COUNT = 1
    # The proxy appends the address it saw; what the client wrote left of it is ignored.
    spoofing_one_client = _spray(APIClient(), 12, lambda n: f"10.0.0.{n}, 198.51.100.7")
    assert spoofing_one_client[-1] == 429

    twelve_clients = _spray(APIClient(), 12, lambda n: f"198.51.100.{100 + n}")
    assert 429 not in twelve_clients


def _api_views():
    def walk(patterns):
        for entry in patterns:
            if isinstance(entry, URLResolver):
                yield from walk(entry.url_patterns)
            elif isinstance(entry, URLPattern) and hasattr(entry.callback, "cls"):
                yield entry.callback.cls

    return list(walk(get_resolver().url_patterns))


def test_every_throttle_in_use_counts_by_the_lockouts_address_rule(settings):
    settings.TIDSBRO_TRUSTED_PROXY_COUNT = 0
    views = _api_views()
    throttles = {t for view in views for t in view.throttle_classes}
    throttles |= set(api_settings.DEFAULT_THROTTLE_CLASSES)
    assert throttles, "the token endpoint is rate limited"

    request = RequestFactory().post(
        TOKEN_URL, REMOTE_ADDR="192.0.2.10", HTTP_X_FORWARDED_FOR="203.0.113.5"
    )
    for throttle in throttles:
        assert issubclass(throttle, ClientAddressThrottle), throttle
        assert throttle().get_ident(request) == "192.0.2.10", throttle
