"""The table of the shared cache (rate limits, login pauses, token revocations).

Made by a migration rather than a separate ``createcachetable`` step: every place that prepares a
database (``make serve``, the tests, a deployment) already runs ``migrate``, so no server can start
with counters it cannot store. Made whatever CACHES says, so switching from Redis to the database
cache later needs no extra step."""

from __future__ import annotations

from typing import Any

from django.core.management.commands.createcachetable import Command as CreateCacheTable
from django.db import migrations

TABLE = "waarborg_cache"


def create(apps: Any, schema_editor: Any) -> None:
    command = CreateCacheTable()
    command.verbosity = 0
    command.create_table(schema_editor.connection.alias, TABLE, dry_run=False)


def drop(apps: Any, schema_editor: Any) -> None:
    schema_editor.execute(f"DROP TABLE IF EXISTS {schema_editor.quote_name(TABLE)}")


class Migration(migrations.Migration):
    dependencies: list[tuple[str, str]] = []
    operations = [migrations.RunPython(create, drop)]
