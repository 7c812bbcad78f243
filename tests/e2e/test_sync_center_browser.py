"""The sync center in a real browser against the live server and the 24SO sandbox: a local
project gets its 24SO number; a conflict is resolved by clicking values and both systems end
equal; a partner is matched from the suggestions; all partners created; no sync and undo."""

import pytest

from apps.integrations.models import Binding
from apps.projects.models import Project
from apps.sandbox.twentyfourseven.models import Project as SandboxProject
from tests.accounts.factories import PASSWORD
from tests.e2e.conftest import admin_login
from tests.integrations.twentyfourseven.test_push_world import World, world

__all__ = ["world"]  # fixture

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _pick_autocomplete(page, field: str, text: str) -> None:
    page.click(f"#id_{field} + .select2 .select2-selection")
    page.fill(".select2-container--open .select2-search__field", text)
    page.click(f".select2-results__option:has-text('{text}')")


def _sync_center(page, world: World, tab: str, entity: str = "project") -> None:
    page.goto(
        f"{world.url.rsplit('/sandbox', 1)[0]}/admin/integrations/binding/sync-center/{entity}/?tab={tab}"
    )


def _act(page, action: str) -> None:
    """Runs a list action and waits for the page it answers with (a confirmation or the list)."""
    page.select_option("select[name=action]", action)
    with page.expect_navigation():
        page.click("button[name=index]")


def test_a_local_project_gets_its_number_and_a_conflict_is_resolved_by_clicking(
    page, live_server, world: World
):
    admin_login(page, live_server, world.admin.email, PASSWORD)

    # Created here: the push after saving brings 24SO's number back.
    page.goto(f"{live_server.url}/admin/projects/project/add/")
    page.fill("#id_name", "Kundeportal 2027")
    _pick_autocomplete(page, "customer", "Havbris")
    page.click("[name=_save]")  # the theme's save is a <button>
    page.wait_for_selector(".messagelist")
    project = Project.objects.get(name="Kundeportal 2027")
    assert project.number is not None
    erp = SandboxProject.objects.get(client=world.erp_project.client, project_id=project.number)
    assert page.locator(f"#result_list >> text={project.number}").count() >= 1
    _sync_center(page, world, "linked")
    page.fill("#searchbar", "Kundeportal")
    page.press("#searchbar", "Enter")
    row = page.locator("tr.sc-row", has_text="Kundeportal 2027")
    assert row.locator("td.sc-external").inner_text() == str(project.number)

    # Both sides change the name and the description differently.
    SandboxProject.objects.filter(pk=erp.pk).update(
        name="Kundeportal (24SO)", description="Text from 24SO"
    )
    page.goto(f"{live_server.url}/admin/projects/project/{project.pk}/change/")
    page.fill("#id_name", "Kundeportal (Tidsbro)")
    page.fill("#id_description", "Text from Tidsbro")
    page.click("[name=_save]")  # the theme's save is a <button>
    page.wait_for_selector(".messagelist")
    binding = Binding.objects.get(entity="project", local_id=project.pk)
    assert binding.state == Binding.State.CONFLICT

    _sync_center(page, world, "conflict")
    page.locator("tr.sc-row", has_text="Kundeportal (Tidsbro)").locator("a.sc-resolve").click()
    remote_name = page.locator("tr[data-field=name] td[data-side=remote]")
    local_text = page.locator("tr[data-field=description] td[data-side=local]")
    remote_name.click()
    local_text.click()
    assert "sc-chosen" in remote_name.get_attribute("class")
    assert "sc-chosen" in local_text.get_attribute("class")
    assert "sc-chosen" not in page.locator("tr[data-field=name] td[data-side=local]").get_attribute(
        "class"
    )
    page.click("#conflict-submit")
    page.wait_for_selector(".messagelist")

    project.refresh_from_db()
    erp.refresh_from_db()
    assert (project.name, project.description) == ("Kundeportal (24SO)", "Text from Tidsbro")
    assert (erp.name, erp.description) == (project.name, project.description)
    binding.refresh_from_db()
    assert binding.state == Binding.State.LINKED


def test_match_a_partner_create_all_partners_and_exclude_and_undo(page, live_server, world: World):
    taken = [world.erp_project.project_id, world.erp_rights_project.project_id]
    spare = (
        SandboxProject.objects.filter(client=world.erp_project.client)
        .exclude(project_id__in=taken)
        .order_by("project_id")
        .first()
    )
    record = world.connector().fetch_one("project", str(spare.project_id))
    Binding.objects.create(
        connection=world.connection,
        entity="project",
        external_id=record.external_id,
        state=Binding.State.REMOTE_ONLY,
        remote_values=record.values,
    )
    # Made before connecting: no binding, nothing queued.
    twin = Project.objects.create(name=spare.name, customer=world.customer)
    new = [
        Project.objects.create(name=f"Nytt prosjekt {i}", customer=world.customer) for i in (1, 2)
    ]
    internal = Project.objects.create(name="Intern tid", customer=world.customer)
    admin_login(page, live_server, world.admin.email, PASSWORD)

    # Choose partner: the 24SO project with the same name is suggested first.
    _sync_center(page, world, "local_only")
    page.locator("tr.sc-row", has_text=spare.name).locator("a.sc-choose").click()
    first = page.locator("tr.sc-candidate").first
    assert spare.name in first.inner_text() and "same name" in first.inner_text()
    first.locator("button.sc-pick").click()
    page.wait_for_selector(".messagelist")
    binding = Binding.objects.get(
        connection=world.connection, entity="project", external_id=str(spare.project_id)
    )
    assert binding.local_id == twin.pk
    twin.refresh_from_db()
    assert twin.number == spare.project_id

    # No sync, then undo.
    _sync_center(page, world, "local_only")
    page.locator("tr.sc-row", has_text="Intern tid").locator("input[name=selected]").check()
    _act(page, "exclude")
    page.wait_for_selector(".messagelist")
    assert page.locator("tr.sc-row", has_text="Intern tid").count() == 0
    _sync_center(page, world, "excluded")
    page.locator("tr.sc-row", has_text="Intern tid").locator("input[name=selected]").check()
    _act(page, "include")
    page.wait_for_selector(".messagelist")
    assert not Binding.objects.filter(entity="project", local_id=internal.pk).exists()

    # Create all partners: everything only here goes to 24SO and gets its number.
    _sync_center(page, world, "local_only")
    assert page.locator("tr.sc-row").count() == 3
    page.check("#sc-all")
    _act(page, "create_remote")
    assert page.locator("#sc-confirm tbody tr").count() == 3
    page.click("#sc-confirm-yes")
    page.wait_for_selector(".messagelist")
    for project in [*new, internal]:
        project.refresh_from_db()
        assert project.number is not None
        assert (
            SandboxProject.objects.get(
                client=world.erp_project.client, project_id=project.number
            ).name
            == project.name
        )
    _sync_center(page, world, "local_only")
    assert page.locator("tr.sc-row").count() == 0
