"""Eventplan deliveries: a signed POST per matching change, retries, blocking, replays."""

from __future__ import annotations

import hashlib
import hmac
import time

import pytest

from apps.sandbox.unimicro import deliveries, store
from apps.sandbox.unimicro.models import Knobs
from apps.sandbox.unimicro.models_domain import BlockedEndpoint, EventplanDelivery

from .conftest import COMPANY, OTHER_COMPANY

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _inline(settings):
    settings.SANDBOX_UNIMICRO = {**settings.SANDBOX_UNIMICRO, "WEBHOOK_DELIVERY": "inline"}


def plan(caller, url, **fields):
    body = {
        "Name": "Tidsbro",
        "ModelFilter": "Customer,Project",
        "OperationFilter": "CUD",
        "Subscribers": [
            {
                "Name": "Tidsbro",
                "Endpoint": url,
                "Authorization": "Bearer abc",
                "Headers": "X-Tidsbro: yes",
            }
        ],
        **fields,
    }
    return store.create(COMPANY, "Eventplan", body, caller)


def verify(call: dict, key: str, header: str = "Unimicro-Signature") -> int:
    """The test's own check of the signature; returns the timestamp."""
    value = call["headers"][header]
    parts = dict(part.split("=", 1) for part in value.split(","))
    expected = hmac.new(
        key.encode(), f"{parts['t']}.".encode() + call["raw"], hashlib.sha256
    ).hexdigest()
    assert hmac.compare_digest(parts["v1"], expected)
    return int(parts["t"])


def test_a_customer_change_is_posted_signed_to_the_subscriber(caller, receiver):
    made_plan = plan(caller, receiver.url)
    customer = store.create(COMPANY, "Customer", {"Info": {"Name": "Fjordlys AS"}}, caller)
    store.update(COMPANY, "Customer", customer["ID"], {"OrgNumber": "912345670"}, caller)
    store.delete(COMPANY, "Customer", customer["ID"], caller)
    assert [c["json"]["EventType"] for c in receiver.calls] == ["Create", "Update", "Delete"]
    first = receiver.calls[0]
    assert first["json"]["EntityName"] == "Customer"
    assert first["json"]["EntityID"] == customer["ID"]
    assert first["json"]["CompanyKey"] == COMPANY
    assert first["json"]["Entity"]["CustomerNumber"] == 100000
    assert abs(verify(first, made_plan["SigningKey"]) - time.time()) < 60
    assert first["headers"]["Authorization"] == "Bearer abc"
    assert first["headers"]["X-Tidsbro"] == "yes"
    assert first["headers"]["Content-Type"].startswith("application/json")
    assert EventplanDelivery.objects.filter(status="delivered").count() == 3


def test_model_and_operation_filters_choose_what_is_sent(caller, receiver):
    plan(caller, receiver.url, ModelFilter="Project", OperationFilter="U")
    store.create(COMPANY, "Customer", {"Info": {"Name": "Fjordlys AS"}}, caller)
    project = store.create(COMPANY, "Project", {"Name": "Ny nettbutikk"}, caller)
    assert receiver.calls == []
    store.update(COMPANY, "Project", project["ID"], {"Name": "Ny nettbutikk 2"}, caller)
    assert [(c["json"]["EntityName"], c["json"]["EventType"]) for c in receiver.calls] == [
        ("Project", "Update")
    ]
    # another company's changes never reach this company's plans
    store.create(OTHER_COMPANY, "Project", {"Name": "Holding"}, caller)
    assert len(receiver.calls) == 1


def test_the_signature_header_knob_switches_to_softrig(caller, receiver):
    Knobs.objects.update_or_create(pk=1, defaults={"signature_header": "SoftRig-Signature"})
    made_plan = plan(caller, receiver.url)
    store.create(COMPANY, "Customer", {"Info": {"Name": "Fjordlys AS"}}, caller)
    assert "Unimicro-Signature" not in receiver.calls[0]["headers"]
    verify(receiver.calls[0], made_plan["SigningKey"], "SoftRig-Signature")


def test_failures_are_retried_and_deliver_again_replays_the_same_body(caller, receiver):
    plan(caller, receiver.url)
    receiver.statuses = [500]
    store.create(COMPANY, "Customer", {"Info": {"Name": "Fjordlys AS"}}, caller)
    delivery = EventplanDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.response_code) == ("pending", 1, 500)
    EventplanDelivery.objects.update(due_at=delivery.created_at)
    deliveries.deliver_due()
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("delivered", 2)
    copy = deliveries.deliver_again(delivery)
    copy.refresh_from_db()
    assert copy.status == "delivered" and copy.replay_of == delivery
    assert receiver.calls[-1]["raw"] == receiver.calls[-2]["raw"]


def test_five_401s_in_a_row_block_the_url(caller, receiver):
    plan(caller, receiver.url)
    receiver.statuses = [401] * 10
    for index in range(5):
        store.create(COMPANY, "Customer", {"Info": {"Name": f"Kunde {index}"}}, caller)
    assert len(receiver.calls) == 5
    assert BlockedEndpoint.objects.get(url=receiver.url).blocked_at is not None
    store.create(COMPANY, "Customer", {"Info": {"Name": "Kunde 6"}}, caller)
    assert len(receiver.calls) == 5
    assert EventplanDelivery.objects.filter(error="blocked").exists()
    deliveries.unblock(receiver.url)
    receiver.statuses = []
    store.create(COMPANY, "Customer", {"Info": {"Name": "Kunde 7"}}, caller)
    assert len(receiver.calls) == 6


def test_an_inactive_plan_or_subscriber_sends_nothing(caller, receiver):
    made = plan(caller, receiver.url, Active=False)
    store.create(COMPANY, "Customer", {"Info": {"Name": "Fjordlys AS"}}, caller)
    store.update(
        COMPANY,
        "Eventplan",
        made["ID"],
        {"Active": True, "Subscribers": [{"ID": made["Subscribers"][0]["ID"], "Active": False}]},
        caller,
    )
    store.create(COMPANY, "Customer", {"Info": {"Name": "Nordlys AS"}}, caller)
    assert receiver.calls == []
