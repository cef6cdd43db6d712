"""Trigram indexes for the search box (issue 16): campaign names and codes, task titles, milestone names and
comment bodies, on PostgreSQL (core.trigram; nothing on SQLite)."""

from django.db import migrations

from core.trigram import trigram_index


class Migration(migrations.Migration):
    dependencies = [("campaigns", "0007_collaboration")]

    operations = [
        trigram_index("campaigns_campaign", "name"),
        trigram_index("campaigns_campaign", "code"),
        trigram_index("campaigns_task", "title"),
        trigram_index("campaigns_milestone", "name"),
        trigram_index("campaigns_taskcomment", "body"),
    ]
