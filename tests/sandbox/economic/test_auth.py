"""Both token headers, revoked grants, roles and the read-only demo tokens."""

import pytest

from apps.sandbox.economic.models import Grant

from .conftest import DEMO, TOKENS, new_customer

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"X-AppSecretToken": TOKENS["X-AppSecretToken"]},
        {"X-AgreementGrantToken": TOKENS["X-AgreementGrantToken"]},
        {**TOKENS, "X-AppSecretToken": "wrong"},
        {**TOKENS, "X-AgreementGrantToken": "wrong"},
    ],
    ids=["none", "secret-only", "grant-only", "wrong-secret", "wrong-grant"],
)
def test_missing_or_wrong_tokens_are_401_in_the_error_format(econ, headers):
    response = econ.get("customers", headers=headers)
    assert response.status_code == 401
    body = response.json()
    assert body["httpStatusCode"] == 401
    assert body["message"] and body["developerHint"] and body["logId"]


def test_a_revoked_grant_is_401(econ):
    Grant.objects.update(revoked=True)
    response = econ.get("self")
    assert response.status_code == 401
    assert "revoked" in response.json()["developerHint"]


def test_the_revoke_knob_turns_every_grant_away(econ, econ_knobs):
    econ_knobs.grants_revoked = True
    econ_knobs.save()
    assert econ.get("customers").status_code == 401


def test_a_grant_without_the_role_is_403(econ):
    Grant.objects.update(roles=["ProjectEmployee"])
    response = econ.get("customers")
    assert response.status_code == 403
    assert "Sales" in response.json()["developerHint"]
    assert econ.get("self").status_code == 200


def test_demo_tokens_read_but_do_not_write(econ):
    econ.post("customers", json=new_customer())
    listing = econ.get("customers", headers=DEMO)
    assert listing.status_code == 200
    assert listing.json()["collection"][0]["customerNumber"] == 1
    assert econ.post("customers", json=new_customer(), headers=DEMO).status_code == 403
    assert econ.put("customers/1", json=new_customer(), headers=DEMO).status_code == 403
    assert econ.delete("customers/1", headers=DEMO).status_code == 403
    assert econ.get("customers/1").status_code == 200


def test_demo_query_parameter_reads_without_headers(econ):
    assert econ.get("customers?demo=true", headers={}).status_code == 200


def test_each_agreement_sees_only_its_own_customers(econ):
    from apps.sandbox.economic.models import Agreement, App

    econ.post("customers", json=new_customer())
    other = Agreement.objects.create(
        agreement_number=7301009,
        company_name="Anden ApS",
        user_login="anden@example.dk",
        user_password="!",
        user_name="Anden",
    )
    Grant.objects.create(agreement=other, app=App.objects.get(), token="other", roles=["Sales"])
    headers = {**TOKENS, "X-AgreementGrantToken": "other"}
    assert econ.get("self", headers=headers).json()["agreementNumber"] == 7301009
    assert econ.get("customers", headers=headers).json()["collection"] == []
    assert econ.get("customers/1", headers=headers).status_code == 404
    assert econ.get("customers/1").status_code == 200
