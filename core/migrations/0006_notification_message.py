"""SPEC 10.4: a notification stores its message and parameters; its text is written when read.

The rows written before keep their text (``written_text``). Those whose text matches a declared message in
English or Chinese get that message's key and the parameters read back from the text (dates become dates again,
so they follow the reader's language too); the rest keep showing the text as written.
"""

from django.db import migrations, models


def read_back(apps, schema_editor):
    from core.messages import autodiscover, parse

    autodiscover()
    Notification = apps.get_model("core", "Notification")
    batch = []
    for row in Notification.objects.filter(message="").only("pk", "verb", "written_text").iterator(chunk_size=2000):
        found = parse(row.verb, row.written_text)
        if found is None:
            continue
        row.message, row.params = found
        batch.append(row)
        if len(batch) >= 2000:
            Notification.objects.bulk_update(batch, ["message", "params"])
            batch = []
    if batch:
        Notification.objects.bulk_update(batch, ["message", "params"])


class Migration(migrations.Migration):
    dependencies = [("core", "0005_notification_resolved")]

    operations = [
        migrations.RenameField("notification", "text", "written_text"),
        migrations.AlterField(
            model_name="notification", name="written_text", field=models.TextField(verbose_name="text as written")
        ),
        migrations.AddField(
            model_name="notification",
            name="message",
            field=models.CharField(blank=True, max_length=80, verbose_name="message"),
        ),
        migrations.AddField(
            model_name="notification",
            name="params",
            field=models.JSONField(blank=True, default=dict, verbose_name="parameters"),
        ),
        migrations.RunPython(read_back, migrations.RunPython.noop),
    ]
