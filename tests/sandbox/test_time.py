"""TimeService: work types and hours, with a 2018 (original) and a 2022 (variant) client."""

import datetime as dt

import pytest
from django.utils import timezone
from zeep.exceptions import Fault

from apps.sandbox.twentyfourseven.models import Hour, Project, ProjectParticipant

MONDAY = dt.datetime(2026, 11, 16, 7, 0, tzinfo=dt.UTC)


def _hour(**extra):
    return {
        "TypeOfWorkId": 1,
        "StartTime": MONDAY,
        "StopTime": MONDAY + dt.timedelta(hours=2),
        "TotalHours": 2.0,
        "ContactId": 2,
        "ProjectId": 1002,
        "Description": "Workshop",
        "NeedApproval": False,
        **extra,
    }


def _member_of(project_id):
    return (
        ProjectParticipant.objects.filter(
            project__project_id=project_id,
            project__client__client_id=2400101,
            state__in=[2, 3],
        )
        .values_list("person__contact_id", flat=True)
        .first()
    )


def test_get_work_type_list_active_filter(logged_in):
    everything = logged_in.time.GetWorkTypeList(Wts={"Active": "none"})
    assert [w.Id for w in everything] == [1, 2, 3, 4, 5, 6]
    active = logged_in.time.GetWorkTypeList(Wts={"Active": "True"})
    assert [w.Id for w in active] == [1, 2, 3, 4, 5]
    inactive = logged_in.time.GetWorkTypeList(Wts={"Active": "False"})
    assert [w.Name for w in inactive] == ["Gammel support"]
    assert everything[0].Invoiceable is True and everything[3].Invoiceable is False


def test_get_work_type_list_for_a_project_with_checked_off_work_types(logged_in):
    # Project 1002 has three work types checked off; 1003 none, so all count.
    assert [w.Id for w in logged_in.time.GetWorkTypeList(Wts={"ProjectId": 1002})] == [1, 2, 3]
    assert len(logged_in.time.GetWorkTypeList(Wts={"ProjectId": 1003})) == 6
    assert len(logged_in.time.GetWorkTypeList(Wts={"ProjectId": -1})) == 6


def test_get_hours_with_the_2018_client(logged_in):
    hours = logged_in.time.GetHours(hs={"ContactId": 0, "ProjectId": 1002})
    assert hours and {h.ProjectId for h in hours} == {1002}
    assert all(h.TotalHours > 0 for h in hours)
    assert not hasattr(hours[0], "InternalNote")


def test_save_hour_creates_and_get_hours_returns_it(logged_in):
    hour_id = logged_in.time.SaveHour(Hour=_hour())
    assert hour_id > 100000
    hours = logged_in.time.GetHours(
        hs={
            "ContactId": 2,
            "ProjectId": 1002,
            "StartTime": MONDAY,
            "StopTime": MONDAY + dt.timedelta(days=1),
        }
    )
    saved = [h for h in hours if h.Id == hour_id][0]
    assert (saved.TotalHours, saved.Description, saved.TypeOfWorkId) == (2.0, "Workshop", 1)
    assert saved.StartTime == MONDAY


def test_save_hour_with_id_updates(logged_in):
    hour_id = logged_in.time.SaveHour(Hour=_hour())
    assert logged_in.time.SaveHour(Hour=_hour(Id=hour_id, TotalHours=3.5, Description="Mer")) == (
        hour_id
    )
    stored = Hour.objects.get(hour_id=hour_id, client__client_id=2400101)
    assert (stored.total_hours, stored.description) == (3.5, "Mer")


@pytest.mark.parametrize("value", ["NaN", "INF", "-1", "300"])
def test_save_hour_rejects_impossible_totals_as_a_fault(logged_in, value):
    from .conftest import NS, envelope, fault_text, post

    body = envelope(
        f'<SaveHour xmlns="{NS}"><Hour><StartTime>2026-11-16T07:00:00Z</StartTime>'
        f"<TotalHours>{value}</TotalHours><ContactId>2</ContactId><ProjectId>1002</ProjectId>"
        "</Hour></SaveHour>"
    )
    response = post(logged_in, "time", body, "SaveHour")
    assert response.status_code == 500
    assert fault_text(response).endswith("TotalHours must be between 0 and 255")


def test_save_hour_rejects_more_than_255_hours(logged_in):
    with pytest.raises(Fault) as exc:
        logged_in.time.SaveHour(Hour=_hour(TotalHours=255.5))
    assert "255" in exc.value.message
    assert logged_in.time.SaveHour(Hour=_hour(TotalHours=255.0))


def test_save_hour_rejects_non_participants_on_rights_managed_projects(logged_in):
    project = Project.objects.get(project_id=1004, client__client_id=2400101)
    assert project.version == Project.RIGHTS_MANAGED
    members = set(
        project.participants.filter(state__in=[2, 3]).values_list("person__contact_id", flat=True)
    )
    outsider = next(c for c in range(2, 22) if c not in members)
    with pytest.raises(Fault) as exc:
        logged_in.time.SaveHour(Hour=_hour(ProjectId=1004, ContactId=outsider))
    assert "not a participant" in exc.value.message
    assert logged_in.time.SaveHour(Hour=_hour(ProjectId=1004, ContactId=_member_of(1004)))


def test_open_projects_accept_hours_from_any_employee(logged_in):
    assert Project.objects.get(project_id=1002, client__client_id=2400101).version == 1
    assert logged_in.time.SaveHour(Hour=_hour(ProjectId=1002, ContactId=21))


def test_save_hour_on_unknown_project_faults(logged_in):
    with pytest.raises(Fault):
        logged_in.time.SaveHour(Hour=_hour(ProjectId=9999))


def test_approved_hours_cannot_be_changed_or_deleted(logged_in):
    approved = Hour.objects.filter(client__client_id=2400101, approved="True").first()
    with pytest.raises(Fault):
        logged_in.time.SaveHour(
            Hour=_hour(
                Id=approved.hour_id, ProjectId=approved.project_id, ContactId=approved.contact_id
            )
        )
    assert logged_in.time.DeleteHour(Hour={"Id": approved.hour_id}) is False


def test_delete_hour(logged_in):
    hour_id = logged_in.time.SaveHour(Hour=_hour())
    assert logged_in.time.DeleteHour(Hour={"Id": hour_id}) is True
    assert logged_in.time.DeleteHour(Hour={"Id": hour_id}) is False
    assert not Hour.objects.filter(hour_id=hour_id, client__client_id=2400101).exists()


def test_2022_client_changed_after_ignores_seconds(logged_in):
    time2022 = logged_in.time2022
    hour_id = time2022.SaveHour(Hour=_hour(InternalNote="Kun internt"))
    changed = timezone.now().replace(second=10, microsecond=0) - dt.timedelta(minutes=3)
    Hour.objects.filter(hour_id=hour_id).update(date_changed=changed)
    same_minute = changed.replace(second=50)
    hours = time2022.GetHours(hs={"ContactId": 0, "ProjectId": 0, "ChangedAfter": same_minute})
    assert hour_id in [h.Id for h in hours]
    next_minute = changed.replace(second=0) + dt.timedelta(minutes=1)
    later = time2022.GetHours(hs={"ContactId": 0, "ProjectId": 0, "ChangedAfter": next_minute})
    assert hour_id not in [h.Id for h in later or []]
    saved = [h for h in hours if h.Id == hour_id][0]
    assert saved.InternalNote == "Kun internt"


def test_2022_client_registered_after_and_hour_ids(logged_in):
    time2022 = logged_in.time2022
    since = timezone.now() - dt.timedelta(minutes=1)
    first = time2022.SaveHour(Hour=_hour())
    second = time2022.SaveHour(
        Hour=_hour(
            StartTime=MONDAY + dt.timedelta(hours=3),
            StopTime=MONDAY + dt.timedelta(hours=4),
            TotalHours=1,
        )
    )
    recent = time2022.GetHours(hs={"ContactId": 0, "ProjectId": 0, "RegisteredAfter": since})
    assert sorted(h.Id for h in recent) == [first, second]
    by_id = time2022.GetHours(hs={"ContactId": 0, "ProjectId": 0, "HourIds": {"int": [second]}})
    assert [h.Id for h in by_id] == [second]


def test_more_than_1000_hour_ids_is_a_fault(logged_in):
    with pytest.raises(Fault):
        logged_in.time2022.GetHours(
            hs={"ContactId": 0, "ProjectId": 0, "HourIds": {"int": list(range(1, 1002))}}
        )


def test_get_hours_by_status(logged_in):
    approved = logged_in.time.GetHours(hs={"ContactId": 0, "ProjectId": 0, "Status": "Approved"})
    assert approved and {h.Approved for h in approved} == {"True"}
    registered = logged_in.time.GetHours(
        hs={"ContactId": 0, "ProjectId": 0, "Status": "Registered"}
    )
    assert registered and "True" not in {h.Approved for h in registered}


def test_salary_types_and_time_settings(logged_in):
    assert logged_in.time.GetSalaryTypes()[0].Id == 1
    assert logged_in.time.GetTimeSettings()[0].Key


def test_get_project_data_gives_work_types_and_tasks(logged_in):
    data = logged_in.time.GetProjectData(Pds={"ProjectId": 1001})
    assert data.Project.Id == 1001
    assert [w.Id for w in data.WorkTypes.WorkType] == [1, 2, 3, 4, 5]
    assert data.Tasks.Task and all(t.Project == 1001 for t in data.Tasks.Task)
    only = logged_in.time.GetProjectData(Pds={"ProjectId": 1002, "ProjectOnly": True})
    assert only.Project.Id == 1002 and only.WorkTypes is None
