"""Forms of the risk pages, and the register's filter rules (shared with the API and the exports).

Forms parse and shape input; the rules (owners from the team, ratings 1–5, linked task and budget line of the
same campaign, the alert level) are risks.services' to enforce. Choices of owners, tasks and budget lines are
passed in as plain lists loaded once per request.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from budgets.models import BudgetLine
from campaigns.models import Task
from core.api.fields import MAX_ID
from core.validators import BoundedDateField
from teams.models import User

from .models import AlertLevel, Band, Risk, RiskCategory, RiskStatus
from .ratings import IMPACT_LABELS, PROBABILITY_LABELS, RATINGS
from .selectors import LIVE

# The largest id the database holds; a bigger one would overflow the query instead of matching nothing.
# Spaces, thousands separators and a currency mark are what people paste from a spreadsheet: accept them.
_MONEY_NOISE = re.compile(r"[\s,_'’]|CNY|RMB|¥|￥", re.IGNORECASE)


class DateInput(forms.DateInput):
    """An HTML date picker; the value is always ISO, whatever the locale's display format."""

    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class MoneyField(forms.DecimalField):
    """An amount in CNY with two decimals; ``800,000`` and ``¥800 000.00`` are read as 800000.00."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_digits", 14)
        kwargs.setdefault("decimal_places", 2)
        super().__init__(**kwargs)
        self.widget = forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off", "spellcheck": "false"})

    def to_python(self, value: Any) -> Decimal | None:
        if isinstance(value, str):
            value = _MONEY_NOISE.sub("", value)
        return super().to_python(value)


def _rating_choices(labels: dict[int, Any], blank: Any) -> list[tuple[Any, Any]]:
    return [("", blank), *((n, labels[n]) for n in RATINGS)]


class RiskFilterForm(forms.Form):
    """The register's filters (GET). A value that does not parse is reported next to its field and ignored."""

    MINE = "mine"

    campaign = forms.IntegerField(
        label=_("Campaign"), required=False, min_value=1, max_value=MAX_ID, widget=forms.Select
    )
    alert_level = forms.ChoiceField(
        label=_("Alert"),
        required=False,
        choices=[
            ("", _("Any alert level")),
            (AlertLevel.RED, pgettext_lazy("alert level", "Red")),
            (AlertLevel.YELLOW, pgettext_lazy("alert level", "Yellow")),
            (AlertLevel.BLUE, pgettext_lazy("alert level", "Blue")),
            (AlertLevel.NONE, _("No alert")),
        ],
    )
    band = forms.ChoiceField(
        label=_("Severity"), required=False, choices=[("", _("Any severity")), *reversed(Band.choices)]
    )
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("Any status")), (LIVE, _("Live risks")), *RiskStatus.choices],
    )
    owner = forms.ChoiceField(label=_("Owner"), required=False)
    category = forms.ChoiceField(
        label=_("Category"), required=False, choices=[("", _("Any category")), *RiskCategory.choices]
    )
    probability = forms.TypedChoiceField(
        label=_("Probability"),
        required=False,
        coerce=int,
        empty_value=None,
        choices=_rating_choices(PROBABILITY_LABELS, _("Any probability")),
    )
    impact = forms.TypedChoiceField(
        label=_("Impact"),
        required=False,
        coerce=int,
        empty_value=None,
        choices=_rating_choices(IMPACT_LABELS, _("Any impact")),
    )

    def __init__(
        self,
        *args: Any,
        campaigns: Sequence[tuple[int, str]] = (),
        owners: Sequence[User] = (),
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["campaign"].widget.choices = [("", _("Every campaign")), *campaigns]
        self.fields["owner"].choices = [
            ("", _("Anyone")),
            (self.MINE, _("Me")),
            *((str(u.pk), str(u)) for u in owners),
        ]
        # Any positive id is accepted (a campaign the user cannot see simply matches nothing).
        self.fields["owner"].valid_value = lambda value: (
            value == self.MINE or (str(value).isdigit() and 0 < int(value) <= MAX_ID)
        )

    def filters(self, user: Any) -> dict[str, Any]:
        """The valid filters, ready for :func:`register_queryset`; ``owner=mine`` becomes the user's id."""
        if not self.is_bound:
            return {}
        self.is_valid()
        result = {key: value for key, value in self.cleaned_data.items() if value not in (None, "")}
        if result.get("owner") == self.MINE:
            result["owner"] = user.pk
        elif "owner" in result:
            result["owner"] = int(result["owner"])
        return result


class RiskForm(forms.Form):
    """A risk's fields. The alert level, score and band follow from them; the service sets the level."""

    title = forms.CharField(label=_("Title"), max_length=200)
    category = forms.ChoiceField(label=_("Category"), choices=[("", _("Choose…")), *RiskCategory.choices])
    description = forms.CharField(
        label=_("Description"), required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 3})
    )
    owner = forms.TypedChoiceField(
        label=_("Owner"),
        required=False,
        coerce=int,
        empty_value=None,
        help_text=_("Hears of every alert on this risk; a lead, deputy or member of the campaign's team."),
        error_messages={"invalid_choice": _("The owner must be a lead, deputy or member of the campaign's team.")},
    )
    probability = forms.TypedChoiceField(
        label=_("Probability"),
        coerce=int,
        choices=_rating_choices(PROBABILITY_LABELS, _("Choose…")),
    )
    impact = forms.TypedChoiceField(label=_("Impact"), coerce=int, choices=_rating_choices(IMPACT_LABELS, _("Choose…")))
    expected_date = BoundedDateField(
        label=_("Expected date"),
        required=False,
        widget=DateInput,
        help_text=_("When it may materialise. Blue alert 7 days before, yellow 3 days before, red on the day."),
    )
    status = forms.ChoiceField(label=_("Status"), choices=RiskStatus.choices, initial=RiskStatus.OPEN)
    contingency_plan = forms.CharField(
        label=_("Contingency plan"),
        required=False,
        max_length=8000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("What the team does when the alert comes (預案)."),
    )
    cost_impact = MoneyField(
        label=_("Cost impact (CNY)"),
        required=False,
        min_value=Decimal(0),
        help_text=_("What it costs if it happens; used by the exposure simulation."),
    )
    schedule_impact_days = forms.IntegerField(
        label=_("Schedule impact (days)"),
        required=False,
        min_value=0,
        max_value=3650,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
        help_text=_("How many days it would delay the linked task."),
    )
    task = forms.TypedChoiceField(label=_("Linked task"), required=False, coerce=int, empty_value=None)
    budget_line = forms.TypedChoiceField(label=_("Linked budget line"), required=False, coerce=int, empty_value=None)

    def __init__(
        self,
        *args: Any,
        members: Sequence[User],
        tasks: Sequence[Task],
        lines: Sequence[BudgetLine],
        current: Risk | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.owners = {u.pk: u for u in members}
        if current is not None and current.owner is not None and current.owner_id not in self.owners:
            # Someone who left the team keeps their risks until reassigned; do not drop them silently.
            self.owners[current.owner_id] = current.owner
        self.tasks = {t.pk: t for t in tasks}
        self.lines = {line.pk: line for line in lines}
        self.fields["owner"].choices = [("", _("— nobody —")), *((pk, str(u)) for pk, u in self.owners.items())]
        self.fields["task"].choices = [("", _("— no task —")), *((t.pk, t.title) for t in tasks)]
        self.fields["budget_line"].choices = [
            ("", _("— no budget line —")),
            *((line.pk, line_label(line)) for line in lines),
        ]

    @classmethod
    def initial_for(cls, risk: Risk) -> dict[str, Any]:
        return {
            "title": risk.title,
            "category": risk.category,
            "description": risk.description,
            "owner": risk.owner_id or "",
            "probability": risk.probability,
            "impact": risk.impact,
            "expected_date": risk.expected_date,
            "status": risk.status,
            "contingency_plan": risk.contingency_plan,
            "cost_impact": f"{risk.cost_impact:.2f}" if risk.cost_impact is not None else "",
            "schedule_impact_days": risk.schedule_impact_days,
            "task": risk.task_id or "",
            "budget_line": risk.budget_line_id or "",
        }

    def clean_owner(self) -> User | None:
        pk = self.cleaned_data["owner"]
        return self.owners[pk] if pk is not None else None

    def clean_task(self) -> Task | None:
        pk = self.cleaned_data["task"]
        return self.tasks[pk] if pk is not None else None

    def clean_budget_line(self) -> BudgetLine | None:
        pk = self.cleaned_data["budget_line"]
        return self.lines[pk] if pk is not None else None


def line_label(line: BudgetLine) -> str:
    version = _("v%(version)s") % {"version": line.budget.version}
    return f"{version} · {line.get_category_display()} · {line.amount:,.2f}"


class ReviewForm(forms.Form):
    """A periodic review: the date, new probability and impact, and what was found."""

    reviewed_on = BoundedDateField(label=_("Review date"), widget=DateInput)
    probability = forms.TypedChoiceField(
        label=_("New probability"), coerce=int, choices=[(n, PROBABILITY_LABELS[n]) for n in RATINGS]
    )
    impact = forms.TypedChoiceField(label=_("New impact"), coerce=int, choices=[(n, IMPACT_LABELS[n]) for n in RATINGS])
    notes = forms.CharField(label=_("Notes"), required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, risk: Risk, today: dt.date, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"reviewed_on": today, "probability": risk.probability, "impact": risk.impact})
        super().__init__(*args, **kwargs)
        self.today = today
        self.fields["reviewed_on"].widget.attrs["max"] = today.isoformat()

    def clean_reviewed_on(self) -> dt.date:
        value = self.cleaned_data["reviewed_on"]
        if value > self.today:
            raise forms.ValidationError(_("A review is recorded on or after the day it happened, not before."))
        return value
