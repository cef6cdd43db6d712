"""The top navigation: one entry per app, some only for holders of an org-wide role; the most specific match is active."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


@dataclass(frozen=True)
class NavEntry:
    key: str
    label: str
    url_name: str
    # Shown only to holders of one of these org-wide roles (empty: everyone).
    roles: frozenset[str] = frozenset()


NAV_ENTRIES = (
    NavEntry("portfolio", _("Portfolio"), "campaigns:portfolio", frozenset({"executive", "admin"})),
    NavEntry("campaigns", _("Campaigns"), "campaigns:list"),
    NavEntry("budgets", _("Budgets"), "budgets:list"),
    NavEntry("risks", _("Risks"), "risks:list"),
    NavEntry("members", pgettext_lazy("customer membership programme", "Members"), "members:list"),
    NavEntry("reviews", _("Reviews"), "reviews:list"),
    NavEntry("teams", _("Teams"), "teams:list"),
)


def nav_items(current_path: str, roles: frozenset[str] = frozenset()) -> list[dict[str, object]]:
    items = []
    for entry in NAV_ENTRIES:
        if entry.roles and not entry.roles & roles:
            continue
        url = reverse(entry.url_name)
        items.append(
            {
                "key": entry.key,
                "label": entry.label,
                "url": url,
                "active": current_path.startswith(url),
            }
        )
    # Only the most specific match is active (/campaigns/portfolio/ is not also "Campaigns").
    active = [item for item in items if item["active"]]
    if len(active) > 1:
        longest = max(len(str(other["url"])) for other in active)
        for item in active:
            item["active"] = len(str(item["url"])) == longest
    return items
