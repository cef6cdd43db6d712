"""Imports people can fix (SPEC 10.6): dry runs, one error per bad field, the refused rows' original cells and
the upload's header (for the fixable error report)."""

import django.db.models.deletion
from django.db import migrations, models


def count_bad_fields(apps, schema_editor):
    """Earlier jobs named one bad field per refused row."""
    apps.get_model("members", "ImportJob").objects.update(bad_fields=models.F("error_count"))


class Migration(migrations.Migration):
    dependencies = [
        ("members", "0009_privacy"),
    ]

    operations = [
        migrations.AddField(
            model_name="importjob",
            name="dry_run",
            field=models.BooleanField(default=False),
        ),
        migrations.AddField(
            model_name="importjob",
            name="header",
            field=models.JSONField(blank=True, default=list),
        ),
        migrations.AddField(
            model_name="importjob",
            name="bad_fields",
            field=models.BigIntegerField(default=0),
        ),
        migrations.AddField(
            model_name="importrowerror",
            name="field",
            field=models.CharField(blank=True, max_length=40),
        ),
        migrations.RemoveConstraint(
            model_name="importrowerror",
            name="one_error_per_row",
        ),
        migrations.AddConstraint(
            model_name="importrowerror",
            constraint=models.UniqueConstraint(fields=("job", "row", "field"), name="one_error_per_row_field"),
        ),
        # Jobs from before: one error per refused row, so as many bad fields as refused rows.
        migrations.RunPython(count_bad_fields, migrations.RunPython.noop),
        migrations.CreateModel(
            name="ImportBadRow",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("row", models.BigIntegerField()),
                ("values", models.JSONField(default=list)),
                (
                    "job",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="bad_rows", to="members.importjob"
                    ),
                ),
            ],
            options={
                "ordering": ["job", "row"],
                "constraints": [models.UniqueConstraint(fields=("job", "row"), name="one_bad_row_per_row")],
            },
        ),
    ]
