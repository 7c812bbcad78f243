"""Authenticate service: Login, HasSession and identities."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib.auth.hashers import check_password

from ..models import Application, Identity, Login
from ..runtime import IDENTITY_BLOCKED, session_create
from ..soap import SoapFault
from .common import Call, fault, operation

ZERO_GUID = uuid.UUID(int=0)


def _as_uuid(value: Any) -> uuid.UUID | None:
    if value in (None, ""):
        return None
    try:
        return uuid.UUID(str(value))
    except ValueError as exc:
        raise SoapFault(
            "Server was unable to read request. ---> There is an error in XML document.",
            "soap:Client",
        ) from exc


def login_for_credential(credential: Any) -> Login | None:
    """The login the credential proves, or None (unknown ApplicationId counts as wrong)."""
    if credential is None:
        return None
    app_id = _as_uuid(credential["ApplicationId"])
    if (
        app_id is None
        or not Application.objects.filter(application_id=app_id, active=True).exists()
    ):
        return None
    login = Login.objects.filter(username__iexact=(credential["Username"] or "").strip()).first()
    if login is None or not check_password(credential["Password"] or "", login.password):
        return None
    return login


def username_of(credential: Any) -> str:
    return (credential["Username"] or "").strip() if credential is not None else ""


def identity_dict(identity: Identity, *, current: Identity | None) -> dict:
    person = identity.person
    return {
        "Id": identity.identity_id,
        "User": {
            "ContactId": person.contact_id,
            "Id": person.user_guid,
            "Name": person.name,
            "EmployeeId": person.employee_id,
        },
        "Client": {"Id": identity.client.client_id, "Name": identity.client.name},
        "IsCurrent": current is not None and identity.pk == current.pk,
        "IsDefault": identity.is_default,
        "IsProtected": False,
        "Servers": {"Server": [{"Id": 1, "Type": 1}]},
        "IsDisabled": identity.is_disabled,
    }


def _identities(login: Login):
    return login.identities.select_related("client", "person").order_by(
        "-is_default", "client__client_id"
    )


@operation("auth", "Login", needs_session=False)
def login(call: Call) -> str:
    credential = call.params.get("credential")
    account = login_for_credential(credential)
    if account is None:
        return ""  # 24SO answers a failed login with an empty LoginResult, not a fault
    wanted = _as_uuid(credential["IdentityId"])
    identities = _identities(account)
    if wanted and wanted != ZERO_GUID:
        identity = identities.filter(identity_id=wanted).first()
        if identity is None:
            return ""
        if identity.is_blocked or identity.is_disabled:
            raise SoapFault(IDENTITY_BLOCKED)
    else:
        identity = identities.filter(is_default=True).first() or identities.first()
        if identity is None:
            return ""
    session = session_create(identity=identity)
    call.new_session_key = session.key
    return session.key


@operation("auth", "HasSession", needs_session=False)
def has_session(call: Call) -> bool:
    return call.session is not None


@operation("auth", "GetIdentity")
def get_identity(call: Call) -> dict:
    return identity_dict(call.identity, current=call.identity)


@operation("auth", "GetIdentities")
def get_identities(call: Call) -> dict:
    return {
        "Identity": [
            identity_dict(i, current=call.identity) for i in _identities(call.identity.login)
        ]
    }


def _switch(call: Call, identity_id: Any) -> bool:
    wanted = _as_uuid(identity_id)
    identity = _identities(call.identity.login).filter(identity_id=wanted).first()
    if identity is None or identity.is_blocked or identity.is_disabled:
        return False
    call.session.identity = identity
    call.session.save(update_fields=["identity"])
    return True


@operation("auth", "SetIdentityById")
def set_identity_by_id(call: Call) -> bool:
    return _switch(call, call.params.get("identityId"))


@operation("auth", "SetIdentity")
def set_identity(call: Call) -> bool:
    identity = call.params.get("identity")
    return _switch(call, identity["Id"] if identity is not None else None)


def _with_credential(call: Call) -> dict | None:
    account = login_for_credential(call.params.get("credential"))
    if account is None:
        raise fault("The username or password is incorrect.")
    return {"Identity": [identity_dict(i, current=None) for i in _identities(account)]}


@operation("auth", "GetIdentitiesWithCredential", needs_session=False)
def get_identities_with_credential(call: Call) -> dict | None:
    return _with_credential(call)


@operation("auth", "GetIdentitiesWithCredentialByService", needs_session=False)
def get_identities_with_credential_by_service(call: Call) -> dict | None:
    return _with_credential(call)
