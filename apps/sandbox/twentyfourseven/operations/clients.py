"""ClientService: the users and the information of the current client."""

from __future__ import annotations

from .common import Call, operation


@operation("client", "GetUsers")
def get_users(call: Call) -> dict:
    users = call.client.persons.filter(user_guid__isnull=False).order_by("contact_id")
    return {
        "User": [
            {
                "ContactId": p.contact_id,
                "Id": p.user_guid,
                "Name": p.name,
                "EmployeeId": p.employee_id,
            }
            for p in users
        ]
    }


@operation("client", "GetClientInformation")
def get_client_information(call: Call) -> dict:
    client = call.client
    address = {
        "Street": client.street,
        "PostalCode": client.postal_code,
        "PostalArea": client.city,
        "City": client.city,
        "Country": client.country,
        "Name": client.name,
    }
    return {
        "AddressList": {"Post": address, "Visit": address},
        "Country": client.country,
        "EmailAddressList": {"Primary": {"Value": client.email}} if client.email else None,
        "IsUsingFactoring": False,
        "Name": client.name,
        "PhoneNumberList": {"Primary": {"Value": client.phone}} if client.phone else None,
        "ReminderDays": 14,
        "ReminderDays2": 14,
        "ReminderDays3": 14,
        "UserId": call.identity.person.contact_id,
        "OrganizationNumber": client.organization_number,
        "DefaultCurrency": client.default_currency,
    }
