""" "Expire all access tokens now" refuses every token minted before the stamp and none minted
after it — also one renewed within the same second, as a client renews right after a 401."""

from __future__ import annotations

from apps.sandbox.unimicro.identity.services import access_tokens_expire_all


def test_a_token_renewed_in_the_second_of_expire_all_is_accepted(sandbox):
    login = sandbox.login()
    assert sandbox.companies(login["access_token"]).status_code == 200
    access_tokens_expire_all()
    assert sandbox.companies(login["access_token"]).status_code == 401
    # At once, as the connector does after the 401 (no waiting for the next second).
    renewed = sandbox.refresh(login["refresh_token"])
    assert renewed.status_code == 200, renewed.text
    assert sandbox.companies(renewed.json()["access_token"]).status_code == 200


def test_a_token_minted_before_expire_all_is_refused_even_in_the_same_second(sandbox):
    for _ in range(3):  # whatever the moment within the second
        token = sandbox.login(scope="AppFramework profile openid")["access_token"]
        access_tokens_expire_all()
        assert sandbox.companies(token).status_code == 401
