"""A trigram index on risk titles for the search box (issue 16; core.trigram, PostgreSQL only)."""

from django.db import migrations

from core.trigram import trigram_index


class Migration(migrations.Migration):
    dependencies = [("risks", "0003_date_bounds")]

    operations = [trigram_index("risks_risk", "title")]
