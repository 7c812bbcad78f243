import pytest
from cryptography.fernet import Fernet

from apps.core import crypto


def test_a_secret_round_trips_and_is_not_stored_in_clear():
    token = crypto.encrypt("hunter2-passord", purpose="integrations.connection.password")

    assert "hunter2" not in token
    assert crypto.decrypt(token, purpose="integrations.connection.password") == "hunter2-passord"


def test_a_wrong_key_fails_closed(settings):
    token = crypto.encrypt("hunter2", purpose="p")
    settings.TIDSBRO_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]

    with pytest.raises(crypto.DecryptionFailed):
        crypto.decrypt(token, purpose="p")


def test_a_value_copied_to_another_column_does_not_decrypt():
    token = crypto.encrypt("hunter2", purpose="integrations.connection.password")

    with pytest.raises(crypto.DecryptionFailed):
        crypto.decrypt(token, purpose="integrations.connection.session_id")


def test_tampered_ciphertext_fails_closed():
    token = crypto.encrypt("hunter2", purpose="p")
    tampered = token[:-6] + ("A" if token[-6] != "A" else "B") + token[-5:]

    with pytest.raises(crypto.DecryptionFailed):
        crypto.decrypt(tampered, purpose="p")


def test_rotation_moves_a_value_to_the_newest_key(settings):
    old_key = settings.TIDSBRO_ENCRYPTION_KEYS[0]
    token = crypto.encrypt("hunter2", purpose="p")
    new_key = Fernet.generate_key().decode()
    settings.TIDSBRO_ENCRYPTION_KEYS = [new_key, old_key]

    rotated = crypto.rotate(token)
    settings.TIDSBRO_ENCRYPTION_KEYS = [new_key]

    assert crypto.decrypt(rotated, purpose="p") == "hunter2"
    with pytest.raises(crypto.DecryptionFailed):
        crypto.decrypt(token, purpose="p")


def test_no_keys_configured_refuses_to_store_secrets(settings):
    from django.core.exceptions import ImproperlyConfigured

    settings.TIDSBRO_ENCRYPTION_KEYS = []

    with pytest.raises(ImproperlyConfigured):
        crypto.encrypt("hunter2", purpose="p")


# --- the keys are checked at start-up ---------------------------------------------------------

GOOD_KEY = "piYGpwlIQrCN0T_BVWcOHiYGaJk1yQwUa82YQgXRJHQ="


def _check_output(*args: str) -> str:
    """Runs `manage.py check`; returns the SystemCheckError's message ("" when it passes)."""
    from io import StringIO

    from django.core.management import call_command
    from django.core.management.base import SystemCheckError

    try:
        call_command("check", *args, stdout=StringIO(), stderr=StringIO())
    except SystemCheckError as exc:
        return str(exc)
    return ""


def test_good_keys_pass_the_start_up_check():
    from django.test import override_settings

    with override_settings(TIDSBRO_ENCRYPTION_KEYS=[Fernet.generate_key().decode(), GOOD_KEY]):
        assert _check_output() == ""


@pytest.mark.parametrize(
    ("keys", "expected"),
    [
        ([], "TIDSBRO_ENCRYPTION_KEYS is empty"),
        ([""], "TIDSBRO_ENCRYPTION_KEYS is empty"),
        ([GOOD_KEY, "not a key!"], "key 2 of 2 is not base64"),
        (["c2hvcnQ=", GOOD_KEY], "key 1 of 2 has the wrong length: it decodes to 5 bytes"),
        ([GOOD_KEY[:-1]], "key 1 of 1 is not base64"),  # cut short: the padding is missing
    ],
    ids=["empty-list", "empty-string", "not-base64", "wrong-length", "truncated"],
)
def test_bad_keys_stop_every_command_with_a_message_naming_the_problem(keys, expected):
    from django.test import override_settings

    with override_settings(TIDSBRO_ENCRYPTION_KEYS=keys):
        message = _check_output()

    assert "tidsbro.E001" in message
    assert expected in message


def test_bad_keys_fail_the_deploy_check_and_the_message_holds_no_key():
    from django.test import override_settings

    secretish = "c2VjcmV0LWJ1dC10b28tc2hvcnQ="  # base64, 21 bytes
    with override_settings(TIDSBRO_ENCRYPTION_KEYS=[GOOD_KEY, secretish]):
        message = _check_output("--deploy")

    assert "key 2 of 2 has the wrong length" in message
    assert secretish not in message and GOOD_KEY not in message


def test_a_bad_key_refuses_to_store_secrets_with_the_same_message(settings):
    from django.core.exceptions import ImproperlyConfigured

    settings.TIDSBRO_ENCRYPTION_KEYS = [GOOD_KEY, "!!"]

    with pytest.raises(ImproperlyConfigured, match="key 2 of 2 is not base64"):
        crypto.encrypt("hunter2", purpose="p")
