"""Integrations: administrators see every system Tidsbro can connect to, what each does, and
Activate (or Active + Settings); nobody else gets the page."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from apps.integrations.admin_views.onboarding import STATE_KEY
from apps.integrations.registry import specs
from tests.accounts.factories import admin_user, employee, project_manager, support_user
from tests.integrations.factories import connection_24so

PAGE = "admin:integrations_connection_connect"


def activate_buttons(html: str) -> list[str]:
    return re.findall(
        r'<button type="submit" class="button default" name="system" value="([^"]+)"', html
    )


@pytest.mark.django_db
def test_integrations_lists_every_registered_system_with_what_it_does_and_activate(client):
    client.force_login(admin_user())
    response = client.get(reverse(PAGE))
    assert response.status_code == 200
    html = response.content.decode()
    systems = [s.system for s in specs() if s.onboarding is not None]
    assert {"24so", "economic", "unimicro"} <= set(systems)
    assert activate_buttons(html) == systems
    for spec in specs():
        assert str(spec.display_name) in html
    # What each does, in words, from what its connector declares.
    unimicro = html.split('id="integration-unimicro"')[1].split("</section>")[0]
    assert "Exports orders as a file the system imports" in unimicro
    assert "Keeps in step: customers" in unimicro
    assert "Activate" in unimicro


@pytest.mark.django_db
def test_an_active_system_shows_active_and_its_settings_instead_of_activate(client):
    connection = connection_24so(username="x", password="y", client_id="1")
    client.force_login(admin_user())
    html = client.get(reverse(PAGE)).content.decode()
    card = html.split('id="integration-24so"')[1].split("</section>")[0]
    assert "Active" in card and "Activate" not in card
    settings_link = (
        f"{reverse('admin:integrations_connection_settings')}?connection={connection.pk}"
    )
    assert settings_link in card
    assert "24so" not in activate_buttons(html)


@pytest.mark.django_db
def test_activate_starts_that_systems_wizard(client):
    client.force_login(admin_user())
    response = client.post(reverse(PAGE), {"system": "unimicro"})
    assert response.status_code == 302
    assert response.url == reverse("admin:integrations_connection_connect_step", args=["mode"])
    assert client.session[STATE_KEY]["system"] == "unimicro"


@pytest.mark.django_db
def test_the_sidebar_and_the_connections_list_link_the_integrations_page(client):
    client.force_login(admin_user())
    html = client.get(reverse("admin:integrations_connection_changelist")).content.decode()
    assert f'href="{reverse(PAGE)}"' in html
    assert ">Integrations<" in html


@pytest.mark.django_db
@pytest.mark.parametrize("make_user", [support_user, employee, project_manager])
def test_integrations_is_refused_to_non_administrators(client, make_user):
    client.force_login(make_user())
    assert client.get(reverse(PAGE)).status_code == 403
    assert client.post(reverse(PAGE), {"system": "unimicro"}).status_code == 403
    assert STATE_KEY not in client.session
