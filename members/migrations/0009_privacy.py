"""PIPL rights and the phone lookup (SPEC 10.6): when a member was erased; indexes for exact phone lookups and
for the imports' question "which of these external ids were erased?"."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("members", "0007_member_newest_index"),
    ]

    operations = [
        migrations.AddField(
            model_name="member",
            name="erased_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="erased at"),
        ),
        migrations.AddIndex(
            model_name="member",
            index=models.Index(condition=models.Q(("phone", ""), _negated=True), fields=["phone"], name="member_phone"),
        ),
        migrations.AddIndex(
            model_name="member",
            index=models.Index(
                condition=models.Q(("erased_at__isnull", False)), fields=["external_id"], name="member_erased"
            ),
        ),
    ]
