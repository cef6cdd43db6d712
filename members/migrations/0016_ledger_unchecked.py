"""The points ledger's benefit and recorder lose their database foreign keys (members.models.PointsEntry): on the
day points lapse the expiry inserts a row per member, and each row's two checks — queued even for empty values —
cost 0.7 s per 1,000,000 rows at commit. SQLite remakes the table to alter a column, and the ledger's append-only
trigger (0011) goes with it: it is put back after."""

import importlib

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def restore_guard(apps, schema_editor):
    """As in 0012: SQLite's remade table is without the append-only trigger; put it back."""
    if schema_editor.connection.vendor == "sqlite":
        guard = importlib.import_module("members.migrations.0011_points")
        guard.drop_guard(apps, schema_editor)
        guard.add_guard(apps, schema_editor)


class Migration(migrations.Migration):

    dependencies = [
        ('members', '0015_tier_unindexed'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunPython(migrations.RunPython.noop, restore_guard),
        migrations.AlterField(
            model_name='pointsentry',
            name='benefit',
            field=models.ForeignKey(blank=True, db_constraint=False, db_index=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='members.benefit', verbose_name='benefit'),
        ),
        migrations.AlterField(
            model_name='pointsentry',
            name='created_by',
            field=models.ForeignKey(blank=True, db_constraint=False, db_index=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='recorded by'),
        ),
        migrations.RunPython(restore_guard, migrations.RunPython.noop),
    ]
