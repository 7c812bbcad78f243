"""Importing a customer file through the admin in Norwegian, in a real browser."""

import pytest

from apps.accounts.models import User
from apps.customers.models import Customer
from tests.accounts.factories import PASSWORD, admin_user
from tests.customers.factories import CustomerFactory
from tests.e2e.conftest import admin_login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FILE = (
    "kundenummer;navn;organisasjonsnummer;e-post;poststed;aktiv\r\n"
    "7001;Fjordkraft AS;987654325;faktura@fjordkraft.no;Bergen;ja\r\n"
    "7002;Ærlig Øl AS;;post@ærlig.no;Ålesund;ja\r\n"
    "7003;;;;Oslo;ja\r\n"
).encode("cp1252")  # what Excel in Norway saves as "CSV (semikolondelt)"


def test_an_office_imports_its_customer_file_in_norwegian(page, live_server, settings, tmp_path):
    settings.CUSTOMER_IMPORT_DIR = tmp_path
    boss = admin_user(email="boss@example.no", language="en")
    CustomerFactory(
        number="7001",
        name="Fjordkraft AS",
        organisation_number="987654325",
        email="post@fjordkraft.no",
        city="Bergen",
    )
    admin_login(page, live_server, boss.email, PASSWORD)

    # The header's language switcher: Norwegian from now on, also on the profile.
    page.select_option("#language-switcher select", "nb")
    page.wait_for_selector("html[lang=nb]")
    # The theme's button is the label and an icon (whose ligature text is "logout").
    assert page.locator("#logout-form button").text_content().strip().startswith("Logg ut")
    assert User.objects.get(pk=boss.pk).language == "nb"

    page.goto(f"{live_server.url}/admin/customers/customer/")
    assert "Kunder" in page.locator("#page-title").inner_text()  # the theme's header title
    page.click("a.import-link")
    page.set_input_files(
        "#import-upload input[type=file]",
        files=[{"name": "kunder.csv", "mimeType": "text/csv", "buffer": FILE}],
    )
    page.click("#import-upload input[type=submit]")

    # The preview: one to create, one to change (e-mail old → new), one error row; nothing saved.
    page.wait_for_selector("#import-summary")
    assert page.locator(".count-create").inner_text() == "1"
    assert page.locator(".count-update").inner_text() == "1"
    assert page.locator(".count-error").inner_text() == "1"
    change = page.locator("#import-updates .change")
    assert change.locator(".old").inner_text() == "post@fjordkraft.no"
    assert change.locator(".new").inner_text() == "faktura@fjordkraft.no"
    assert page.locator("#import-errors .error-row").get_attribute("data-row") == "4"
    assert "Ærlig Øl AS" in page.locator("#import-creates").inner_text()
    assert not Customer.objects.filter(number="7002").exists()

    page.click("#import-confirm input[type=submit]")

    # Back on the customer list, in Norwegian, with the result.
    page.wait_for_selector(".messagelist")
    assert page.url.endswith("/admin/customers/customer/")
    assert page.locator("html").get_attribute("lang") == "nb"
    assert Customer.objects.get(number="7002").name == "Ærlig Øl AS"
    assert Customer.objects.get(number="7001").email == "faktura@fjordkraft.no"
    assert not Customer.objects.filter(number="7003").exists()
    with page.expect_download() as download:
        page.click(".messagelist a")
    assert "7003" in download.value.path().read_text(encoding="utf-8-sig")
