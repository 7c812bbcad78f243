"""The settings the product depends on: time zone, languages, the database and the queue."""

import copy

import pytest
from django.conf import settings
from django.db import connection, connections
from django.utils import timezone


def test_office_time_zone_is_oslo_and_times_are_stored_aware():
    assert settings.TIME_ZONE == "Europe/Oslo"
    assert settings.USE_TZ is True
    assert timezone.is_aware(timezone.now())


def test_the_four_languages_are_shipped():
    assert [code for code, _name in settings.LANGUAGES] == ["en", "nb", "sv", "da"]
    assert settings.USE_I18N is True
    assert "django.middleware.locale.LocaleMiddleware" in settings.MIDDLEWARE


def test_users_log_in_with_their_email():
    assert settings.AUTH_USER_MODEL == "accounts.User"
    assert settings.LOGIN_REDIRECT_URL == "admin:index"


@pytest.mark.django_db
def test_database_is_configured_for_the_active_vendor(tmp_path):
    if connection.vendor == "sqlite":
        options = connection.settings_dict["OPTIONS"]
        assert "journal_mode=WAL" in options["init_command"]
        assert options["transaction_mode"] == "IMMEDIATE"
        assert options["timeout"] >= 5
        # The test database lives in memory, where SQLite has no WAL; open a file database
        # with exactly the configured options to see the journal mode they produce.
        probe_settings = copy.deepcopy(connection.settings_dict)
        probe_settings["NAME"] = str(tmp_path / "probe.sqlite3")
        probe = type(connections["default"])(probe_settings, alias="wal_probe")
        try:
            with probe.cursor() as cursor:
                cursor.execute("PRAGMA journal_mode")
                assert cursor.fetchone()[0] == "wal"
                cursor.execute("PRAGMA synchronous")
                assert cursor.fetchone()[0] == 1  # NORMAL
        finally:
            probe.close()
    else:
        assert connection.vendor == "postgresql"
        assert settings.DATABASES["default"]["ATOMIC_REQUESTS"] is False
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_encoding")
            assert cursor.fetchone()[0] == "UTF8"


def test_background_jobs_are_killed_before_they_are_handed_out_again():
    q = settings.Q_CLUSTER
    assert q["timeout"] < q["retry"]
    assert q["ack_failures"] is True
    assert q["catch_up"] is False
    assert q["max_attempts"] >= 1


def test_background_jobs_run_synchronously_in_tests():
    assert settings.Q_CLUSTER["sync"] is True


def test_background_jobs_use_the_database_or_redis_as_broker():
    q = settings.Q_CLUSTER
    assert ("orm" in q) != ("redis" in q)
    if "orm" in q:
        assert q["orm"] == "default"


def test_tests_hash_passwords_fast_and_keep_mail_in_memory():
    assert settings.PASSWORD_HASHERS == ["django.contrib.auth.hashers.MD5PasswordHasher"]
    assert settings.EMAIL_BACKEND == "django.core.mail.backends.locmem.EmailBackend"


def test_password_validators_apply():
    names = {v["NAME"].rsplit(".", 1)[1] for v in settings.AUTH_PASSWORD_VALIDATORS}
    assert {"MinimumLengthValidator", "CommonPasswordValidator"} <= names
