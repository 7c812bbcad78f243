"""requestaccess.aspx: a user logs in, approves the app and goes back with ?token=."""

import re
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from apps.sandbox.economic.models import Grant
from apps.sandbox.economic.seed import (
    AGREEMENT_GRANT_TOKEN,
    APP_PUBLIC_TOKEN,
    APP_SECRET_TOKEN,
    DEMO_LOGIN,
    DEMO_PASSWORD,
)

pytestmark = pytest.mark.django_db(transaction=True)

BACK = "https://tidsbro.example/integrations/economic/callback?state=abc"


def _page(econ, redirect_url=BACK, public=APP_PUBLIC_TOKEN):
    http = requests.Session()
    response = http.get(
        f"{econ.base}/requestaccess.aspx",
        params={"appPublicToken": public, "redirectUrl": redirect_url},
        timeout=10,
    )
    return http, response


def _submit(econ, http, page, **fields):
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    data = {
        "csrfmiddlewaretoken": csrf,
        "appPublicToken": APP_PUBLIC_TOKEN,
        "redirectUrl": BACK,
        **fields,
    }
    return http.post(
        f"{econ.base}/requestaccess.aspx", data=data, allow_redirects=False, timeout=10
    )


def test_approving_redirects_back_with_the_grant_token(econ):
    http, page = _page(econ)
    assert page.status_code == 200 and "Tidsbro" in page.text
    response = _submit(econ, http, page, login=DEMO_LOGIN, password=DEMO_PASSWORD, approve="1")
    assert response.status_code == 302
    target = urlsplit(response.headers["Location"])
    assert f"{target.scheme}://{target.netloc}{target.path}" == BACK.split("?")[0]
    query = parse_qs(target.query)
    assert query["state"] == ["abc"]
    assert query["token"] == [AGREEMENT_GRANT_TOKEN]
    # The token works with the app's secret.
    headers = {"X-AppSecretToken": APP_SECRET_TOKEN, "X-AgreementGrantToken": query["token"][0]}
    assert econ.get("self", headers=headers).status_code == 200


def test_after_a_revoked_grant_approval_gives_a_new_token(econ):
    Grant.objects.update(revoked=True)
    http, page = _page(econ)
    response = _submit(econ, http, page, login=DEMO_LOGIN, password=DEMO_PASSWORD, approve="1")
    token = parse_qs(urlsplit(response.headers["Location"]).query)["token"][0]
    assert token != AGREEMENT_GRANT_TOKEN
    headers = {"X-AppSecretToken": APP_SECRET_TOKEN, "X-AgreementGrantToken": token}
    assert econ.get("customers", headers=headers).status_code == 200


def test_wrong_password_stays_on_the_page(econ):
    http, page = _page(econ)
    response = _submit(econ, http, page, login=DEMO_LOGIN, password="nope", approve="1")
    assert response.status_code == 200
    assert "Wrong user name or password." in response.text


def test_declining_goes_back_without_a_token(econ):
    http, page = _page(econ)
    response = _submit(econ, http, page, login=DEMO_LOGIN, password=DEMO_PASSWORD, decline="1")
    assert response.status_code == 302
    assert "token=" not in response.headers["Location"]


@pytest.mark.parametrize(
    "url", ["javascript:alert(1)", "ftp://example.com/x", "//evil.example/x", "/relative"]
)
def test_a_redirect_url_that_is_not_http_is_refused(econ, url):
    _, response = _page(econ, redirect_url=url)
    assert response.status_code == 400


def test_an_unknown_app_is_refused(econ):
    _, response = _page(econ, public="who-knows")
    assert response.status_code == 400
