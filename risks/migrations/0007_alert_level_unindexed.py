"""The risks' alert level leaves every index (risks.models.Risk.Meta): the daily alert refresh, which changes the
level of thousands of risks at once, then rewrites each in place — a heap-only (HOT) update — instead of adding an
entry to each index per risk. On PostgreSQL the table keeps a fifth of each page free for those new row versions
(new pages only: existing ones fill up as rows are updated and vacuumed). The alert events lose their database
foreign key (risks.models.AlertEvent), checked once per event at the refresh's commit."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def room_for_updates(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE risks_risk SET (fillfactor = 80)")


def no_room(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE risks_risk RESET (fillfactor)")


class Migration(migrations.Migration):

    dependencies = [
        ('budgets', '0003_date_bounds'),
        ('campaigns', '0011_comment_newest_index'),
        ('risks', '0006_fewer_indexes'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddIndex(
            model_name='risk',
            index=models.Index(fields=['campaign'], name='risk_campaign'),
        ),
        migrations.RemoveIndex(
            model_name='risk',
            name='risks_risk_campaig_bf9c8f_idx',
        ),
        migrations.RunPython(room_for_updates, no_room),
        migrations.AlterField(
            model_name='alertevent',
            name='risk',
            field=models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.CASCADE, related_name='alert_events', to='risks.risk', verbose_name='risk'),
        ),
    ]
