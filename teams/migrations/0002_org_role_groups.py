from __future__ import annotations

from django.db import migrations

ORG_ROLES = ["admin", "executive", "finance_approver", "marketing_approver", "tech_approver"]


def create_groups(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    for name in ORG_ROLES:
        Group.objects.get_or_create(name=name)


class Migration(migrations.Migration):
    dependencies = [("teams", "0001_initial"), ("auth", "0012_alter_user_first_name_max_length")]
    operations = [migrations.RunPython(create_groups, migrations.RunPython.noop)]
