"""Withdrawn consent becomes sticky (members.rights): ``consent_withdrawn_at``, filled for members whose last
consent action in the audit ledger was a withdrawal or an erasure and who have no consent now."""

from django.db import migrations, models


def from_the_ledger(apps, schema_editor):
    AuditEntry = apps.get_model("core", "AuditEntry")
    Member = apps.get_model("members", "Member")
    last: dict[str, tuple] = {}
    entries = AuditEntry.objects.filter(
        object_type="members.member",
        action__in=["members.consent_withdrawn", "members.consent_restored", "members.erased"],
    ).order_by("seq")
    for object_id, action, when in entries.values_list("object_id", "action", "created_at").iterator():
        last[object_id] = (action, when)
    for object_id, (action, when) in last.items():
        if action != "members.consent_restored" and object_id.isdigit():
            Member.objects.filter(pk=int(object_id), consent=False).update(consent_withdrawn_at=when)


class Migration(migrations.Migration):
    dependencies = [
        ("members", "0012_points_balance"),
        ("core", "0013_notification_email_pending"),
    ]

    operations = [
        migrations.AddField(
            model_name="member",
            name="consent_withdrawn_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="consent withdrawn at"),
        ),
        migrations.RunPython(from_the_ledger, migrations.RunPython.noop),
    ]
