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
from django.utils.translation import gettext as _

from core.errors import ApplicationError
from core.services.audit import audit_record

from .models import DEFAULT_THRESHOLDS, Member, Tier, TierChange, TierChangeCause, TierCode, TierRuleSet


def rule_set_in_effect(day: dt.date | None = None) -> TierRuleSet:
    day = day or timezone.localdate()
    rule_set = TierRuleSet.objects.filter(effective_from__lte=day).order_by("-effective_from", "-id").first()
    if rule_set is None:  # an empty database before the data migration's defaults, e.g. a flushed test DB
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


@transaction.atomic
def tier_rule_set_create(
    *, actor: Any, effective_from: dt.date, thresholds: dict[str, Any], names: dict[str, str] | None = None,
    note: str = "", recompute: bool = True,
) -> TierRuleSet:  # fmt: skip
    """A new version of the thresholds; basic stays at 0 and the tiers must rise with rank. If it is already
    in effect, every member is recomputed now (cause: rule change); a future one is applied by the daily job."""
    fees: dict[str, Decimal] = {}
    errors: dict[str, str] = {}
    for code in TierCode.values:
        try:
            fees[code] = Decimal(str(thresholds[code])).quantize(Decimal("0.01"))
        except Exception:
            errors[code] = _("Give the minimum annual fee in CNY.")
    if not errors:
        if fees[TierCode.BASIC] != 0:
            errors[TierCode.BASIC] = _("The basic tier starts at 0.")
        if not fees[TierCode.BASIC] < fees[TierCode.MID_HIGH] < fees[TierCode.TOP]:
            errors[TierCode.TOP] = _("Thresholds must rise: basic < mid-high < top.")
    if errors:
        raise ApplicationError(errors=errors)
    previous = TierRuleSet.objects.order_by("-effective_from", "-id").prefetch_related("tiers").first()
    old_names = {t.code: (t.name, t.benefits) for t in previous.tiers.all()} if previous else {}
    rule_set = TierRuleSet.objects.create(effective_from=effective_from, note=note, created_by=actor)
    Tier.objects.bulk_create(
        Tier(rule_set=rule_set, code=code, rank=rank, min_annual_fee=fees[code],
             name=(names or {}).get(code) or old_names.get(code, (TierCode(code).label, ""))[0],
             benefits=old_names.get(code, ("", ""))[1])
        for rank, code in enumerate(TierCode.values, start=1)
    )  # fmt: skip
    if actor is not None:
        audit_record(actor=actor, action="members.tier_rules_changed", obj=rule_set,
                     after={"effective_from": effective_from, "thresholds": fees})  # fmt: skip
    if recompute and effective_from <= timezone.localdate():
        recompute_member_tiers(rule_set=rule_set, actor=actor)
    return rule_set


def current_tiers() -> list[Tier]:
    return list(rule_set_in_effect().tiers.order_by("rank"))
