"""Suggestions only with evidence: the walk found Astrid Haugen suggested as Sigrid Haugen and
Erik Johansen as Henrik Hansen ("accept all" would have taken them), and "choose partner"
listing every ERP user down to 24 % alike. Now: the same e-mail, number or organisation
number, or exactly the same name (case, accents, spacing aside), with the evidence shown."""

from __future__ import annotations

import pytest
from django.urls import reverse

from apps.customers.models import Customer
from apps.integrations.models import Binding, Connection
from apps.integrations.partners import rank_candidates
from apps.integrations.services import DEFAULT_MASTERS
from apps.integrations.setup import suggest_user_mappings
from tests.accounts.factories import UserFactory, admin_user
from tests.integrations.factories import connection_24so

pytestmark = pytest.mark.django_db

SETTINGS = "admin:integrations_connection_settings"


@pytest.fixture
def connection() -> Connection:
    return connection_24so(
        username="api@example.no",
        password="secret",
        client_name="Fjordlys",
        connected=["customer", "project", "user"],
        masters=dict(DEFAULT_MASTERS),
    )


def erp_user(connection: Connection, external_id: str, name: str, email: str = "") -> Binding:
    return Binding.objects.create(
        connection=connection,
        entity="user",
        external_id=external_id,
        state=Binding.State.REMOTE_ONLY,
        remote_values={"name": name, "email": email},
    )


def mapped(connection: Connection) -> dict[int, str]:
    return dict(
        Binding.objects.filter(
            connection=connection, entity="user", local_id__isnull=False
        ).values_list("local_id", "external_id")
    )


def test_a_different_first_name_is_never_a_suggestion_and_accept_all_leaves_them(
    client, connection
):
    office = admin_user(first_name="Berit", last_name="Boss", email="berit@fjordlys.no")
    astrid = UserFactory(first_name="Astrid", last_name="Haugen", email="astrid@fjordlys.no")
    erik = UserFactory(first_name="Erik", last_name="Johansen", email="erik@fjordlys.no")
    erp_user(connection, "21", "Sigrid Haugen", "sigrid@fjordlys.no")
    erp_user(connection, "22", "Henrik Hansen", "henrik@fjordlys.no")

    assert suggest_user_mappings(connection) == []

    client.force_login(office)
    html = client.get(reverse(SETTINGS)).content.decode()
    assert "accept_all" not in html
    client.post(reverse(SETTINGS), {"accept_all": "1"})
    assert astrid.pk not in mapped(connection) and erik.pk not in mapped(connection)


def test_the_same_email_or_the_same_normalised_name_is_suggested_with_its_evidence(
    client, connection
):
    office = admin_user(first_name="Berit", last_name="Boss", email="berit@fjordlys.no")
    kari = UserFactory(first_name="Kari", last_name="Nordmann", email="kari@fjordlys.no")
    aase = UserFactory(first_name="Åse", last_name="Ødegård", email="aase@fjordlys.no")
    erp_user(connection, "11", "K. Nordmann", "KARI@fjordlys.no")
    erp_user(connection, "12", "  ase   ODEGARD ", "aase.o@private.no")
    erp_user(connection, "13", "Åse Ødegårdsen", "other@fjordlys.no")

    suggestions = {s.user: s for s in suggest_user_mappings(connection)}

    assert {u: (s.external_id, s.reason, s.evidence) for u, s in suggestions.items()} == {
        kari: ("11", "same e-mail", "KARI@fjordlys.no"),
        aase: ("12", "same name", "  ase   ODEGARD "),
    }
    client.force_login(office)
    html = client.get(reverse(SETTINGS)).content.decode()
    assert "same e-mail: <strong>KARI@fjordlys.no</strong>" in html
    client.post(reverse(SETTINGS), {"accept_all": "1"})
    assert mapped(connection) == {kari.pk: "11", aase.pk: "12"}


def test_two_colleagues_with_one_name_get_no_suggestion(connection):
    UserFactory(first_name="Ola", last_name="Hansen", email="ola1@fjordlys.no")
    UserFactory(first_name="Ola", last_name="Hansen", email="ola2@fjordlys.no")
    erp_user(connection, "31", "Ola Hansen")

    assert suggest_user_mappings(connection) == []


def test_partner_suggestions_need_evidence():
    values = {
        "name": "Astrid Haugen",
        "email": "astrid@x.no",
        "number": "",
        "organisation_number": "",
    }
    candidates = [
        ("1", {"name": "Sigrid Haugen"}),
        ("2", {"name": "Henrik Hansen"}),
        ("3", {"name": "ASTRID  HAUGEN"}),
        ("4", {"name": "Someone", "email": "Astrid@X.no"}),
    ]
    ranked = rank_candidates(values=values, candidates=candidates)
    assert [(c.key, c.reason, c.evidence) for c in ranked] == [
        ("4", "same e-mail", "Astrid@X.no"),
        ("3", "same name", "ASTRID  HAUGEN"),
    ]


def test_choose_partner_lists_evidence_first_and_otherwise_lets_you_search(client, connection):
    customer = Customer.objects.create(name="Havbris AS", number="10001", organisation_number="")
    for i in range(30):
        Binding.objects.create(
            connection=connection,
            entity="customer",
            external_id=str(600 + i),
            state=Binding.State.REMOTE_ONLY,
            remote_values={"name": f"Havbris Holding {i}", "number": str(20000 + i)},
        )
    Binding.objects.create(
        connection=connection,
        entity="customer",
        external_id="700",
        state=Binding.State.REMOTE_ONLY,
        remote_values={"name": "Havbris", "number": "10001"},
    )
    client.force_login(admin_user())
    link = reverse("admin:integrations_sync_center_partner_local", args=["customer", customer.pk])

    page = client.get(link)
    assert [c.key for c in page.context["candidates"]] == ["700"]  # the same number only
    assert page.context["found"] == []
    assert "Havbris Holding" not in page.content.decode()

    page = client.get(link, {"q": "Holding 1"})
    found = [c.label for c in page.context["found"]]
    assert "Havbris Holding 1" in found and "Havbris Holding 2" not in found
    assert "Havbris Holding 12" in page.content.decode()


def test_create_in_24so_offers_to_partner_the_customer_first(client, connection):
    from apps.integrations.models import OutboxItem
    from apps.projects.models import Project

    stranger = Customer.objects.create(name="Ny Kunde AS", number="90001")
    project = Project.objects.create(name="Kundeportal", number=7012, customer=stranger)
    client.force_login(admin_user())
    url = reverse("admin:integrations_sync_center_list", args=["project"]) + "?tab=local_only"

    listed = client.get(url).content.decode()
    assert "Its customer Ny Kunde AS (90001) has no partner in 24SevenOffice yet." in listed
    partner_link = reverse(
        "admin:integrations_sync_center_partner_local", args=["customer", stranger.pk]
    )
    assert partner_link in listed

    first = client.post(url, {"action": "create_remote", "selected": [project.pk]})
    html = first.content.decode()
    assert "Ny Kunde AS" in html and "sc-confirm-yes" not in html
    partner = reverse(
        "admin:integrations_sync_center_partner_local", args=["customer", stranger.pk]
    )
    assert partner in html

    # Forcing the second pass is refused with the reason; nothing is queued.
    refused = client.post(
        url, {"action": "create_remote", "selected": [project.pk], "confirm": "yes"}, follow=True
    )
    assert "have no partner there yet: Ny Kunde AS" in refused.content.decode()
    assert not OutboxItem.objects.filter(entity="project").exists()
