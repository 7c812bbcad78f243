"""The Unimicro client against the sandbox's API over real HTTP: CompanyKey, bare-array lists
paged with top/skip, reads of missing records, writes and actions, Unimicro's refusals in
words, and a token the API refuses renewed once before the call is repeated."""

from __future__ import annotations

import logging
import uuid

import pytest

from apps.integrations.connectors.base import AuthFailed, Rejected
from apps.integrations.connectors.http import CallRecord
from apps.integrations.connectors.unimicro.client import UnimicroClient
from apps.integrations.models import Connection
from tests.integrations.unimicro.conftest import COMPANY_1

pytestmark = pytest.mark.django_db(transaction=True)


def customer(name: str) -> dict:
    return {"Info": {"Name": name}, "_createguid": str(uuid.uuid4())}


def test_companies_lists_the_logins_companies_without_a_company_key(unimicro_connection):
    records: list[CallRecord] = []
    with UnimicroClient(unimicro_connection, on_request=records.append) as client:
        companies = client.companies()
    assert COMPANY_1 in {c["Key"] for c in companies}
    assert [r.operation for r in records] == ["GET /api/init/companies"]


def test_create_get_update_list_and_delete_a_customer(unimicro_connection):
    with UnimicroClient(unimicro_connection) as client:
        made = client.create("customers", customer("Fjordlys Rådgivning AS"))
        assert made["ID"] and made["CustomerNumber"] >= 100000
        assert client.get("customers", made["ID"], expand="Info")["Info"]["Name"] == (
            "Fjordlys Rådgivning AS"
        )
        client.update("customers", made["ID"], {"ID": made["ID"], "WebUrl": "https://fjordlys.no"})
        found = list(client.list("customers", filter=f"ID eq {made['ID']}"))
        assert [c["ID"] for c in found] == [made["ID"]]
        client.delete("customers", made["ID"])
        assert client.get("customers", made["ID"]) is None


def test_lists_are_paged_with_top_and_skip_until_a_short_page(unimicro_connection):
    records: list[CallRecord] = []
    with UnimicroClient(unimicro_connection, on_request=records.append) as client:
        made = {client.create("customers", customer(f"Kunde {n}"))["ID"] for n in range(5)}
        records.clear()
        listed = [c["ID"] for c in client.list("customers", top=2)]
    assert made <= set(listed) and len(listed) == len(set(listed))
    assert len(records) == len(listed) // 2 + 1


def test_a_refusal_carries_unimicros_validation_messages(unimicro_connection):
    with UnimicroClient(unimicro_connection) as client:
        with pytest.raises(Rejected) as caught:
            client.create("customers", {"Info": {"Name": ""}})
    assert "Info.Name: Name is required" in caught.value.messages
    words = unimicro_connection.spec.explain(caught.value)
    assert words == "Unimicro refused the record: Info.Name: Name is required"


def test_an_action_is_a_put_with_action_in_the_query(unimicro_connection):
    with UnimicroClient(unimicro_connection) as client:
        made = client.create("customers", customer("Havbris AS"))
        client.action("customers", made["ID"], "deactivate")
        assert client.get("customers", made["ID"])["StatusCode"] != made["StatusCode"]


def test_a_token_the_api_refuses_is_renewed_once_and_the_call_repeated(unimicro_connection, caplog):
    connection = unimicro_connection
    key = connection.settings["active_key"]
    state = connection.state_doc
    state["tokens"][key]["access_token"] = "not-a-token-the-api-knows"
    connection.state_doc = state
    Connection.objects.filter(pk=connection.pk).update(state=connection.state)
    connection.refresh_from_db()
    records: list[CallRecord] = []
    caplog.set_level(logging.DEBUG)
    with UnimicroClient(connection, on_request=records.append) as client:
        assert client.companies()
    assert [r.status for r in records] == [401, 200]
    stored = Connection.objects.get(pk=connection.pk).state_doc["tokens"][key]
    assert stored["access_token"] != "not-a-token-the-api-knows"
    # No log line of the process holds a token, at DEBUG: Tidsbro's client, urllib3, and the
    # sandbox's authlib server (quieted by LOGGING: it logs the tokens it issues at DEBUG).
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "renewed the access token" in logged  # Tidsbro's own line is captured
    assert stored["access_token"] not in logged and stored["refresh_token"] not in logged


def test_a_second_refusal_after_renewing_is_auth_failed(unimicro_connection, settings):
    # A company this login may not act on: the API refuses whatever the token.
    with UnimicroClient(unimicro_connection, company_key=str(uuid.uuid4())) as client:
        with pytest.raises(AuthFailed):
            list(client.list("customers"))
