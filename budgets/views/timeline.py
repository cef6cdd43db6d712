"""A budget's timeline: every audit-ledger entry for it, oldest first, told in words."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.dateparse import parse_date
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.formatting import cny_text
from core.models import AuditEntry

from ..models import Budget, BudgetLine, Decision, SignoffRole

ACTION_LABELS = {
    "budget.created": gettext_lazy("Created"),
    "budget.updated": gettext_lazy("Edited"),
    "budget.submitted": gettext_lazy("Submitted for sign-off"),
    "budget.withdrawn": gettext_lazy("Withdrawn to draft"),
    "budget.revised": gettext_lazy("Revised into a new version"),
    "budget.signed": gettext_lazy("Signed"),
    "budget.approved": gettext_lazy("Approved"),
    "budget.rejected": gettext_lazy("Rejected"),
    "budget.superseded": gettext_lazy("Superseded"),
    "budget.expense": gettext_lazy("Expense recorded"),
}
# How each step is marked on the timeline (Bootstrap colour names).
ACTION_TONES = {
    "budget.submitted": "primary",
    "budget.approved": "success",
    "budget.rejected": "danger",
    "budget.superseded": "secondary",
    "budget.withdrawn": "warning",
}


def _money(value: Any) -> Decimal | None:
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError, TypeError):
        return None


def _pct(value: Any) -> str:
    """10.00 → 10, 12.50 → 12.5."""
    number = _money(value)
    if number is None:
        return "—"
    text = f"{number:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _lines_figure(snapshot: dict[str, Any]) -> tuple[int, Decimal]:
    lines = snapshot.get("lines") or []
    return len(lines), sum((_money(line.get("amount")) or Decimal(0) for line in lines), Decimal(0))


def _snapshot_summary(snapshot: dict[str, Any]) -> str:
    count, total = _lines_figure(snapshot)
    return _("%(count)d lines totalling %(sum)s under a cap of %(cap)s; reserve %(pct)s %%.") % {
        "count": count,
        "sum": cny_text(total),
        "cap": cny_text(_money(snapshot.get("total")) or Decimal(0)),
        "pct": _pct(snapshot.get("reserve_pct")),
    }


def _update_summary(before: dict[str, Any], after: dict[str, Any]) -> str:
    parts = []
    if before.get("total") != after.get("total"):
        parts.append(
            _("cap %(old)s → %(new)s")
            % {"old": cny_text(_money(before.get("total")) or 0), "new": cny_text(_money(after.get("total")) or 0)}
        )
    if before.get("reserve_pct") != after.get("reserve_pct"):
        parts.append(
            _("reserve %(old)s %% → %(new)s %%")
            % {"old": _pct(before.get("reserve_pct")), "new": _pct(after.get("reserve_pct"))}
        )
    old_count, old_sum = _lines_figure(before)
    new_count, new_sum = _lines_figure(after)
    if (old_count, old_sum) != (new_count, new_sum):
        parts.append(
            _("lines %(old_n)d (%(old)s) → %(new_n)d (%(new)s)")
            % {"old_n": old_count, "old": cny_text(old_sum), "new_n": new_count, "new": cny_text(new_sum)}
        )
    elif before.get("lines") != after.get("lines"):
        parts.append(_("line details changed, same total"))
    if not parts:
        return _("Saved without changing the figures.")
    text = "; ".join(parts)
    return text[:1].upper() + text[1:] + "."


def _signed_summary(after: dict[str, Any]) -> str:
    role = after.get("role", "")
    role_label = SignoffRole(role).label if role in SignoffRole.values else role
    if after.get("decision") == Decision.REJECT:
        text = _("%(role)s: rejected.") % {"role": role_label}
    else:
        text = _("%(role)s: approved.") % {"role": role_label}
    checklist = after.get("checklist") or {}
    if checklist:
        text += " " + _("Checklist: %(ok)d of %(all)d ticked.") % {
            "ok": sum(1 for ok in checklist.values() if ok),
            "all": len(checklist),
        }
    if after.get("comment"):
        text += " " + _("“%(comment)s”") % {"comment": after["comment"]}
    return text


def describe(entry: AuditEntry, line_labels: dict[int, str]) -> str:
    before, after = entry.before or {}, entry.after or {}
    action = entry.action
    if action == "budget.created":
        return _snapshot_summary(after)
    if action == "budget.updated":
        return _update_summary(before, after)
    if action == "budget.submitted":
        return _("For sign-off by finance, marketing and tech: %(summary)s") % {"summary": _snapshot_summary(after)}
    if action == "budget.withdrawn":
        return _("Taken back to draft before anyone signed.")
    if action == "budget.revised":
        return _("A new draft copied from version %(version)s: %(summary)s") % {
            "version": before.get("from_version", "?"),
            "summary": _snapshot_summary(after),
        }
    if action == "budget.signed":
        return _signed_summary(after)
    if action == "budget.approved":
        return _("Finance, marketing and tech have all approved; the budget is locked.")
    if action == "budget.rejected":
        return _("Rejected; revise it to start a new round of sign-off.")
    if action == "budget.superseded":
        return _("Replaced by approved version %(version)s.") % {"version": after.get("by_version", "?")}
    if action == "budget.expense":
        day = parse_date(str(after.get("date") or ""))
        return _("%(amount)s on %(line)s, dated %(date)s.") % {
            "amount": cny_text(_money(after.get("amount")) or Decimal(0)),
            "line": line_labels.get(after.get("line"), _("a line")),
            "date": date_format(day, "SHORT_DATE_FORMAT") if day else after.get("date", "—"),
        }
    status_before, status_after = before.get("status"), after.get("status")
    if status_before or status_after:
        return f"{status_before or '—'} → {status_after or '—'}"
    return ""


def budget_timeline(budget: Budget, lines: list[BudgetLine]) -> list[dict[str, Any]]:
    """Every ledger entry for the budget, oldest first (one query)."""
    entries = (
        AuditEntry.objects.filter(object_type=budget._meta.label_lower, object_id=str(budget.pk))
        .select_related("actor")
        .order_by("seq")
    )
    line_labels = {line.pk: str(line.get_category_display()) for line in lines}
    return [
        {
            "entry": entry,
            "actor": entry.actor or entry.actor_username or _("system"),
            "label": ACTION_LABELS.get(entry.action, entry.action),
            "tone": ACTION_TONES.get(entry.action, "secondary"),
            "summary": describe(entry, line_labels),
        }
        for entry in entries
    ]
