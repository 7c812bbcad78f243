"""The fixed coordinates are seeded once, whatever calls the seed, and the token levers work
from the command line."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from apps.sandbox.unimicro.identity import gate
from apps.sandbox.unimicro.identity.models import Client, Company, SandboxUser
from apps.sandbox.unimicro.identity.seed import seed

pytestmark = pytest.mark.django_db


def test_seed_is_idempotent_and_makes_the_contract_coordinates():
    seed()
    again = seed()
    assert again == {"organisations": 0, "companies": 0, "users": 0, "clients": 0}
    assert gate.company_keys() == [
        ("4b3e9a10-0000-4000-8000-000000000003", "Tidsbro Holding AS"),
        ("4b3e9a10-0000-4000-8000-000000000001", "Tidsbro Rådgivning AS"),
        ("4b3e9a10-0000-4000-8000-000000000002", "Tidsbro Rådgivning AS (test)"),
    ]
    regnskap = SandboxUser.objects.get(email="regnskap@tidsbro.no")
    assert regnskap.check_password("tidsbro-demo")
    assert regnskap.organisations.count() == 2
    assert SandboxUser.objects.get(email="les@tidsbro.no").organisations.count() == 1
    assert (
        Client.objects.get(client_id="tidsbro-demo-server").companies.count()
        == Company.objects.count()
    )


def test_the_command_expires_access_tokens_and_revokes_refresh_tokens():
    out = StringIO()
    call_command("sandbox_unimicro_tokens", "--expire-access", "--revoke-refresh", stdout=out)
    assert "refused" in out.getvalue()
    assert Client.objects.filter(not_before=None).count() == 0
