"""The sandbox's webhooks service over real HTTP: registering one webhook per event type, PUT
with objectVersion, and deliveries (rendered payload, custom headers) to a receiver on loopback,
late, lost, doubled or failing as the knobs say."""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.utils import timezone

from apps.sandbox.economic import deliveries
from apps.sandbox.economic.models_webhooks import Delivery, Webhook

from .conftest import new_customer

pytestmark = pytest.mark.django_db(transaction=True)

HOOKS = "webhooksapi/v1.0.0"
TEMPLATE = '{"eventType":"CUSTOMER_UPDATED","customerNumber":[CUSTOMERNUMBER]}'


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: str


@dataclass
class Receiver:
    """An HTTP server on loopback that keeps what it is sent and answers `status`."""

    url: str
    calls: list[Received] = field(default_factory=list)
    status: int = 200

    def wait_for(self, n: int, timeout: float = 5.0) -> list[Received]:
        deadline = time.monotonic() + timeout
        while len(self.calls) < n and time.monotonic() < deadline:
            time.sleep(0.02)
        return self.calls


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    box = Receiver(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode()
            box.calls.append(Received(self.path, dict(self.headers.items()), body))
            self.send_response(box.status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    box.url = f"http://127.0.0.1:{server.server_port}/hook"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield box
    server.shutdown()
    server.server_close()


@pytest.fixture
def inline(settings):
    """Deliveries are sent right after the write's commit, before its answer (deterministic)."""
    settings.SANDBOX_ECONOMIC = {**settings.SANDBOX_ECONOMIC, "WEBHOOK_DELIVERY": "inline"}


def webhook(event_type: str = "CUSTOMER_UPDATED", url: str = "http://127.0.0.1:9/x", **extra):
    return {
        "eventType": event_type,
        "name": "Tidsbro",
        "url": url,
        "contentType": "application/json",
        **extra,
    }


def knobs(**values):
    row = deliveries.knobs_get()
    for name, value in values.items():
        setattr(row, name, value)
    row.save()
    return row


def register(econ, receiver: Receiver, **extra) -> None:
    body = webhook(
        url=receiver.url,
        postData=TEMPLATE,
        customHeaders=[{"key": "X-Secret", "value": "s3cret"}],
        **extra,
    )
    assert econ.post(f"{HOOKS}/webhooks", json=body).status_code == 201


# Registering -----------------------------------------------------------------------------------


def test_event_types_list_the_events_with_their_merge_fields(econ):
    response = econ.get(f"{HOOKS}/EventTypes")
    assert response.status_code == 200
    types = {t["name"]: t for t in response.json()}
    assert {"CUSTOMER_CREATED", "CUSTOMER_UPDATED", "PROJECT_UPDATED"} <= set(types)
    assert types["CUSTOMER_UPDATED"]["mergeFields"][0]["fieldName"] == "CUSTOMERNUMBER"


def test_one_webhook_per_event_type_per_agreement(econ):
    created = econ.post(f"{HOOKS}/webhooks", json=webhook())
    assert created.status_code == 201
    assert created.json() == {"eventType": "CUSTOMER_UPDATED"}
    again = econ.post(f"{HOOKS}/webhooks", json=webhook(url="http://127.0.0.1:9/other"))
    assert again.status_code == 400
    assert again.headers["Content-Type"].startswith("application/problem+json")
    assert again.json()["errors"][0]["errorCode"] == "WebhookAlreadyExists"
    assert econ.post(f"{HOOKS}/webhooks", json=webhook("PROJECT_UPDATED")).status_code == 201

    assert econ.get(f"{HOOKS}/webhooks/count").json() == 2
    listed = econ.get(f"{HOOKS}/webhooks").json()
    assert [w["eventType"] for w in listed["items"]] == ["CUSTOMER_UPDATED", "PROJECT_UPDATED"]
    assert "cursor" not in listed
    one = econ.get(f"{HOOKS}/webhooks/CUSTOMER_UPDATED").json()
    assert one["url"] == "http://127.0.0.1:9/x" and "isDisabled" not in one
    assert one["objectVersion"] and one["lastUpdated"]
    filtered = econ.get(
        f"{HOOKS}/webhooks/paged", params={"filter": "eventType$eq:PROJECT_UPDATED"}
    )
    assert [w["eventType"] for w in filtered.json()] == ["PROJECT_UPDATED"]

    assert econ.delete(f"{HOOKS}/webhooks/PROJECT_UPDATED").status_code == 204
    assert econ.get(f"{HOOKS}/webhooks/PROJECT_UPDATED").status_code == 404
    assert econ.delete(f"{HOOKS}/webhooks/PROJECT_UPDATED").status_code == 404


def test_a_webhook_is_refused_for_an_unknown_event_missing_fields_or_six_headers(econ):
    unknown = econ.post(f"{HOOKS}/webhooks", json=webhook("NOT_AN_EVENT"))
    assert unknown.status_code == 400
    assert unknown.json()["errors"][0]["errorCode"] == "InvalidEventType"
    missing = webhook()
    del missing["url"]
    assert econ.post(f"{HOOKS}/webhooks", json=missing).status_code == 400
    six = [{"key": f"X-H{i}", "value": "v"} for i in range(6)]
    too_many = econ.post(f"{HOOKS}/webhooks", json=webhook(customHeaders=six))
    assert too_many.status_code == 400
    assert too_many.json()["errors"][0]["errorCode"] == "TooManyCustomHeaders"
    assert not Webhook.objects.exists()


def test_put_needs_the_object_version_it_read(econ):
    econ.post(f"{HOOKS}/webhooks", json=webhook())
    read = econ.get(f"{HOOKS}/webhooks/CUSTOMER_UPDATED").json()

    without = econ.put(f"{HOOKS}/webhooks", json=webhook(url="http://127.0.0.1:9/new"))
    assert without.status_code == 409
    changed = {**webhook(url="http://127.0.0.1:9/new"), "objectVersion": read["objectVersion"]}
    assert econ.put(f"{HOOKS}/webhooks", json=changed).status_code == 204
    stale = econ.put(f"{HOOKS}/webhooks", json=changed)
    assert stale.status_code == 409
    now = econ.get(f"{HOOKS}/webhooks/CUSTOMER_UPDATED").json()
    assert now["url"] == "http://127.0.0.1:9/new"
    assert now["objectVersion"] != read["objectVersion"]


# Deliveries ------------------------------------------------------------------------------------


def test_a_change_is_delivered_with_the_rendered_payload_and_custom_headers(econ, receiver, inline):
    register(econ, receiver)
    number = econ.post("customers", json=new_customer()).json()["customerNumber"]
    assert receiver.calls == []  # a create is not CUSTOMER_UPDATED

    document = econ.get(f"customers/{number}").json()
    assert econ.put(f"customers/{number}", json={**document, "city": "Aarhus"}).status_code == 200

    (call,) = receiver.calls
    assert call.path == "/hook"
    assert json.loads(call.body) == {"eventType": "CUSTOMER_UPDATED", "customerNumber": number}
    assert call.headers["Content-Type"] == "application/json"
    assert call.headers["X-Secret"] == "s3cret"
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.response_code, delivery.attempts) == ("delivered", 200, 1)


def test_delay_knob_holds_a_delivery_until_it_is_due(econ, receiver, inline):
    register(econ, receiver)
    knobs(delay_seconds=60)
    econ.post("customers", json=new_customer(customerNumber=7))
    document = econ.get("customers/7").json()
    econ.put("customers/7", json={**document, "city": "Odense"})

    delivery = Delivery.objects.get()
    assert delivery.status == "pending" and receiver.calls == []
    assert deliveries.deliver_due(now=delivery.due_at - dt.timedelta(seconds=1)) == 0
    assert receiver.calls == []
    assert deliveries.deliver_due(now=delivery.due_at) == 1
    assert len(receiver.calls) == 1


def test_drop_knob_loses_the_event_and_duplicate_knob_sends_it_twice(econ, receiver, inline):
    register(econ, receiver)
    econ.post("customers", json=new_customer(customerNumber=7))
    document = econ.get("customers/7").json()

    knobs(drop_rate=1.0)
    econ.put("customers/7", json={**document, "city": "Odense"})
    assert receiver.calls == []
    assert Delivery.objects.get().status == "dropped"

    knobs(drop_rate=0.0, duplicate_rate=1.0)
    econ.put("customers/7", json={**document, "city": "Vejle"})
    assert len(receiver.calls) == 2
    assert receiver.calls[0].body == receiver.calls[1].body
    assert Delivery.objects.filter(status="delivered", duplicate=True).count() == 1


def test_drop_and_duplicate_are_seeded():
    def fates(seed: int) -> list[str]:
        return [
            deliveries.fate(seed=seed, sequence=n, drop_rate=0.3, duplicate_rate=0.3)
            for n in range(1, 50)
        ]

    assert fates(15) == fates(15)
    assert {"drop", "duplicate", "deliver"} == set(fates(15))
    assert fates(15) != fates(16)


def test_a_failing_receiver_is_retried_then_the_webhook_is_disabled(econ, receiver, inline):
    register(econ, receiver)
    knobs(max_attempts=2, retry_seconds=30)
    receiver.status = 500
    econ.post("customers", json=new_customer(customerNumber=7))
    document = econ.get("customers/7").json()
    econ.put("customers/7", json={**document, "city": "Odense"})

    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.response_code) == ("pending", 1, 500)
    assert delivery.due_at > timezone.now() + dt.timedelta(seconds=20)
    deliveries.deliver_due(now=delivery.due_at)

    assert len(receiver.calls) == 2
    assert Delivery.objects.get().status == "failed"
    hook = econ.get(f"{HOOKS}/webhooks/CUSTOMER_UPDATED").json()
    assert hook["isDisabled"] is True and hook["lastDisabledDate"]
    econ.put("customers/7", json={**document, "city": "Vejle"})
    assert len(receiver.calls) == 2  # a disabled webhook gets nothing


def test_the_background_thread_delivers_by_itself(econ, receiver):
    register(econ, receiver)
    econ.post("customers", json=new_customer(customerNumber=7))
    document = econ.get("customers/7").json()
    econ.put("customers/7", json={**document, "city": "Odense"})

    assert len(receiver.wait_for(1)) == 1
    assert json.loads(receiver.calls[0].body)["customerNumber"] == 7


def test_the_admin_lists_webhooks_and_the_delivery_log(econ, receiver, inline, admin_client):
    from django.contrib.auth import get_user_model
    from django.test import Client

    register(econ, receiver)
    econ.post("customers", json=new_customer(customerNumber=7))
    document = econ.get("customers/7").json()
    econ.put("customers/7", json={**document, "city": "Odense"})

    hooks = admin_client.get("/admin/sandbox_economic/webhook/").content.decode()
    assert "CUSTOMER_UPDATED" in hooks and receiver.url in hooks
    hook = admin_client.get(f"/admin/sandbox_economic/webhook/{Webhook.objects.get().pk}/change/")
    assert hook.status_code == 200 and "s3cret" not in hook.content.decode()
    log = admin_client.get("/admin/sandbox_economic/delivery/").content.decode()
    assert "Delivered" in log and ">200<" in log
    knobs_page = admin_client.get("/admin/sandbox_economic/webhookknobs/")
    assert knobs_page.status_code == 302
    assert admin_client.get(knobs_page["Location"]).status_code == 200

    staff = get_user_model().objects.create_user(
        email="clerk@example.com", password="pw-1234567", is_staff=True
    )
    client = Client()
    client.force_login(staff)
    assert client.get("/admin/sandbox_economic/delivery/").status_code == 403
