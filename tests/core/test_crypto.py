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
