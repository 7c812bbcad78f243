"""Every implemented operation answers something the original WSDL's zeep client reads."""

from apps.sandbox.twentyfourseven.endpoint import operations_of
from apps.sandbox.twentyfourseven.models import Identity
from apps.sandbox.twentyfourseven.seed import APPLICATION_ID, DEMO_PASSWORD, DEMO_USERNAME
from apps.sandbox.twentyfourseven.soap import SERVICES

CREDENTIAL = {
    "ApplicationId": str(APPLICATION_ID),
    "Username": DEMO_USERNAME,
    "Password": DEMO_PASSWORD,
}


def test_the_less_used_operations_answer_readable_envelopes(logged_in):
    auth, project, time = logged_in.auth, logged_in.project, logged_in.time
    by_service = auth.GetIdentitiesWithCredentialByService(credential=CREDENTIAL, serviceId=1)
    assert len(by_service) == 2
    other = Identity.objects.get(client__client_id=2400102)
    assert auth.SetIdentity(
        identity={
            "Id": str(other.identity_id),
            "IsCurrent": False,
            "IsDefault": False,
            "IsProtected": False,
        }
    )
    assert auth.GetIdentity().Client.Id == 2400102
    assert auth.SetIdentityById(identityId=str(auth.GetIdentities()[0].Id))
    assert [p.Id for p in project.GetProjectNameList()] == list(range(1001, 1025))
    assert project.GetProjectTypes() is None
    assert project.GetPipeLines() is None
    assert project.GetCategories() is None
    assert project.GetMyProjectTasks() is None  # the API user is on no task
    pending = time.GetHoursForApproval(approvalSearchParameters={"ContactId": 0, "ProjectId": 0})
    assert pending and all(h.NeedApproval for h in pending)


def test_every_service_has_its_operations_registered():
    expected = {
        "auth": {"Login", "HasSession", "GetIdentities", "SetIdentityById"},
        "client": {"GetUsers", "GetClientInformation"},
        "company": {"GetCompanies", "GetCompanySyncList", "SaveCompanies"},
        "person": {"GetPersons"},
        "project": {
            "GetProjectList",
            "GetProjectsDetailed",
            "GetDeactivatedProjects",
            "GetSingleProject",
            "SaveProject",
            "GetProjectStatuses",
            "GetProjectRoles",
            "GetProjectTasks",
            "SaveProjectTask",
            "GetProjectParticipants",
        },
        "time": {"GetWorkTypeList", "GetHours", "SaveHour", "DeleteHour"},
        "invoice": {"SaveInvoices", "GetInvoices"},
    }
    for key, names in expected.items():
        assert names <= set(operations_of(SERVICES[key])), key


def test_an_operation_the_sandbox_does_not_implement_is_a_clear_fault(logged_in):
    import pytest
    from zeep.exceptions import Fault

    with pytest.raises(Fault) as exc:
        logged_in.time.GetCosts(costSearchParameters={"ProjectId": 1001, "ContactId": 0})
    assert "does not implement GetCosts" in exc.value.message
