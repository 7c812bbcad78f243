"""The conflict screen's choice needs no script of its own: clicking a value (a radio in a
label filling the cell) selects it, CSS turns it blue, and Save settles the conflict with it.
(The admin theme itself needs JavaScript, so the screen's click handlers are removed instead.)"""

import pytest

from apps.customers.models import Customer
from apps.integrations.models import Binding, Conflict, Connection
from apps.integrations.sync import outbox
from tests.accounts.factories import PASSWORD, admin_user
from tests.e2e.conftest import admin_login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_clicking_a_value_chooses_it_without_the_screens_script(
    page, live_server, monkeypatch
) -> None:
    monkeypatch.setattr(outbox, "kick", lambda connection_id: None)  # no ERP to push to here
    connection = Connection.objects.create(
        system="economic",
        credentials_doc={"agreement_grant_token": "x"},
        connected=["customer"],
        masters={"customer": "both"},
    )
    customer = Customer.objects.create(name="Kattegat Vind", number="5001", city="Aarhus")
    binding = Binding.objects.create(
        connection=connection,
        entity="customer",
        local_id=customer.pk,
        external_id="5001",
        state=Binding.State.CONFLICT,
        snapshot={"number": "5001"},
    )
    Conflict.objects.create(
        binding=binding, field="name", local_value="Kattegat Vind", remote_value="Kattegat A/S"
    )
    admin = admin_user()
    admin_login(page, live_server, admin.email, PASSWORD)

    page.goto(f"{live_server.url}/admin/integrations/binding/conflicts/{binding.pk}/")
    page.wait_for_selector("#conflict-table", state="visible")
    # Clones carry no event listeners: what is left is HTML and CSS.
    page.evaluate(
        "document.querySelectorAll('td.sc-value').forEach(td => td.replaceWith(td.cloneNode(true)))"
    )
    cell = page.locator("tr[data-field=name] td[data-side=remote]")
    cell.click()
    blue = cell.evaluate("td => getComputedStyle(td).backgroundColor")
    other = page.locator("tr[data-field=name] td[data-side=local]")
    plain = other.evaluate("td => getComputedStyle(td).backgroundColor")
    page.click("#conflict-submit")
    page.wait_for_selector(".messagelist")

    assert blue == "rgb(215, 233, 251)" and plain != blue
    customer.refresh_from_db()
    assert customer.name == "Kattegat A/S"
