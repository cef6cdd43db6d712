"""Kernel forms: entering days of the working calendar."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from core.models import CalendarDayKind


class CalendarDaysForm(forms.Form):
    start = forms.DateField(label=_("First day"), widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(
        label=_("Last day"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Leave empty for one day."),
    )
    kind = forms.ChoiceField(label=_("Kind"), choices=CalendarDayKind.choices, initial=CalendarDayKind.HOLIDAY)
    name = forms.CharField(
        label=_("Name"), max_length=100, required=False, help_text=_("For example 春节 or 春节调休 (make-up day).")
    )
