"""A generic connection (credentials/state/settings documents) and opaque sync cursors: the new
columns, next to the old ones until 0003 has copied the values."""

import django.db.models
from django.db import migrations, models

import apps.core.fields
import apps.integrations.models


class Migration(migrations.Migration):
    dependencies = [
        ("integrations", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="connection",
            name="display_name",
            field=models.CharField(
                blank=True,
                help_text="Empty: the system's own name.",
                max_length=100,
                verbose_name="name",
            ),
        ),
        migrations.AddField(
            model_name="connection",
            name="credentials",
            field=apps.core.fields.EncryptedTextField(
                blank=True, default="", editable=False, verbose_name="credentials"
            ),
        ),
        migrations.AddField(
            model_name="connection",
            name="state",
            field=apps.core.fields.EncryptedTextField(
                blank=True, default="", editable=False, verbose_name="session state"
            ),
        ),
        migrations.AddField(
            model_name="connection",
            name="settings",
            field=models.JSONField(blank=True, default=dict, verbose_name="settings"),
        ),
        migrations.AlterField(
            model_name="connection",
            name="system",
            field=models.CharField(
                choices=apps.integrations.models.system_choices,
                max_length=20,
                verbose_name="system",
            ),
        ),
        migrations.AddField(
            model_name="watermark",
            name="cursor",
            field=models.TextField(
                blank=True,
                help_text="Where the next sync starts. Empty: everything (full sync).",
                verbose_name="sync position",
            ),
        ),
    ]
