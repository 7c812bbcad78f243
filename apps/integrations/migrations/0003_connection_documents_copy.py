"""Copies each 24SevenOffice connection's login into the new documents, and each watermark's
time into its cursor (ISO 8601), without loss; the way back restores the old columns."""

import json
from datetime import datetime

from django.db import migrations

# The old 24SO columns and the document each one lands in (0004 drops the columns).
CREDENTIALS = ("username", "password", "api_username", "api_password")
STATE = ("session_id",)
SETTINGS = ("identity_id", "client_name", "client_id", "integration_user_external_id")


def _doc(row, names):
    return {name: getattr(row, name) for name in names if getattr(row, name)}


def forward(apps, schema_editor):
    Connection = apps.get_model("integrations", "Connection")
    Watermark = apps.get_model("integrations", "Watermark")
    for row in Connection.objects.all():
        # Historical models keep the EncryptedTextField: reading decrypts, saving encrypts
        # with the new column's own purpose ("integrations.connection.credentials").
        credentials = _doc(row, CREDENTIALS)
        state = _doc(row, STATE)
        row.credentials = json.dumps(credentials, sort_keys=True) if credentials else ""
        row.state = json.dumps(state, sort_keys=True) if state else ""
        row.settings = {**(row.settings or {}), **_doc(row, SETTINGS)}
        row.save(update_fields=["credentials", "state", "settings"])
    for mark in Watermark.objects.exclude(value=None):
        mark.cursor = mark.value.isoformat()
        mark.save(update_fields=["cursor"])


def backward(apps, schema_editor):
    Connection = apps.get_model("integrations", "Connection")
    Watermark = apps.get_model("integrations", "Watermark")
    for row in Connection.objects.all():
        docs = {
            **(json.loads(row.credentials) if row.credentials else {}),
            **(json.loads(row.state) if row.state else {}),
            **(row.settings or {}),
        }
        for name in (*CREDENTIALS, *STATE, *SETTINGS):
            setattr(row, name, docs.get(name, ""))
        row.save(update_fields=[*CREDENTIALS, *STATE, *SETTINGS])
    for mark in Watermark.objects.exclude(cursor=""):
        try:
            mark.value = datetime.fromisoformat(mark.cursor)
        except ValueError:
            mark.value = None  # not a time (another connector's cursor): a full sync next
        mark.save(update_fields=["value"])


class Migration(migrations.Migration):
    dependencies = [
        ("integrations", "0002_connection_documents_and_cursor"),
    ]

    operations = [migrations.RunPython(forward, backward)]
