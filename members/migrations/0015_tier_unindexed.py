"""The members' tier leaves every index (members.models.Member): a new rule set changes the tier of tens of
thousands of members at once, and each is then rewritten in place — a heap-only (HOT) update — instead of adding
an entry to each of the member table's indexes. On PostgreSQL the table keeps a tenth of each page free for those
new row versions (new pages only: existing ones fill up as rows are updated and vacuumed)."""

from django.db import migrations, models


def room_for_updates(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE members_member SET (fillfactor = 90)")


def no_room(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE members_member RESET (fillfactor)")


class Migration(migrations.Migration):

    dependencies = [
        ('campaigns', '0011_comment_newest_index'),
        ('members', '0014_fewer_indexes'),
    ]

    operations = [
        migrations.AddIndex(
            model_name='member',
            index=models.Index(fields=['source_campaign'], name='member_source_campaign'),
        ),
        migrations.RemoveIndex(
            model_name='member',
            name='members_mem_source__227f40_idx',
        ),
        migrations.RunPython(room_for_updates, no_room),
    ]
