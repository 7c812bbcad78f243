"""ProjectService (and TimeService.GetProjectList) with their real semantics."""

import datetime as dt

import pytest
from django.utils import timezone
from zeep.exceptions import Fault

from apps.sandbox.twentyfourseven.models import Project, ProjectParticipant, Task

NEW = {"Name": "Nytt prosjekt", "NameDisplay": "Plain", "TimeReg": "WorkType"}


def test_get_project_list_returns_active_projects_only(logged_in):
    projects = logged_in.project.GetProjectList(Ps={})
    assert [p.Id for p in projects] == list(range(1001, 1025))
    first = projects[0]
    assert first.NameDisplay == "Plain" and first.TimeReg == "Task"
    assert first.Version == 2 and first.CustomerName
    assert first.Enabled is False


def test_get_projects_detailed_adds_participants(logged_in):
    projects = logged_in.project.GetProjectsDetailed(Ps={"ProjectIds": {"int": [1001]}})
    assert len(projects) == 1
    members = set(projects[0].Participants.int)
    assert members == set(
        ProjectParticipant.objects.filter(
            project__project_id=1001, project__client__client_id=2400101
        ).values_list("person__contact_id", flat=True)
    )
    assert projects[0].Owner == 1


def test_project_search_filters(logged_in):
    project = logged_in.project.GetSingleProject(projectId=1002)
    by_customer = logged_in.project.GetProjectList(Ps={"CustomerId": project.CustomerId})
    assert 1002 in [p.Id for p in by_customer]
    by_text = logged_in.project.GetProjectList(Ps={"Search": "Rebranding"})
    assert by_text and all("Rebranding" in p.Name for p in by_text)


def test_project_list_changed_after(logged_in):
    Project.objects.filter(project_id=1003, client__client_id=2400101).update(
        date_changed=timezone.now()
    )
    changed = logged_in.project.GetProjectList(
        Ps={"ChangedAfter": timezone.now() - dt.timedelta(minutes=1)}
    )
    assert [p.Id for p in changed] == [1003]


def test_get_deactivated_projects_returns_only_inactive(logged_in):
    projects = logged_in.project.GetDeactivatedProjects(ps={})
    assert [p.Id for p in projects] == list(range(1025, 1031))
    names = logged_in.project.GetDeactivatedProjectNameList()
    assert [p.Id for p in names] == list(range(1025, 1031))


def test_get_single_project_and_unknown_project_fault(logged_in):
    assert logged_in.project.GetSingleProject(projectId=1025).Id == 1025
    with pytest.raises(Fault) as exc:
        logged_in.project.GetSingleProject(projectId=4242)
    assert "does not exist" in exc.value.message


def test_save_project_creates_with_the_next_project_number(logged_in):
    before = timezone.now() - dt.timedelta(seconds=1)
    new_id = logged_in.project.SaveProject(
        project={**NEW, "CustomerId": 10003, "Participants": {"int": [2, 3]}, "StatusId": 2}
    )
    assert new_id == 1031
    project = logged_in.project.GetSingleProject(projectId=new_id)
    assert project.Name == "Nytt prosjekt" and project.CustomerId == 10003
    assert project.StatusId == 2 and project.Owner == 1
    assert project.DateChanged >= before and project.DateRegistered >= before
    assert sorted(project.Participants.int) == [2, 3]


def test_save_project_updates_an_existing_id_and_sets_date_changed(logged_in):
    before = timezone.now() - dt.timedelta(seconds=1)
    result = logged_in.project.SaveProject(project={**NEW, "Id": 1005, "Name": "Omdøpt"})
    assert result == 1005
    project = logged_in.project.GetSingleProject(projectId=1005)
    assert project.Name == "Omdøpt"
    assert project.DateChanged >= before
    assert Project.objects.filter(client__client_id=2400101).count() == 30


def test_save_project_with_inactive_status_deactivates_it(logged_in):
    logged_in.project.SaveProject(project={**NEW, "Id": 1005, "StatusId": 3})
    assert 1005 in [p.Id for p in logged_in.project.GetDeactivatedProjects(ps={})]
    assert 1005 not in [p.Id for p in logged_in.project.GetProjectList(Ps={})]


def test_save_project_requires_a_name(logged_in):
    with pytest.raises(Fault):
        logged_in.project.SaveProject(project={**NEW, "Name": ""})


def test_save_project_with_own_id_creates_it(logged_in):
    assert logged_in.project.SaveProject(project={**NEW, "Id": 7000}) == 7000


def test_get_project_statuses_and_roles(logged_in):
    statuses = logged_in.project.GetProjectStatuses()
    assert [(s.Id, s.Active) for s in statuses] == [(1, True), (2, True), (3, False), (4, False)]
    roles = logged_in.project.GetProjectRoles()
    assert [(r.Id, r.Name, r.Parent) for r in roles][0] == (1, "Prosjektleder", 0)


def test_get_project_tasks(logged_in):
    tasks = logged_in.project.GetProjectTasks(projectId=1001)
    expected = Task.objects.filter(project__project_id=1001, client__client_id=2400101)
    assert [t.Id for t in tasks] == sorted(expected.values_list("task_id", flat=True))
    assert tasks[0].Project == 1001 and tasks[0].Participants.int
    assert tasks[0].Status is None
    assert tasks[0].Name == "Analyse"


def test_save_project_task_creates_and_updates(logged_in):
    start = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
    task = {
        "Name": "Ny oppgave",
        "Project": 1004,
        "DateStart": start,
        "DateStop": start + dt.timedelta(days=10),
        "Participants": {"int": [2]},
    }
    task_id = logged_in.project.SaveProjectTask(task=task)
    assert task_id > 0
    assert logged_in.project.SaveProjectTask(task={**task, "Id": task_id, "Name": "Endret"}) == (
        task_id
    )
    saved = [t for t in logged_in.project.GetProjectTasks(projectId=1004) if t.Id == task_id]
    assert saved[0].Name == "Endret" and saved[0].Participants.int == [2]
    assert saved[0].DateStart == start


@pytest.mark.parametrize("missing", ["Name", "Project", "DateStart", "DateStop"])
def test_save_project_task_requires_name_project_and_dates(logged_in, missing):
    start = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
    task = {"Name": "X", "Project": 1004, "DateStart": start, "DateStop": start}
    del task[missing]
    with pytest.raises(Fault) as exc:
        logged_in.project.SaveProjectTask(task=task)
    assert missing in exc.value.message


def test_get_project_participants_with_roles_and_changed_after(logged_in):
    result = logged_in.project.GetProjectParticipants(ProjectIds={"int": [1001]})
    assert [r.ProjectId for r in result] == [1001]
    participants = result[0].Participants.Participant
    assert participants[0].StateName == "ProjectInitiater"
    assert participants[0].Role.Name == "Prosjektleder"
    assert {p.StateName for p in participants[1:]} == {"Participating"}
    since = timezone.now() - dt.timedelta(seconds=5)
    logged_in.project.SaveProject(
        project={**NEW, "Id": 1001, "Participants": {"int": [participants[0].ContactId, 20]}}
    )
    changed = logged_in.project.GetProjectParticipants(
        ProjectIds={"int": [1001]}, ChangedAfter=since
    )
    states = {p.ContactId: p.StateName for p in changed[0].Participants.Participant}
    assert states[20] == "Participating"
    assert {s for c, s in states.items() if c != 20} == {"Removed"}


def test_time_service_get_project_list_uses_the_same_projects(logged_in):
    projects = logged_in.time.GetProjectList(Ps={})
    assert [p.Id for p in projects] == list(range(1001, 1025))


def test_save_project_switches_between_open_and_rights_managed(logged_in):
    logged_in.project.SaveProject(project={**NEW, "Id": 1002, "Version": 2})
    assert logged_in.project.GetSingleProject(projectId=1002).Version == 2
    logged_in.project.SaveProject(project={**NEW, "Id": 1002, "Version": 7})
    assert logged_in.project.GetSingleProject(projectId=1002).Version == 2
