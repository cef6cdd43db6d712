from __future__ import annotations

from django.db import migrations


def schedule(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    every, _ = IntervalSchedule.objects.get_or_create(every=2, period="minutes")
    PeriodicTask.objects.get_or_create(
        name="Send notification emails whose task was lost (every 2 minutes)",
        defaults={"task": "core.sweep_notification_emails", "interval": every},
    )


def unschedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(task="core.sweep_notification_emails").delete()


class Migration(migrations.Migration):
    dependencies = [("core", "0003_alter_notification_verb"), ("django_celery_beat", "0019_alter_periodictasks_options")]
    operations = [migrations.RunPython(schedule, unschedule)]
