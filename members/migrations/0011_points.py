"""Members' points (SPEC 10.6): the append-only ledger, the balance on the member (never below 0), a benefit's
price in points, and the daily expiry job (00:15 Shanghai time).

Append-only is also kept by the database: a trigger refuses any UPDATE of an entry's own columns (a deleted
user or benefit may still be set to NULL on it; a deleted member takes its entries along)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

LOCKED_COLUMNS = "member_id, delta, reason, note, created_at, expires_at"
MESSAGE = "points entries are never edited; record an adjustment instead"


def add_guard(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(
            "CREATE OR REPLACE FUNCTION members_points_entry_append_only() RETURNS trigger AS $$ "
            f"BEGIN RAISE EXCEPTION '{MESSAGE}'; END $$ LANGUAGE plpgsql"
        )
        schema_editor.execute(
            f"CREATE TRIGGER members_points_entry_no_update BEFORE UPDATE OF {LOCKED_COLUMNS} "
            "ON members_pointsentry FOR EACH ROW EXECUTE FUNCTION members_points_entry_append_only()"
        )
    elif vendor == "sqlite":
        schema_editor.execute(
            f"CREATE TRIGGER members_points_entry_no_update BEFORE UPDATE OF {LOCKED_COLUMNS} "
            f"ON members_pointsentry BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END"
        )


def drop_guard(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute("DROP TRIGGER IF EXISTS members_points_entry_no_update ON members_pointsentry")
        schema_editor.execute("DROP FUNCTION IF EXISTS members_points_entry_append_only()")
    elif vendor == "sqlite":
        schema_editor.execute("DROP TRIGGER IF EXISTS members_points_entry_no_update")


def schedule(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    nightly, _ = CrontabSchedule.objects.get_or_create(
        minute="15", hour="0", day_of_week="*", day_of_month="*", month_of_year="*", timezone="Asia/Shanghai"
    )
    PeriodicTask.objects.get_or_create(
        name="Expire members' lapsed points (00:15)",
        defaults={"task": "members.expire_points", "crontab": nightly},
    )


def unschedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(task="members.expire_points").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("members", "0010_import_fixable"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="member",
            name="points",
            field=models.BigIntegerField(db_default=0, default=0, verbose_name="points"),
        ),
        migrations.AddConstraint(
            model_name="member",
            constraint=models.CheckConstraint(
                condition=models.Q(("points__gte", 0)), name="member_points_non_negative"
            ),
        ),
        migrations.AddField(
            model_name="benefit",
            name="points_price",
            field=models.PositiveIntegerField(
                blank=True,
                help_text="Members of its tiers may redeem it for this many points. Leave empty if it is not for points.",
                null=True,
                verbose_name="price in points",
            ),
        ),
        migrations.CreateModel(
            name="PointsEntry",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("delta", models.IntegerField(verbose_name="points")),
                (
                    "reason",
                    models.CharField(
                        choices=[
                            ("earn", "Earned"),
                            ("redeem", "Redeemed"),
                            ("adjust", "Adjusted"),
                            ("expire", "Expired"),
                        ],
                        max_length=8,
                        verbose_name="reason",
                    ),
                ),
                ("note", models.CharField(blank=True, max_length=300, verbose_name="note")),
                ("created_at", models.DateTimeField(verbose_name="recorded at")),
                ("expires_at", models.DateField(blank=True, null=True, verbose_name="expires after")),
                (
                    "benefit",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        db_index=False,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to="members.benefit",
                        verbose_name="benefit",
                    ),
                ),
                (
                    "created_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        db_index=False,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="recorded by",
                    ),
                ),
                (
                    "member",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="points_entries",
                        to="members.member",
                        verbose_name="member",
                    ),
                ),
            ],
            options={
                "verbose_name": "points entry",
                "verbose_name_plural": "points entries",
                "ordering": ["-created_at", "-id"],
                "indexes": [models.Index(fields=["member", "-created_at", "-id"], name="points_entry_member_newest")],
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(("delta", 0), _negated=True), name="points_entry_not_zero"
                    ),
                    models.CheckConstraint(
                        condition=models.Q(("reason__in", ["earn", "redeem", "adjust", "expire"])),
                        name="points_entry_reason_valid",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(
                            ("reason", "adjust"),
                            models.Q(("delta__gt", 0), ("reason", "earn")),
                            models.Q(("delta__lt", 0), ("reason__in", ["redeem", "expire"])),
                            _connector="OR",
                        ),
                        name="points_entry_sign_matches_reason",
                    ),
                ],
            },
        ),
        migrations.RunPython(add_guard, drop_guard),
        migrations.RunPython(schedule, unschedule),
    ]
