"""Fill the new ``scope`` of ledger entries written before it existed (issue 16 activity pages): one set-based
UPDATE per kind of row — campaigns name themselves, their parts name their campaign (risks: risks 0005). Entries about rows
deleted since stay unscoped: the ledger keeps them, the activity pages cannot place them."""

from django.db import migrations

PARTS = {
    "campaigns.phase": "campaigns_phase",
    "campaigns.milestone": "campaigns_milestone",
    "campaigns.task": "campaigns_task",
    "campaigns.kpi": "campaigns_kpi",
    "campaigns.channel": "campaigns_channel",
}


def backfill(apps, schema_editor) -> None:
    connection = schema_editor.connection
    concat = "||" if connection.vendor in ("postgresql", "sqlite") else None
    if concat is None:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE core_auditentry SET scope = 'campaign:' || object_id "
            "WHERE object_type = 'campaigns.campaign' AND scope = ''"
        )
        for label, table in PARTS.items():
            cursor.execute(
                f"UPDATE core_auditentry SET scope = 'campaign:' || ("  # noqa: S608 - constant table names
                f"SELECT CAST(t.campaign_id AS TEXT) FROM {table} t WHERE CAST(t.id AS TEXT) = core_auditentry.object_id) "
                f"WHERE object_type = %s AND scope = '' AND EXISTS ("
                f"SELECT 1 FROM {table} t WHERE CAST(t.id AS TEXT) = core_auditentry.object_id)",
                [label],
            )


class Migration(migrations.Migration):
    dependencies = [
        ("campaigns", "0009_attachments"),
        ("core", "0011_audit_scope"),
        ("risks", "0004_search_trigram_index"),
    ]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
