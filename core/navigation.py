"""The top navigation. An entry whose page does not exist yet is shown disabled, not as a dead link."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


@dataclass(frozen=True)
class NavEntry:
    key: str
    label: str
    url_name: str


NAV_ENTRIES = (
    NavEntry("campaigns", _("Campaigns"), "campaigns:list"),
    NavEntry("budgets", _("Budgets"), "budgets:list"),
    NavEntry("risks", _("Risks"), "risks:list"),
    NavEntry("members", pgettext_lazy("customer membership programme", "Members"), "members:list"),
    NavEntry("reviews", _("Reviews"), "reviews:list"),
    NavEntry("teams", _("Teams"), "teams:list"),
)


def nav_items(current_path: str) -> list[dict[str, object]]:
    items = []
    for entry in NAV_ENTRIES:
        try:
            url = reverse(entry.url_name)
        except NoReverseMatch:
            url = None
        items.append(
            {
                "key": entry.key,
                "label": entry.label,
                "url": url,
                "active": bool(url) and current_path.startswith(url),
            }
        )
    return items
