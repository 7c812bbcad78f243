"""Drops the 24SevenOffice columns of a connection and the watermark's time (0003 copied them)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("integrations", "0003_connection_documents_copy"),
    ]

    operations = [
        # A default first, so that going back can re-add the column to existing rows.
        migrations.AlterField(
            model_name="connection",
            name="username",
            field=models.CharField(default="", max_length=255, verbose_name="username"),
        ),
        migrations.RemoveField(model_name="connection", name="username"),
        migrations.RemoveField(model_name="connection", name="password"),
        migrations.RemoveField(model_name="connection", name="api_username"),
        migrations.RemoveField(model_name="connection", name="api_password"),
        migrations.RemoveField(model_name="connection", name="session_id"),
        migrations.RemoveField(model_name="connection", name="identity_id"),
        migrations.RemoveField(model_name="connection", name="client_name"),
        migrations.RemoveField(model_name="connection", name="client_id"),
        migrations.RemoveField(model_name="connection", name="integration_user_external_id"),
        migrations.RemoveField(model_name="watermark", name="value"),
    ]
