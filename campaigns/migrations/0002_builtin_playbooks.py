from __future__ import annotations

from django.db import migrations


def sync(apps, schema_editor):
    from campaigns.playbooks import BUILTIN_PLAYBOOKS

    Playbook = apps.get_model("campaigns", "Playbook")
    for item in BUILTIN_PLAYBOOKS:
        Playbook.objects.update_or_create(
            code=item["code"],
            defaults={
                "name": item["name"],
                "description": item["description"],
                "definition": item["definition"],
                "builtin": True,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("campaigns", "0001_initial")]
    operations = [migrations.RunPython(sync, migrations.RunPython.noop)]
