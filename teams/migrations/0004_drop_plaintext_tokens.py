"""SPEC 10.1: API tokens are stored hashed (django-rest-knox). The old DRF authtoken table held them in plain
text; it is dropped, so those tokens stop working and clients ask for a new one at auth/token/."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("teams", "0003_department_head"), ("knox", "0009_extend_authtoken_field")]

    operations = [migrations.RunSQL("DROP TABLE IF EXISTS authtoken_token", reverse_sql=migrations.RunSQL.noop)]
