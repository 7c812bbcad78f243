"""CompanyService, PersonService and ClientService with their real semantics."""

import datetime as dt

from django.utils import timezone

from apps.sandbox.twentyfourseven.models import Company

ALL = {"string": ["Id", "Name", "OrganizationNumber", "EmailAddresses", "DateChanged"]}


def test_get_users_lists_the_users_of_the_current_client(logged_in):
    users = logged_in.client.GetUsers()
    assert len(users) == 21  # the API user and 20 employees
    api = users[0]
    assert (api.ContactId, api.Name, api.EmployeeId) == (1, "API Tidsbro", None)
    assert all(u.Id for u in users)
    assert users[1].EmployeeId == 1


def test_get_client_information(logged_in):
    info = logged_in.client.GetClientInformation()
    assert info.Name == "Fjordlys Rådgivning AS"
    assert info.OrganizationNumber == "912345678"
    assert info.DefaultCurrency == "NOK"
    assert info.AddressList.Post.City == "Bergen"
    assert info.IsUsingFactoring is False


def test_get_companies_fills_only_the_requested_properties(logged_in):
    companies = logged_in.company.GetCompanies(
        searchParams={"CompanyIds": {"int": [10001, 10002]}},
        returnProperties={"string": ["Id", "Name"]},
    )
    assert [c.Id for c in companies] == [10001, 10002]
    assert companies[0].Name == "Havbris AS"
    assert companies[0].OrganizationNumber is None
    assert companies[0].EmailAddresses is None
    assert companies[0].APIException is None


def test_get_companies_without_return_properties_gives_empty_companies(logged_in):
    companies = logged_in.company.GetCompanies(searchParams={"CompanyId": 10001})
    # One <Company/> without content per match; zeep reads an empty element as None.
    assert companies == [None]


def test_get_companies_flags_unknown_return_property(logged_in):
    companies = logged_in.company.GetCompanies(
        searchParams={"CompanyId": 10001}, returnProperties={"string": ["Id", "Shoesize"]}
    )
    assert companies[0].Id == 10001
    assert "Not a specifiable return property" in companies[0].APIException.Message


def test_get_companies_changed_after(logged_in, demo_client):
    since = timezone.now() - dt.timedelta(minutes=1)
    Company.objects.filter(client=demo_client, company_id=10005).update(date_changed=timezone.now())
    companies = logged_in.company.GetCompanies(
        searchParams={"ChangedAfter": since}, returnProperties=ALL
    )
    assert [c.Id for c in companies] == [10005]
    assert companies[0].EmailAddresses.Primary.Value.startswith("faktura@")


def test_get_companies_by_name_and_org_number(logged_in):
    by_name = logged_in.company.GetCompanies(
        searchParams={"CompanyName": "havbris"}, returnProperties=ALL
    )
    assert {c.Name for c in by_name} == {"Havbris AS", "Havbris ASA"}
    org = by_name[0].OrganizationNumber
    by_org = logged_in.company.GetCompanies(
        searchParams={"OrganizationNumber": org}, returnProperties=ALL
    )
    assert [c.Id for c in by_org] == [by_name[0].Id]


def test_get_company_sync_list_includes_deleted_ones_as_inactive(logged_in):
    page = logged_in.company.GetCompanySyncList(syncSearchParameters={"Page": 1})
    assert (page.CurrentPage, page.TotalPages, page.TotalItems, page.ItemsPerPage) == (
        1,
        1,
        40,
        1000,
    )
    inactive = [c.CompanyId for c in page.Items.SyncCompany if not c.Active]
    assert inactive == [10013, 10026, 10039]
    only_deleted = logged_in.company.GetCompanySyncList(
        syncSearchParameters={"Page": 1, "Active": False}
    )
    assert [c.CompanyId for c in only_deleted.Items.SyncCompany] == inactive


def test_get_company_sync_list_pages_by_1000(logged_in, demo_client):
    now = timezone.now()
    Company.objects.bulk_create(
        Company(
            client=demo_client,
            company_id=20000 + i,
            name=f"Bulk {i}",
            date_created=now,
            date_changed=now,
        )
        for i in range(1000)
    )
    first = logged_in.company.GetCompanySyncList(syncSearchParameters={"Page": 1})
    second = logged_in.company.GetCompanySyncList(syncSearchParameters={"Page": 2})
    assert (first.TotalItems, first.TotalPages) == (1040, 2)
    assert len(first.Items.SyncCompany) == 1000
    assert len(second.Items.SyncCompany) == 40
    assert second.CurrentPage == 2


def test_save_companies_creates_updates_and_reports_errors_per_item(logged_in, demo_client):
    result = logged_in.company.SaveCompanies(
        companies={
            "Company": [
                {
                    "Name": "Ny Kunde AS",
                    "OrganizationNumber": "999888777",
                    "Type": "Business",
                    "EmailAddresses": {"Primary": {"Value": "post@nykunde.no"}},
                },
                {"Id": 10002, "Name": "Fjellvind AS (endret)"},
                {"OrganizationNumber": "123"},
                {"Id": 99999, "Name": "Finnes ikke"},
                {"Name": "Land", "Country": "NOR"},
            ]
        }
    )
    assert len(result) == 5
    created, updated, no_name, missing, bad_country = result
    assert created.APIException is None and created.Id == 10041
    assert updated.APIException is None and updated.Id == 10002
    assert no_name.APIException.Message == "Name is required"
    assert "does not exist" in missing.APIException.Message
    assert "two-letter" in bad_country.APIException.Message
    stored = Company.objects.get(client=demo_client, company_id=10041)
    assert (stored.name, stored.email, stored.organization_number) == (
        "Ny Kunde AS",
        "post@nykunde.no",
        "999888777",
    )
    assert Company.objects.get(client=demo_client, company_id=10002).name == (
        "Fjellvind AS (endret)"
    )
    again = logged_in.company.GetCompanies(
        searchParams={"CompanyId": 10041}, returnProperties={"string": ["Name", "Type"]}
    )
    assert (again[0].Name, again[0].Type) == ("Ny Kunde AS", "Business")


def test_save_companies_with_explicit_new_id(logged_in):
    result = logged_in.company.SaveCompanies(
        companies={
            "Company": [{"Id": 55555, "Name": "Egen", "ExplicitlySpecifyNewCompanyId": True}]
        }
    )
    assert result[0].Id == 55555 and result[0].APIException is None


def test_delete_companies_shows_up_as_inactive_in_sync_list(logged_in):
    failed = logged_in.company.DeleteCompanies(companies={"Company": [{"Id": 10001}]})
    assert failed is None
    page = logged_in.company.GetCompanySyncList(syncSearchParameters={"Page": 1, "Active": False})
    assert 10001 in [c.CompanyId for c in page.Items.SyncCompany]


def test_get_persons_employees_and_filters(logged_in):
    employees = logged_in.person.GetPersons(personSearch={"IsEmployee": "True"})
    assert len(employees) == 21
    everyone = logged_in.person.GetPersons(personSearch={})
    assert len(everyone) == 25
    first = employees[1]
    assert first.EmailAddresses.EmailAddress[0].Type == "Primary"
    one = logged_in.person.GetPersons(personSearch={"Id": first.Id})
    assert [p.FirstName for p in one] == [first.FirstName]
    by_email = logged_in.person.GetPersons(
        personSearch={"Email": first.EmailAddresses.EmailAddress[0].Value}
    )
    assert [p.Id for p in by_email] == [first.Id]
    detailed = logged_in.person.GetPersonsDetailed(personSearch={"EmployeeId": 3})
    assert [p.EmployeeId for p in detailed] == [3]


def test_get_persons_changed_after(logged_in, demo_client):
    from apps.sandbox.twentyfourseven.models import Person

    Person.objects.filter(client=demo_client, contact_id=5).update(date_changed=timezone.now())
    changed = logged_in.person.GetPersons(
        personSearch={"ChangedAfter": timezone.now() - dt.timedelta(minutes=5)}
    )
    assert [p.Id for p in changed] == [5]
