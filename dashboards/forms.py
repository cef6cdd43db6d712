"""The portfolio's filter form."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from campaigns.models import CampaignStatus, Health
from teams.models import Team


class PortfolioFilterForm(forms.Form):
    """The portfolio's filters and sort (GET). Values that do not parse are ignored."""

    SORT_CHOICES = [
        ("code", _("Code")),
        ("name", _("Name")),
        ("end", _("End date")),
        ("health", _("Health (worst first)")),
        ("red", _("Red alerts (most first)")),
        ("yellow", _("Yellow alerts (most first)")),
        ("approved", _("Approved budget (largest first)")),
        ("spent", _("Spent (most first)")),
    ]

    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("Any status")), *CampaignStatus.choices]
    )
    team = forms.ModelChoiceField(
        label=_("Team"), required=False, queryset=Team.objects.none(), empty_label=_("Any team")
    )
    health = forms.ChoiceField(label=_("Health"), required=False, choices=[("", _("Any health")), *Health.choices])
    sort = forms.ChoiceField(label=_("Sort by"), required=False, choices=SORT_CHOICES)

    def __init__(self, *args: Any, teams: QuerySet[Team], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = teams

    def filters(self) -> dict[str, Any]:
        """The valid, non-empty filters (status, team id, health) for dashboards.portfolio."""
        if not self.is_bound:
            return {}
        self.is_valid()
        data = {
            key: value
            for key, value in self.cleaned_data.items()
            if key in ("status", "team", "health") and value not in (None, "")
        }
        if "team" in data:
            data["team"] = data["team"].pk
        return data

    def sort_key(self) -> str:
        if not self.is_bound:
            return "code"
        self.is_valid()
        return self.cleaned_data.get("sort") or "code"
