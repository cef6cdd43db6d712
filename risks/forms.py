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
from django.db.models import Case, Count, IntegerField, QuerySet, Value, When
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from budgets.models import BudgetLine
from campaigns.models import Task
from core.validators import BoundedDateField
from teams.models import User

from .exposure import OCCURRENCE
from .models import AlertLevel, Band, Risk, RiskCategory, RiskStatus, band_q

# The largest id the database holds; a bigger one would overflow the query instead of matching nothing.
MAX_ID = 2**63 - 1
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


# Risks that still carry exposure: the heat map counts these, and its cells link to the register with
# ``status=live`` so the list shows exactly the risks a cell counted.
LIVE = "live"
LIVE_STATUSES = (RiskStatus.OPEN, RiskStatus.MONITORING, RiskStatus.OCCURRED)

PROBABILITY_NAMES = {1: _("Rare"), 2: _("Unlikely"), 3: _("Possible"), 4: _("Likely"), 5: _("Almost certain")}
IMPACT_NAMES = {1: _("Negligible"), 2: _("Minor"), 3: _("Moderate"), 4: _("Major"), 5: _("Severe")}
# The chance each probability rating stands for in the exposure simulation (risks.exposure.OCCURRENCE).
PROBABILITY_LABELS = {
    n: format_lazy("{} · {} ({} %)", n, PROBABILITY_NAMES[n], round(OCCURRENCE[n] * 100)) for n in PROBABILITY_NAMES
}
IMPACT_LABELS = {n: format_lazy("{} · {}", n, IMPACT_NAMES[n]) for n in IMPACT_NAMES}
RATINGS = (1, 2, 3, 4, 5)

# Red first, then yellow, blue, none: the register's order (then the highest score).
ALERT_ORDER = Case(
    When(alert_level=AlertLevel.RED, then=Value(3)),
    When(alert_level=AlertLevel.YELLOW, then=Value(2)),
    When(alert_level=AlertLevel.BLUE, then=Value(1)),
    default=Value(0),
    output_field=IntegerField(),
)


def register_queryset(queryset: QuerySet[Risk], filters: dict[str, Any]) -> QuerySet[Risk]:
    """Apply the register's filters to risks the user may already see, and sort: alert level, then score.

    ``filters`` holds any of campaign (id), alert_level, band, status (or ``live``), owner (id), category,
    probability and impact — as the filter form, the API's filter serializer and the exports produce them.
    """
    qs = queryset
    if filters.get("campaign") is not None:
        qs = qs.filter(campaign_id=filters["campaign"])
    if filters.get("alert_level"):
        qs = qs.filter(alert_level=filters["alert_level"])
    if filters.get("band"):
        qs = qs.filter(band_q(filters["band"]))
    if filters.get("status") == LIVE:
        qs = qs.filter(status__in=LIVE_STATUSES)
    elif filters.get("status"):
        qs = qs.filter(status=filters["status"])
    if filters.get("owner") is not None:
        qs = qs.filter(owner_id=filters["owner"])
    if filters.get("category"):
        qs = qs.filter(category=filters["category"])
    for rating in ("probability", "impact"):
        if filters.get(rating) is not None:
            qs = qs.filter(**{rating: filters[rating]})
    return qs.annotate(alert_rank=ALERT_ORDER).order_by(
        "-alert_rank", "-score", "expected_date", "campaign__code", "id"
    )


def matrix_counts(queryset: QuerySet[Risk]) -> dict[tuple[int, int], int]:
    """Live risks per (probability, impact) cell, in one aggregate query over ``queryset``.

    Only open, monitoring and occurred risks count: mitigated and closed ones carry no exposure any more.
    """
    rows = (
        queryset.filter(status__in=LIVE_STATUSES).order_by().values("probability", "impact").annotate(count=Count("id"))
    )
    return {(row["probability"], row["impact"]): row["count"] for row in rows}


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
