from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import migrations

DEFAULTS = [
    ("basic", "基礎會員 Basic", 1, Decimal("0.00")),
    ("mid_high", "中高端會員 Mid-high", 2, Decimal("200.00")),
    ("top", "頭部會員 Top", 3, Decimal("1000.00")),
]


def create(apps, schema_editor):
    RuleSet = apps.get_model("members", "TierRuleSet")
    Tier = apps.get_model("members", "Tier")
    if RuleSet.objects.exists():
        return
    rules = RuleSet.objects.create(effective_from=dt.date(2000, 1, 1), note="SPEC 6 defaults")
    for code, name, rank, fee in DEFAULTS:
        Tier.objects.create(rule_set=rules, code=code, name=name, rank=rank, min_annual_fee=fee)


class Migration(migrations.Migration):
    dependencies = [("members", "0001_initial")]
    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
