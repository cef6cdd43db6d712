"""A trigram index on review series titles for the search box (issue 16; core.trigram, PostgreSQL only)."""

from django.db import migrations

from core.trigram import trigram_index


class Migration(migrations.Migration):
    dependencies = [("reviews", "0005_date_bounds")]

    operations = [trigram_index("reviews_reviewseries", "title")]
