"""Tier assignment (SPEC 6, Contract): the tier with the highest minimum ≤ the member's annual fee,
under the rule set in effect. Recomputing every member is set-based: one INSERT … SELECT of the changes
(with their cause) and one UPDATE with a CASE, whatever the number of members."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.db.models import Case, CharField, Q, QuerySet, Value, When
from django.utils import timezone

from core.services.audit import audit_record

from .models import DEFAULT_THRESHOLDS, Member, Tier, TierChange, TierChangeCause, TierRuleSet


def rule_set_in_effect(day: dt.date | None = None) -> TierRuleSet:
    day = day or timezone.localdate()
    rule_set = TierRuleSet.objects.filter(effective_from__lte=day).order_by("-effective_from", "-id").first()
    if rule_set is None:  # an empty database before the data migration's defaults, e.g. a flushed test DB
        from .services import tier_rule_set_create  # the service recomputes tiers with this module

        rule_set = tier_rule_set_create(actor=None, effective_from=dt.date(2000, 1, 1), thresholds=DEFAULT_THRESHOLDS,
                                        recompute=False)  # fmt: skip
    return rule_set


def thresholds_of(rule_set: TierRuleSet) -> list[tuple[Decimal, str]]:
    """(minimum fee, tier code), highest first."""
    return sorted(((t.min_annual_fee, t.code) for t in rule_set.tiers.all()), reverse=True)


def tier_for(fee: Decimal, thresholds: list[tuple[Decimal, str]]) -> str:
    for minimum, code in thresholds:
        if fee >= minimum:
            return code
    return thresholds[-1][1]


def tier_expression(thresholds: list[tuple[Decimal, str]]) -> Case:
    *higher, (_lowest_fee, lowest) = thresholds
    return Case(
        *(When(annual_fee__gte=minimum, then=Value(code)) for minimum, code in higher),
        default=Value(lowest),
        output_field=CharField(max_length=10),
    )


def recompute_member_tiers(
    *, members: QuerySet[Member] | None = None, cause: str = TierChangeCause.RULE_CHANGE, rule_set: TierRuleSet | None = None,
    actor: Any = None, import_job_id: int | None = None,
) -> int:  # fmt: skip
    """Give every member (or ``members``) the tier of the rule set in effect; record each change. Returns changes."""
    rule_set = rule_set or rule_set_in_effect()
    expression = tier_expression(thresholds_of(rule_set))
    qs = (members if members is not None else Member.objects.all()).order_by()
    changing = qs.annotate(new_tier=expression).filter(~Q(tier=expression))
    select_sql, select_params = changing.values_list("pk", "tier", "new_tier").query.sql_with_params()
    table = TierChange._meta.db_table
    now = timezone.now()
    with transaction.atomic(), connection.cursor() as cursor:
        # Table and column names are fixed; values are parameters.
        cursor.execute(
            f"INSERT INTO {table} (member_id, from_tier, to_tier, cause, changed_at, rule_set_id, import_job_id) "  # noqa: S608
            f"SELECT sub.*, %s, %s, %s, %s FROM ({select_sql}) AS sub",
            [cause, now, rule_set.pk, import_job_id, *select_params],
        )
        changed = cursor.rowcount
        qs.filter(~Q(tier=expression)).update(tier=expression, updated_at=now)
        if cause == TierChangeCause.RULE_CHANGE:
            audit_record(actor=actor, action="members.tiers_recomputed", obj=rule_set, after={"changed": changed})
    return changed


def current_tiers() -> list[Tier]:
    return list(rule_set_in_effect().tiers.order_by("rank"))
