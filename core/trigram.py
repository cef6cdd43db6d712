"""Trigram indexes for substring search on PostgreSQL (SPEC 10.3 search; issue 16).

``icontains`` becomes ``UPPER(col::text) LIKE UPPER('%q%')`` on PostgreSQL; a GIN index on ``UPPER(col)`` with
``gin_trgm_ops`` (the pg_trgm extension) serves it, Chinese included. SQLite has neither, so the operation does
nothing there. Used by migrations: ``trigram_index("campaigns_task", "title")``.
"""

from __future__ import annotations

from django.db import migrations


def trigram_index(table: str, column: str) -> migrations.RunPython:
    """A migration step creating (and on reverse dropping) ``<table>_<column>_trgm`` on PostgreSQL only."""
    name = f"{table}_{column}_trgm"

    def forward(apps, schema_editor) -> None:
        if schema_editor.connection.vendor != "postgresql":
            return
        schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        schema_editor.execute(
            f'CREATE INDEX IF NOT EXISTS "{name}" ON "{table}" USING gin ((UPPER("{column}"::text)) gin_trgm_ops)'
        )

    def backward(apps, schema_editor) -> None:
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(f'DROP INDEX IF EXISTS "{name}"')

    return migrations.RunPython(forward, backward, elidable=False)
