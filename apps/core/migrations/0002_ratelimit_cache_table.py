"""The table of the shared rate-limit cache (settings.CACHES["ratelimit"] without Redis).

Made whatever the cache setting is today, so switching from Redis to the database later finds it.
"""

from django.core.management.commands.createcachetable import Command as CreateCacheTable
from django.db import migrations

TABLE = "tidsbro_ratelimit_cache"


def create(apps, schema_editor):
    command = CreateCacheTable()
    command.verbosity = 0
    command.create_table(schema_editor.connection.alias, TABLE, dry_run=False)


def drop(apps, schema_editor):
    schema_editor.execute(f"DROP TABLE IF EXISTS {schema_editor.quote_name(TABLE)}")


class Migration(migrations.Migration):
    dependencies = [("core", "0001_audit_log")]

    operations = [migrations.RunPython(create, drop)]
