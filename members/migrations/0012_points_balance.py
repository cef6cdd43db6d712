"""Members' points balances move from the member row to a narrow table of their own (members.MemberPoints): the
daily expiry rewrites up to every balance at once, which on the wide, much-indexed member table was the slowest
part of it. Every member with a ledger gets a balance row, copied from the member; reversing copies them back."""

import importlib

import django.db.models.deletion
from django.db import migrations, models


def copy_balances(apps, schema_editor):
    """Every member with ledger entries gets a row with the balance held on the member (set-based)."""
    schema_editor.execute(
        "INSERT INTO members_memberpoints (member_id, balance) SELECT id, points FROM members_member "
        "WHERE id IN (SELECT member_id FROM members_pointsentry)"
    )
    if schema_editor.connection.vendor == "postgresql":
        # Room on each page for the new version of a row the expiry updates (a HOT update: no index entry).
        schema_editor.execute("ALTER TABLE members_memberpoints SET (fillfactor = 50)")


def restore_guard(apps, schema_editor):
    """SQLite alters a column by remaking the table, and the ledger's append-only trigger (0011) goes with it."""
    if schema_editor.connection.vendor == "sqlite":
        guard = importlib.import_module("members.migrations.0011_points")
        guard.drop_guard(apps, schema_editor)
        guard.add_guard(apps, schema_editor)


def copy_balances_back(apps, schema_editor):
    schema_editor.execute(
        "UPDATE members_member SET points = b.balance FROM members_memberpoints AS b "
        "WHERE b.member_id = members_member.id"
    )


class Migration(migrations.Migration):

    dependencies = [
        ('members', '0011_points'),
    ]

    operations = [
        migrations.CreateModel(
            name='MemberPoints',
            fields=[
                ('member', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, primary_key=True, related_name='points_balance', serialize=False, to='members.member', verbose_name='member')),
                ('balance', models.BigIntegerField(default=0, verbose_name='points')),
            ],
            options={
                'verbose_name': 'points balance',
                'verbose_name_plural': 'points balances',
            },
        ),
        migrations.RunPython(migrations.RunPython.noop, restore_guard),
        migrations.AlterField(
            model_name='pointsentry',
            name='member',
            field=models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='points_entries', to='members.member', verbose_name='member'),
        ),
        migrations.RunPython(restore_guard, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name='memberpoints',
            constraint=models.CheckConstraint(condition=models.Q(('balance__gte', 0)), name='points_balance_non_negative'),
        ),
        migrations.RunPython(copy_balances, copy_balances_back),
        migrations.RemoveConstraint(
            model_name='member',
            name='member_points_non_negative',
        ),
        migrations.RemoveField(
            model_name='member',
            name='points',
        ),
    ]
