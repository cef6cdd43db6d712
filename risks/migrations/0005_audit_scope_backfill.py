"""Fill the ledger's new ``scope`` for entries about risks written before it existed (issue 16 activity pages):
one set-based UPDATE; entries about deleted risks stay unscoped."""

from django.db import migrations


def backfill(apps, schema_editor) -> None:
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "UPDATE core_auditentry SET scope = 'campaign:' || ("
            "SELECT CAST(r.campaign_id AS TEXT) FROM risks_risk r WHERE CAST(r.id AS TEXT) = core_auditentry.object_id) "
            "WHERE object_type = 'risks.risk' AND scope = '' AND EXISTS ("
            "SELECT 1 FROM risks_risk r WHERE CAST(r.id AS TEXT) = core_auditentry.object_id)"
        )


class Migration(migrations.Migration):
    dependencies = [("risks", "0004_search_trigram_index"), ("core", "0011_audit_scope")]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
