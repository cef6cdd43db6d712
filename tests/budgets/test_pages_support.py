"""Helpers shared by the budget page tests (no tests of its own)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from budgets.services import budget_create, budget_submit, signoff_record
from campaigns.services import campaign_create
from tests.budgets.conftest import DEMO_LINES

ALL_TICKED = {
    "finance": ["within_cap", "reserve_sufficient", "categories_compliant"],
    "marketing": ["serves_objective", "channel_mix_reasonable", "benefits_reasonable"],
    "tech": ["scope_feasible", "capacity_available", "timeline_feasible"],
}


def html(response) -> str:
    return response.content.decode()


def flashes(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


def editor_data(
    lines: list[dict[str, Any]], *, total: str = "30000000.00", reserve_pct: str = "10", note: str = "", **extra: Any
) -> dict[str, Any]:
    """The editor's POST: the budget's fields and the line formset (``lines-N-…``)."""
    data: dict[str, Any] = {
        "total": total,
        "reserve_pct": reserve_pct,
        "note": note,
        "lines-TOTAL_FORMS": str(len(lines)),
        "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "100",
    }
    for index, line in enumerate(lines):
        for name in ("category", "kind", "amount", "channel", "note", "DELETE"):
            if name in line:
                data[f"lines-{index}-{name}"] = line[name]
        data.setdefault(f"lines-{index}-kind", "rigid")
    data.update(extra)
    return data


def sign_data(role: str, decision: str = "approve", *, comment: str = "", ticked=None, next: str = "queue"):
    return {
        "role": role,
        "decision": decision,
        "comment": comment,
        "checklist": ALL_TICKED[role] if ticked is None else ticked,
        "next": next,
    }


def approve_all(budget, signers) -> None:
    for user, role in ((signers.finance, "finance"), (signers.marketing, "marketing"), (signers.tech, "tech")):
        signoff_record(budget=budget, signer=user, role=role, decision="approve", checklist=None)


def make_campaign(cast, code: str):
    return campaign_create(
        actor=cast.lead,
        team=cast.team,
        code=code,
        name=f"Campaign {code}",
        start_date=dt.date(2027, 2, 10),
        end_date=dt.date(2027, 3, 15),
    )


def make_budgets(cast, count: int, *, prefix: str, submit: bool = False) -> list:
    budgets = []
    for n in range(count):
        budget = budget_create(
            actor=cast.lead, campaign=make_campaign(cast, f"{prefix}-{n}"), total="30000000.00", lines=DEMO_LINES
        )
        if submit:
            budget = budget_submit(budget=budget, actor=cast.lead)
        budgets.append(budget)
    return budgets


def field_error(page: str, field_id: str) -> str:
    match = re.search(rf'id="{re.escape(field_id)}-error">(.*?)</div>', page, re.S)
    return match.group(1).strip() if match else ""
