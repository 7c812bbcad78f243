"""calendarView/delta over real HTTP: window, refused options, pages and tokens, series,
@removed, ids, time zones, resets and imperfections."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest

from apps.sandbox.graph.delta import sync_state_invalidate
from apps.sandbox.graph.events import event_delete, event_move_folder, event_update
from apps.sandbox.graph.models import Event, Knobs, Mailbox
from apps.sandbox.graph.runtime import knobs_get

OSLO = ZoneInfo("Europe/Oslo")


def monday() -> dt.date:
    today = dt.datetime.now(OSLO).date()
    return today - dt.timedelta(days=today.weekday())


def window() -> dict:
    start = dt.datetime.combine(monday() - dt.timedelta(days=7), dt.time(), OSLO)
    end = dt.datetime.combine(monday() + dt.timedelta(days=21), dt.time(), OSLO)
    return {"startDateTime": start.isoformat(), "endDateTime": end.isoformat()}


def sync(client, url, params=None, limit=200):
    """Follows nextLinks to the deltaLink: (items, deltaLink, pages)."""
    items, pages = [], 0
    answer = client.get(url, params=params, timeout=10)
    while True:
        assert answer.status_code == 200, answer.text
        pages += 1
        body = answer.json()
        items.extend(body["value"])
        if "@odata.deltaLink" in body:
            assert "@odata.nextLink" not in body
            return items, body["@odata.deltaLink"], pages
        assert pages < limit
        answer = client.get(body["@odata.nextLink"], timeout=10)


def apply(state: dict, items: list[dict]) -> dict:
    """What a client keeps: upsert by id, drop @removed (order and repeats do not matter)."""
    for item in items:
        if "@removed" in item:
            state.pop(item["id"], None)
        else:
            state[item["id"]] = item
    return state


def test_first_call_needs_both_window_bounds(sandbox, kari):
    url = f"{sandbox.graph}/me/calendarView/delta"
    for params in ({}, {"startDateTime": window()["startDateTime"]}):
        answer = kari.get(url, params=params, timeout=10)
        assert answer.status_code == 400
        error = answer.json()["error"]
        assert error["code"] == "ErrorInvalidParameter"
        assert "StartDateTime and EndDateTime" in error["message"]
        assert error["innerError"]["request-id"] and error["innerError"]["date"]


@pytest.mark.parametrize("option", ["$select", "$filter", "$orderby", "$expand", "$search", "$top"])
def test_unsupported_query_options_are_refused(sandbox, kari, option):
    answer = kari.get(
        f"{sandbox.graph}/me/calendarView/delta", params={**window(), option: "subject"}, timeout=10
    )
    assert answer.status_code == 400
    error = answer.json()["error"]
    assert error["code"] == "ErrorInvalidUrlQuery" and option in error["message"]


def test_pages_by_maxpagesize_with_opaque_tokens_ending_in_a_delta_link(sandbox, kari):
    kari.headers["Prefer"] = "odata.maxpagesize=3"
    url = f"{sandbox.graph}/me/calendarView/delta"
    first = kari.get(url, params=window(), timeout=10)
    assert first.headers["Preference-Applied"] == "odata.maxpagesize=3"
    body = first.json()
    assert len(body["value"]) == 3 and "@odata.deltaLink" not in body
    next_link = body["@odata.nextLink"]
    assert next_link.startswith(url + "?$skiptoken=")
    # Opaque: the window is inside the token, not readable in the link.
    assert "startDateTime" not in next_link and str(monday().year) not in next_link
    items, delta_link, pages = sync(kari, url, params=window())
    assert pages == 4 and len(items) == 12
    assert all(len(page) <= 3 for page in [items[i : i + 3] for i in range(0, 12, 3)])
    assert delta_link.startswith(url + "?$deltatoken=")
    subjects = {item["subject"] for item in items}
    assert {
        "Project kick-off",
        "Weekly status",
        "Weekly status (moved)",
        "Company conference",
        "Focus time",
        "Doctor",
        "Vendor demo",
        "Steering group",
    } <= subjects
    # Without Prefer: the knob's default page size (10).
    del kari.headers["Prefer"]
    assert len(kari.get(url, params=window(), timeout=10).json()["value"]) == 10


def test_later_calls_need_only_the_link_and_unchanged_round_is_one_request(sandbox, kari):
    url = f"{sandbox.graph}/me/calendarView/delta"
    _items, delta_link, _pages = sync(kari, url, params=window())
    again = kari.get(delta_link, timeout=10).json()
    assert again["value"] == [] and again["@odata.deltaLink"]
    # A window given again with a token is not looked at: the token's window holds.
    widened = kari.get(
        delta_link + "&startDateTime=2000-01-01T00:00:00Z&endDateTime=2100-01-01T00:00:00Z",
        timeout=10,
    ).json()
    assert widened["value"] == []


def test_series_expand_into_occurrences_and_exceptions(sandbox, kari):
    items, _link, _pages = sync(kari, f"{sandbox.graph}/me/calendarView/delta", params=window())
    weekly = [i for i in items if i["subject"].startswith("Weekly status")]
    assert sorted(i["type"] for i in weekly) == [
        "exception",
        "occurrence",
        "occurrence",
        "occurrence",
    ]
    masters = {i["seriesMasterId"] for i in weekly}
    assert len(masters) == 1 and None not in masters
    assert all(i["type"] != "seriesMaster" for i in items)
    moved = next(i for i in weekly if i["type"] == "exception")
    tuesday_ten = dt.datetime.combine(monday() + dt.timedelta(days=1), dt.time(10), OSLO)
    assert moved["start"]["dateTime"] == tuesday_ten.astimezone(dt.UTC).strftime(
        "%Y-%m-%dT%H:%M:%S.0000000"
    )
    assert moved["originalStart"]
    master = kari.get(f"{sandbox.graph}/me/events/{masters.pop()}", timeout=10).json()
    assert master["type"] == "seriesMaster" and master["recurrence"]["pattern"]["type"] == "weekly"
    singles = [i for i in items if i["type"] == "singleInstance"]
    assert all(i["seriesMasterId"] is None for i in singles)


def test_event_json_carries_the_fields_a_time_tracker_needs(sandbox, kari):
    items, _link, _pages = sync(kari, f"{sandbox.graph}/me/calendarView/delta", params=window())
    by = {i["subject"]: i for i in items}
    kickoff = by["Project kick-off"]
    for field in (
        "@odata.etag",
        "id",
        "changeKey",
        "lastModifiedDateTime",
        "createdDateTime",
        "type",
        "seriesMasterId",
        "iCalUId",
        "isAllDay",
        "isCancelled",
        "showAs",
        "categories",
        "organizer",
        "attendees",
        "responseStatus",
        "sensitivity",
        "webLink",
        "body",
        "start",
        "end",
        "recurrence",
    ):
        assert field in kickoff, field
    assert kickoff["@odata.etag"] == f'W/"{kickoff["changeKey"]}"'
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}", kickoff["start"]["dateTime"])
    assert kickoff["start"]["timeZone"] == "UTC" and kickoff["categories"] == ["Customer work"]
    assert by["Company conference"]["isAllDay"] and by["Company conference"]["start"][
        "dateTime"
    ].endswith("T00:00:00.0000000")
    assert by["Focus time"]["showAs"] == "free"
    assert by["Doctor"]["sensitivity"] == "private"
    assert by["Vendor demo"]["responseStatus"]["response"] == "declined"
    assert by["Steering group"]["isCancelled"] is True
    assert kickoff["webLink"].startswith(f"{sandbox.base}/owa/?itemid=")


def test_outlook_timezone_converts_start_and_end(sandbox, kari):
    url = f"{sandbox.graph}/me/calendarView/delta"
    kari.headers["Prefer"] = 'outlook.timezone="Europe/Oslo"'
    answer = kari.get(url, params=window(), timeout=10)
    assert answer.headers["Preference-Applied"] == 'outlook.timezone="Europe/Oslo"'
    items, _link, _pages = sync(kari, url, params=window())
    kickoff = next(i for i in items if i["subject"] == "Project kick-off")
    assert kickoff["start"] == {
        "dateTime": f"{monday()}T09:00:00.0000000",
        "timeZone": "Europe/Oslo",
    }
    kari.headers["Prefer"] = 'outlook.timezone="Pacific Standard Time"'
    items, _link, _pages = sync(kari, url, params=window())
    kickoff = next(i for i in items if i["subject"] == "Project kick-off")
    pacific = dt.datetime.combine(monday(), dt.time(9), OSLO).astimezone(
        ZoneInfo("America/Los_Angeles")
    )
    assert kickoff["start"] == {
        "dateTime": pacific.strftime("%Y-%m-%dT%H:%M:%S.0000000"),
        "timeZone": "Pacific Standard Time",
    }


def test_next_round_sends_changes_in_full_and_deletions_and_departures_as_removed(sandbox, kari):
    url = f"{sandbox.graph}/me/calendarView/delta"
    items, delta_link, _pages = sync(kari, url, params=window())
    state = apply({}, items)
    by = {i["subject"]: i for i in items}
    mailbox = Mailbox.objects.get(user_principal_name="kari@tidsbro.no")
    # created inside the window (API), moved inside, moved out, deleted, a change far away
    created = kari.post(
        f"{sandbox.graph}/me/events",
        json={
            "subject": "New meeting",
            "start": {"dateTime": f"{monday()}T12:00:00", "timeZone": "Europe/Oslo"},
            "end": {"dateTime": f"{monday()}T12:30:00", "timeZone": "Europe/Oslo"},
        },
        timeout=10,
    )
    assert created.status_code == 201, created.text
    moved = kari.patch(
        f"{sandbox.graph}/me/events/{by['Design review']['id']}",
        json={
            "start": {"dateTime": f"{monday()}T15:00:00", "timeZone": "Europe/Oslo"},
            "end": {"dateTime": f"{monday()}T16:00:00", "timeZone": "Europe/Oslo"},
        },
        timeout=10,
    )
    assert (
        moved.status_code == 200 and moved.json()["changeKey"] != by["Design review"]["changeKey"]
    )
    far = f"{monday() + dt.timedelta(days=200)}"
    kari.patch(
        f"{sandbox.graph}/me/events/{by['Customer workshop']['id']}",
        json={
            "start": {"dateTime": f"{far}T10:00:00", "timeZone": "UTC"},
            "end": {"dateTime": f"{far}T11:00:00", "timeZone": "UTC"},
        },
        timeout=10,
    )
    assert (
        kari.delete(f"{sandbox.graph}/me/events/{by['Doctor']['id']}", timeout=10).status_code
        == 204
    )
    event_update(
        mailbox=mailbox, graph_id=by["Focus time"]["id"], data={"subject": "Focus!"}, trusted=True
    )
    items, delta_link, _pages = sync(kari, delta_link)
    removed = {i["id"] for i in items if "@removed" in i}
    assert removed == {by["Customer workshop"]["id"], by["Doctor"]["id"]}
    assert all(i["@removed"] == {"reason": "deleted"} for i in items if "@removed" in i)
    full = {i["subject"] for i in items if "@removed" not in i}
    assert full == {"New meeting", "Design review", "Focus!"}
    state = apply(state, items)
    assert "Doctor" not in {i["subject"] for i in state.values()}
    # Deleting an occurrence and then the whole series.
    occurrence = next(i for i in state.values() if i["type"] == "occurrence")
    assert (
        kari.delete(f"{sandbox.graph}/me/events/{occurrence['id']}", timeout=10).status_code == 204
    )
    items, delta_link, _pages = sync(kari, delta_link)
    assert {i["id"] for i in items if "@removed" in i} == {occurrence["id"]}
    state = apply(state, items)
    series = occurrence["seriesMasterId"]
    assert kari.delete(f"{sandbox.graph}/me/events/{series}", timeout=10).status_code == 204
    items, delta_link, _pages = sync(kari, delta_link)
    state = apply(state, items)
    assert not [i for i in state.values() if i.get("seriesMasterId") == series]
    # The client's state now equals a fresh first round.
    fresh, _link, _pages = sync(kari, url, params=window())
    assert set(state) == {i["id"] for i in fresh}


def test_immutable_ids_survive_a_folder_move_and_default_ids_do_not(sandbox, kari):
    url = f"{sandbox.graph}/me/calendarView/delta"
    immutable = sandbox.client(kari.headers["Authorization"][7:], prefer='IdType="ImmutableId"')
    rest_items, rest_link, _p = sync(kari, url, params=window())
    imm_items, imm_link, _p = sync(immutable, url, params=window())
    rest_id = next(i["id"] for i in rest_items if i["subject"] == "Project kick-off")
    imm_id = next(i["id"] for i in imm_items if i["subject"] == "Project kick-off")
    assert rest_id != imm_id
    event = Event.objects.get(
        subject="Project kick-off", mailbox__user_principal_name="kari@tidsbro.no"
    )
    event_move_folder(event=event)
    assert kari.get(f"{sandbox.graph}/me/events/{rest_id}", timeout=10).status_code == 404
    assert immutable.get(f"{sandbox.graph}/me/events/{imm_id}", timeout=10).status_code == 200
    # Delta with default ids: the old id removed, the event under its new id.
    items, _link, _p = sync(kari, rest_link)
    assert [i["id"] for i in items if "@removed" in i] == [rest_id]
    new = [i for i in items if "@removed" not in i]
    assert len(new) == 1 and new[0]["id"] != rest_id
    # With immutable ids: the same id, updated.
    items, _link, _p = sync(immutable, imm_link)
    assert [i["id"] for i in items] == [imm_id] and "@removed" not in items[0]
    # Delta links work with either id form (the header can be switched on without a resync).
    assert immutable.get(rest_link, timeout=10).status_code == 200


@pytest.mark.parametrize("reset", [Mailbox.Reset.GONE, Mailbox.Reset.NOT_FOUND])
def test_an_invalidated_sync_state_answers_410_with_location_or_sync_state_not_found(
    sandbox, kari, reset
):
    url = f"{sandbox.graph}/me/calendarView/delta"
    _items, delta_link, _p = sync(kari, url, params=window())
    sync_state_invalidate(
        mailbox=Mailbox.objects.get(user_principal_name="kari@tidsbro.no"), reset=reset
    )
    answer = kari.get(delta_link, timeout=10, allow_redirects=False)
    if reset == Mailbox.Reset.GONE:
        assert answer.status_code == 410
        assert answer.json()["error"]["code"] == "resyncRequired"
        location = answer.headers["Location"]
        assert location.startswith(url + "?startDateTime=") and location.endswith("$deltatoken=")
        items, _link, _p = sync(kari, location)
        assert len(items) == 12
    else:
        assert answer.status_code == 400
        assert answer.json()["error"]["code"] == "syncStateNotFound"
        items, _link, _p = sync(kari, url, params=window())
        assert len(items) == 12


def test_duplicates_replays_and_empty_pages_are_seeded_and_harmless(sandbox, kari):
    url = f"{sandbox.graph}/me/calendarView/delta"
    clean, _link, clean_pages = sync(kari, url, params=window())
    Knobs.objects.filter(pk=knobs_get().pk).update(
        duplicate_rate=0.3, empty_page_rate=0.3, replay_rate=1.0
    )
    kari.headers["Prefer"] = "odata.maxpagesize=4"
    items, delta_link, pages = sync(kari, url, params=window())
    ids = [i["id"] for i in items]
    assert len(ids) > len(set(ids)), "some items sent twice"
    assert set(ids) == {i["id"] for i in clean}
    again, _link, _p = sync(kari, url, params=window())
    assert [i["id"] for i in again] == ids, "seeded: the same run twice"
    # Replay: the next round sends this round's changes again although nothing changed.
    replayed, _link, _p = sync(kari, delta_link)
    assert {i["id"] for i in replayed} == set(ids)
    # Empty pages carry a nextLink.
    Knobs.objects.filter(pk=knobs_get().pk).update(
        duplicate_rate=0, empty_page_rate=1.0, replay_rate=0
    )
    first = kari.get(url, params=window(), timeout=10).json()
    assert first["value"] == [] and "@odata.nextLink" in first
    items, _link, pages = sync(kari, url, params=window())
    assert {i["id"] for i in items} == set(ids) and pages > 3


def test_changes_while_a_round_runs_come_in_the_next_round(sandbox, kari):
    url = f"{sandbox.graph}/me/calendarView/delta"
    kari.headers["Prefer"] = "odata.maxpagesize=2"
    first = kari.get(url, params=window(), timeout=10).json()
    mailbox = Mailbox.objects.get(user_principal_name="kari@tidsbro.no")
    seen = {i["id"] for i in first["value"]}
    victim = Event.objects.filter(
        mailbox=mailbox, type="singleInstance", subject="Vendor demo"
    ).get()
    event_update(
        mailbox=mailbox,
        graph_id=f"{_rest(victim)}",
        data={"subject": "Vendor demo 2"},
        trusted=True,
    )
    rest, delta_link, _p = sync(kari, first["@odata.nextLink"])
    state = apply(apply({}, first["value"]), rest)
    items, _link, _p = sync(kari, delta_link)
    state = apply(state, items)
    assert "Vendor demo 2" in {i["subject"] for i in state.values()}
    assert seen <= set(state)


def _rest(event: Event) -> str:
    from apps.sandbox.graph import ids

    return ids.rest_id(event.mailbox_id, str(event.pk), event.folder_generation)


def test_deleting_through_the_service_matches_the_api(sandbox, kari):
    mailbox = Mailbox.objects.get(user_principal_name="kari@tidsbro.no")
    url = f"{sandbox.graph}/me/calendarView/delta"
    _items, delta_link, _p = sync(kari, url, params=window())
    event = Event.objects.get(mailbox=mailbox, subject="Focus time")
    event_delete(mailbox=mailbox, graph_id=_rest(event))
    items, _link, _p = sync(kari, delta_link)
    assert items == [
        {
            "@odata.type": "#microsoft.graph.event",
            "id": _rest(event),
            "@removed": {"reason": "deleted"},
        }
    ]


def test_several_preferences_in_one_header_and_the_users_path(sandbox, kari):
    mailbox = Mailbox.objects.get(user_principal_name="kari@tidsbro.no")
    kari.headers["Prefer"] = (
        'odata.maxpagesize=2, IdType="ImmutableId", outlook.timezone="Europe/Oslo"'
    )
    for who in ("me", f"users/{mailbox.user_principal_name}", f"users/{mailbox.object_id}"):
        answer = kari.get(f"{sandbox.graph}/{who}/calendarView/delta", params=window(), timeout=10)
        assert answer.status_code == 200, answer.text
        applied = answer.headers["Preference-Applied"]
        assert 'IdType="ImmutableId"' in applied and "odata.maxpagesize=2" in applied
        body = answer.json()
        assert len(body["value"]) == 2 and body["value"][0]["id"].startswith("AAkALg")
        assert body["value"][0]["start"]["timeZone"] == "Europe/Oslo"
    other = kari.get(
        f"{sandbox.graph}/users/lars@tidsbro.no/calendarView/delta", params=window(), timeout=10
    )
    assert other.status_code == 403


def test_a_replayed_first_round_still_reports_deletions(sandbox, kari):
    Knobs.objects.filter(pk=knobs_get().pk).update(replay_rate=1.0)
    url = f"{sandbox.graph}/me/calendarView/delta"
    items, delta_link, _p = sync(kari, url, params=window())
    doctor = next(i for i in items if i["subject"] == "Doctor")
    assert kari.delete(f"{sandbox.graph}/me/events/{doctor['id']}", timeout=10).status_code == 204
    replayed, _link, _p = sync(kari, delta_link)
    assert {
        "id": doctor["id"],
        "@odata.type": "#microsoft.graph.event",
        "@removed": {"reason": "deleted"},
    } in replayed
    state = apply(apply({}, items), replayed)
    assert doctor["id"] not in state and len(state) == len(items) - 1


def test_repeated_prefer_headers_count_like_one(sandbox, kari):
    import http.client
    import json
    from urllib.parse import urlencode, urlparse

    where = urlparse(sandbox.graph)
    connection = http.client.HTTPConnection(where.hostname, where.port, timeout=10)
    connection.putrequest("GET", f"{where.path}/me/calendarView/delta?{urlencode(window())}")
    connection.putheader("Authorization", kari.headers["Authorization"])
    connection.putheader("Prefer", "odata.maxpagesize=2")
    connection.putheader("Prefer", 'IdType="ImmutableId"')
    connection.endheaders()
    answer = connection.getresponse()
    body = json.loads(answer.read())
    connection.close()
    assert answer.status == 200
    assert len(body["value"]) == 2 and body["value"][0]["id"].startswith("AAkALg")
