"""Forms of the budget pages. They parse and shape input; the rules (caps, reserve, sign-off) live in services.py."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from django import forms
from django.forms import BaseFormSet, formset_factory
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.validators import BoundedDateField

from .checklists import CHECKLISTS
from .models import RESERVE_CATEGORIES, BudgetLine, BudgetStatus, Decision, LineCategory, LineKind, SignoffRole

LINES_PREFIX = "lines"
MAX_LINES = 100

# Spaces, thousands separators and a currency mark are what people paste from a spreadsheet: accept them.
_MONEY_NOISE = re.compile(r"[\s,_'’]|CNY|RMB|¥|￥", re.IGNORECASE)


class MoneyField(forms.DecimalField):
    """An amount in CNY with two decimals; ``8,000,000`` and ``¥8 000 000.00`` are read as 8000000.00."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_digits", 14)
        kwargs.setdefault("decimal_places", 2)
        kwargs.setdefault("localize", False)
        super().__init__(**kwargs)
        self.widget = forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off", "spellcheck": "false"})

    def to_python(self, value: Any) -> Decimal | None:
        if isinstance(value, str):
            value = _MONEY_NOISE.sub("", value)
        return super().to_python(value)


def default_kind(category: str) -> str:
    """Reserves and materials are flexible in the seed plan; everything else starts as rigid."""
    flexible = {*RESERVE_CATEGORIES, LineCategory.MATERIALS}
    return LineKind.FLEXIBLE if category in flexible else LineKind.RIGID


def plain_amount(value: Decimal | None) -> str:
    """An amount as the editor's inputs show it: no grouping, two decimals."""
    return "" if value is None else f"{value:.2f}"


class BudgetForm(forms.Form):
    """The budget's own fields (the lines are a formset beside it)."""

    total = MoneyField(
        label=_("Total cap (CNY)"),
        min_value=Decimal("0.01"),
        error_messages={"min_value": _("The total cap must be greater than zero.")},
        help_text=_("The most the campaign may spend; the lines must stay within it."),
    )
    reserve_pct = forms.DecimalField(
        label=_("Risk reserve %"),
        max_digits=5,
        decimal_places=2,
        min_value=Decimal(0),
        max_value=Decimal(100),
        initial=Decimal("10"),
        widget=forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal"}),
        help_text=_("Emergency and partner-reserve lines must add up to at least this share of the cap."),
    )
    note = forms.CharField(label=_("Note"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


class BudgetLineForm(forms.Form):
    """One line row. A row left blank is skipped; a row ticked "remove" is dropped."""

    category = forms.ChoiceField(label=_("Category"), choices=[("", _("Choose…")), *LineCategory.choices])
    kind = forms.ChoiceField(label=_("Kind"), choices=LineKind.choices, initial=LineKind.RIGID)
    amount = MoneyField(
        label=_("Amount (CNY)"),
        min_value=Decimal("0.01"),
        error_messages={"min_value": _("The amount must be greater than zero.")},
    )
    channel = forms.ChoiceField(label=_("Channel"), required=False)
    note = forms.CharField(label=_("Note"), required=False, max_length=300)

    # Which inputs make a row count as filled in (the kind always has a value, so it does not).
    CONTENT_FIELDS = ("category", "amount", "channel", "note")

    def __init__(self, *args: Any, channel_choices: list[tuple[str, str]] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Plain choices computed once per page, so that rendering N rows does not run N channel queries.
        self.fields["channel"].choices = [("", _("No channel")), *(channel_choices or [])]

    def has_changed(self) -> bool:
        # A row removed from the page (a gap in the numbering) or left blank is not a line at all.
        return any(self[name].data not in (None, "") for name in self.CONTENT_FIELDS)

    def is_removed(self) -> bool:
        return bool(self.is_bound and self["DELETE"].data) if "DELETE" in self.fields else False

    def as_line(self) -> dict[str, Any]:
        """The service's line payload (call after validation)."""
        data = self.cleaned_data
        return {
            "category": data["category"],
            "kind": data["kind"],
            "amount": data["amount"],
            "channel": int(data["channel"]) if data.get("channel") else None,
            "note": data.get("note", ""),
        }


class LineFormSet(BaseFormSet):
    """Every row is optional (blank rows are skipped), and rows may be removed from the page by script, leaving
    gaps in the numbering: so no row counts as an "initial" one that must be filled in."""

    def initial_form_count(self) -> int:
        return 0

    def total_form_count(self) -> int:
        if self.is_bound:
            return super().total_form_count()
        return len(self.initial or []) + self.extra

    def lines(self) -> list[dict[str, Any]]:
        """The filled-in, kept rows as service payloads (call after ``is_valid()``)."""
        return [form.as_line() for form in self.kept_forms() if form.is_valid()]

    def kept_forms(self) -> list[BudgetLineForm]:
        return [form for form in self.forms if form.has_changed() and not form.is_removed()]


BudgetLineFormSet = formset_factory(
    BudgetLineForm,
    formset=LineFormSet,
    extra=0,
    can_delete=True,
    max_num=MAX_LINES,
    absolute_max=MAX_LINES,
    validate_max=True,
)


def line_formset(
    *,
    channel_choices: list[tuple[str, str]],
    data: Any = None,
    initial: list[dict[str, Any]] | None = None,
    extra: int = 0,
) -> LineFormSet:
    formset = BudgetLineFormSet(
        data=data, initial=initial, prefix=LINES_PREFIX, form_kwargs={"channel_choices": channel_choices}
    )
    formset.extra = extra
    return formset


def line_initial(lines: list[BudgetLine]) -> list[dict[str, Any]]:
    return [
        {
            "category": line.category,
            "kind": line.kind,
            "amount": plain_amount(line.amount),
            "channel": str(line.channel_id) if line.channel_id else "",
            "note": line.note,
        }
        for line in lines
    ]


def raw_line_initial(formset: LineFormSet) -> list[dict[str, Any]]:
    """What the person typed in the kept rows, to show again (e.g. after "Add line" without JavaScript)."""
    return [
        {name: form[name].data or "" for name in ("category", "kind", "amount", "channel", "note")}
        for form in formset.kept_forms()
    ]


class BudgetFilterForm(forms.Form):
    """The list's filters (GET). Values that do not parse are ignored."""

    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("Any status")), *BudgetStatus.choices]
    )
    campaign = forms.ChoiceField(label=_("Campaign"), required=False)

    def __init__(self, *args: Any, campaigns: list[tuple[int, str]] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["campaign"].choices = [("", _("Every campaign")), *((str(pk), label) for pk, label in campaigns)]

    def filters(self) -> dict[str, Any]:
        if not self.is_bound or not self.is_valid():
            return {}
        result: dict[str, Any] = {}
        if self.cleaned_data.get("status"):
            result["status"] = self.cleaned_data["status"]
        if self.cleaned_data.get("campaign"):
            result["campaign_id"] = int(self.cleaned_data["campaign"])
        return result


class SignoffForm(forms.Form):
    """One role's decision. The checklist is the role's items; what may be approved is the service's call."""

    role = forms.ChoiceField(choices=SignoffRole.choices, widget=forms.HiddenInput)
    decision = forms.ChoiceField(choices=Decision.choices)
    comment = forms.CharField(
        label=_("Comment"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Required when you reject: say what must change."),
    )
    checklist = forms.MultipleChoiceField(
        label=_("Checklist"),
        required=False,
        choices=[(code, label) for items in CHECKLISTS.values() for code, label in items],
        widget=forms.CheckboxSelectMultiple,
    )

    def answers(self) -> dict[str, bool]:
        """Every item of the role's checklist, ticked or not (the service refuses an approval with a gap)."""
        ticked = set(self.cleaned_data.get("checklist") or [])
        return {code: code in ticked for code, _label in CHECKLISTS[SignoffRole(self.cleaned_data["role"])]}


class ExpenseForm(forms.Form):
    line = forms.ChoiceField(label=_("Budget line"))
    amount = MoneyField(
        label=_("Amount (CNY)"),
        min_value=Decimal("0.01"),
        error_messages={"min_value": _("The amount must be greater than zero.")},
    )
    date = BoundedDateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    description = forms.CharField(label=_("Description"), max_length=300)

    def __init__(self, *args: Any, lines: list[BudgetLine] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lines = {str(line.pk): line for line in lines}
        self.fields["line"].choices = [
            ("", _("Choose…")),
            *((str(line.pk), line_label(line)) for line in lines),
        ]
        if not self.is_bound:
            self.initial.setdefault("date", timezone.localdate())

    def line_object(self) -> BudgetLine:
        return self.lines[self.cleaned_data["line"]]


def line_label(line: BudgetLine) -> str:
    label = str(line.get_category_display())
    if line.note:
        label = f"{label} – {line.note[:40]}"
    return label
