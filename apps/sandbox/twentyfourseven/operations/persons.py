"""PersonService: contact persons and employees (read; employees cannot be created)."""

from __future__ import annotations

from django.db.models import Q

from ..models import Person
from .common import Call, is_set, operation, out_dt, utc


def person_dict(person: Person) -> dict:
    return {
        "CustomerId": 0,
        "DateRegistered": out_dt(person.date_registered),
        "DateChanged": out_dt(person.date_changed),
        "EmailAddresses": {"EmailAddress": [{"Type": "Primary", "Value": person.email}]}
        if person.email
        else None,
        "EmployeeNumber": person.employee_id,
        "FirstName": person.first_name,
        "Id": person.contact_id,
        "LastName": person.last_name,
        "PhoneNumbers": {"PhoneNumber": [{"Type": "Primary", "Value": person.phone}]}
        if person.phone
        else None,
        "HourCost": person.hour_cost,
        "EmployeeId": person.employee_id,
    }


def _persons(call: Call) -> dict | None:
    search = call.params.get("personSearch")
    qs = Person.objects.filter(client=call.client)
    if search is not None:
        if is_set(search["Id"]):
            qs = qs.filter(contact_id=search["Id"])
        if is_set(search["EmployeeId"]):
            qs = qs.filter(employee_id=search["EmployeeId"])
        if search["Email"]:
            qs = qs.filter(email__iexact=search["Email"])
        if search["Name"]:
            for word in search["Name"].split():
                qs = qs.filter(Q(first_name__icontains=word) | Q(last_name__icontains=word))
        if search["Phone"]:
            qs = qs.filter(phone=search["Phone"])
        if search["ChangedAfter"]:
            qs = qs.filter(date_changed__gt=utc(search["ChangedAfter"]))
        if search["IsEmployee"] in ("True", "False"):
            qs = qs.filter(is_employee=search["IsEmployee"] == "True")
        if is_set(search["CustomerId"]):
            qs = qs.none()  # the sandbox keeps no person–company relations
    items = [person_dict(p) for p in qs.order_by("contact_id")]
    return {"PersonItem": items} if items else None


@operation("person", "GetPersons")
def get_persons(call: Call) -> dict | None:
    return _persons(call)


@operation("person", "GetPersonsDetailed")
def get_persons_detailed(call: Call) -> dict | None:
    return _persons(call)
