from __future__ import annotations

from django.db import migrations


def schedule(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    every_minute, _ = IntervalSchedule.objects.get_or_create(every=1, period="minutes")
    PeriodicTask.objects.get_or_create(
        name="Restart member imports whose worker died (every minute)",
        defaults={"task": "members.import_watchdog", "interval": every_minute},
    )
    nightly, _ = CrontabSchedule.objects.get_or_create(
        minute="5", hour="0", day_of_week="*", day_of_month="*", month_of_year="*", timezone="Asia/Shanghai"
    )
    PeriodicTask.objects.get_or_create(
        name="Apply tier rule sets that take effect today (00:05)",
        defaults={"task": "members.recompute_tiers", "crontab": nightly},
    )


def unschedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(task__startswith="members.").delete()


class Migration(migrations.Migration):
    dependencies = [("members", "0002_default_tiers"), ("django_celery_beat", "0019_alter_periodictasks_options")]
    operations = [migrations.RunPython(schedule, unschedule)]
