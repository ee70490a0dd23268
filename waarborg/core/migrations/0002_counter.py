"""The shared counters' table (waarborg/core/counters.py): rate limits and login pauses when the
database is the shared store. Plain SQL, as the module that uses it: no model reads it."""

from __future__ import annotations

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("core", "0001_cache_table")]
    operations = [
        migrations.RunSQL(
            "CREATE TABLE core_counter ("
            "key varchar(250) NOT NULL PRIMARY KEY, value bigint NOT NULL, "
            "expires double precision NOT NULL)",
            "DROP TABLE core_counter",
        ),
    ]
