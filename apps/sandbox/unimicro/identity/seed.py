"""The identity server's fixed coordinates (CONTRACT-17 §2, README "Identity server"): clients,
users, organisations, companies and the signing key. Idempotent; runs by itself on first use."""

from __future__ import annotations

import uuid

from django.db import IntegrityError, transaction

SECRET = "tidsbro-demo-secret"  # noqa: S105 - the sandbox's published demo secret
PASSWORD = "tidsbro-demo"  # noqa: S105 - the sandbox's published demo password
CALLBACK_PATH = "/integrations/oauth/unimicro/callback/"
INTERACTIVE_SCOPES = "AppFramework profile openid offline_access"

ORGANISATIONS = [
    ("Tidsbro Rådgivning AS", "912345670", "4b3e9a10-0000-4000-8000-0000000000a1"),
    ("Tidsbro Holding AS", "998877665", "4b3e9a10-0000-4000-8000-0000000000a2"),
]
COMPANIES = [
    # (key, name, organisation index, is_test, client number)
    ("4b3e9a10-0000-4000-8000-000000000001", "Tidsbro Rådgivning AS", 0, False, 1001),
    ("4b3e9a10-0000-4000-8000-000000000002", "Tidsbro Rådgivning AS (test)", 0, True, 1002),
    ("4b3e9a10-0000-4000-8000-000000000003", "Tidsbro Holding AS", 1, False, 2001),
]
USERS = [
    ("regnskap@tidsbro.no", "Regnskap Tidsbro", "4b3e9a10-0000-4000-8000-0000000000b1", (0, 1)),
    ("les@tidsbro.no", "Les Tidsbro", "4b3e9a10-0000-4000-8000-0000000000b2", (0,)),
]
CLIENTS = [
    ("tidsbro-demo", "Tidsbro (demo)", "interactive", INTERACTIVE_SCOPES),
    (
        "tidsbro-demo-no-offline",
        "Tidsbro (demo, uten offline_access)",
        "interactive",
        "AppFramework profile openid",
    ),
    ("tidsbro-demo-server", "Tidsbro (server)", "server", "AppFramework"),
]


def seed() -> dict[str, int]:
    """Creates what is missing of the fixed coordinates; returns how many rows were made."""
    from . import tokens
    from .models import Client, Company, Organisation, SandboxUser

    made = {"organisations": 0, "companies": 0, "users": 0, "clients": 0}
    with transaction.atomic():
        orgs = []
        for name, number, guid in ORGANISATIONS:
            org, created = Organisation.objects.get_or_create(
                guid=uuid.UUID(guid), defaults={"name": name, "org_number": number}
            )
            orgs.append(org)
            made["organisations"] += created
        companies = []
        for key, name, index, is_test, client_number in COMPANIES:
            company, created = Company.objects.get_or_create(
                key=uuid.UUID(key),
                defaults={
                    "name": name,
                    "organisation": orgs[index],
                    "org_number": orgs[index].org_number,
                    "is_test": is_test,
                    "client_number": client_number,
                },
            )
            companies.append(company)
            made["companies"] += created
        for email, name, guid, memberships in USERS:
            user = SandboxUser.objects.filter(email=email).first()
            if user is None:
                user = SandboxUser(email=email, name=name, guid=uuid.UUID(guid))
                user.set_password(PASSWORD)
                user.save()
                user.organisations.set([orgs[i] for i in memberships])
                made["users"] += 1
        for client_id, name, kind, scopes in CLIENTS:
            if Client.objects.filter(client_id=client_id).exists():
                continue
            client = Client.objects.create(
                client_id=client_id,
                name=name,
                kind=kind,
                client_secret=SECRET if kind == "interactive" else "",
                allowed_scopes=scopes,
                loopback_callback_path=CALLBACK_PATH if kind == "interactive" else "",
            )
            if kind == "server":
                client.companies.set(companies)
            made["clients"] += 1
    tokens.signing_key()
    return made


seed_identity = seed


def ensure_seeded() -> None:
    """Seeds on first use (one cheap query when already seeded)."""
    from .models import Client

    if Client.objects.filter(client_id="tidsbro-demo").exists():
        return
    try:
        seed()
    except IntegrityError:  # another request seeded meanwhile
        pass
