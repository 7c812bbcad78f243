"""My calendar's Connect button through the real sign-in (the sandbox's pages over HTTP)."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from tests.integrations.graph import world
from tests.integrations.graph.conftest import graph_connection, graph_sandbox  # noqa: F401

MY_CALENDAR = reverse("admin:calendars_my_calendar")


@pytest.mark.parametrize("purpose", ["calendar", "calendar_write"])
def test_connect_my_outlook_calendar_from_my_calendar(graph_sandbox, graph_connection, purpose):  # noqa: F811
    kari = world.person_make("kari@tidsbro.no")
    client = Client()
    client.force_login(kari)
    page = client.get(MY_CALENDAR).content.decode()
    form = re.search(
        r'<form method="post" action="([^"]+)" class="tb-cal-row">(.*?)</form>', page, re.S
    )
    assert form, "no Connect form on My calendar"
    assert f'value="{purpose}"' in form.group(2)
    started = client.post(form.group(1), {"purpose": purpose, "next": MY_CALENDAR})
    assert started.status_code == 302
    location = world.browser_sign_in(started["Location"], email="kari@tidsbro.no")
    done = world.callback(client, location)
    assert done.status_code == 302 and done["Location"] == MY_CALENDAR
    page = client.get(MY_CALENDAR).content.decode()
    assert "Connected as" in page and "Working: your calendar is kept in step." in page
    write_part = page.split('id="settings"', 1)[1].split("Last synchronised", 1)[0]
    if purpose == "calendar_write":  # "Connect, and save my hours in it": on at once
        assert 'value="write_off"' in write_part
    else:
        assert 'value="calendar_write"' in write_part
