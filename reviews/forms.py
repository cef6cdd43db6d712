"""Forms of the review pages. They parse and shape input; the rules (who chairs, who may own an action item,
publishing once) are reviews.services' and reviews.agenda's to enforce. Choices of people are passed in as
plain lists loaded once per request."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from teams.models import User

from .models import HolidayPolicy, ReviewKind

WEEKDAYS = [
    (0, _("Monday")),
    (1, _("Tuesday")),
    (2, _("Wednesday")),
    (3, _("Thursday")),
    (4, _("Friday")),
    (5, _("Saturday")),
    (6, _("Sunday")),
]


class DateInput(forms.DateInput):
    """An HTML date picker; the value is always ISO, whatever the locale's display format."""

    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%H:%M")


def _people(users: Sequence[User]) -> list[tuple[int, str]]:
    return [(u.pk, str(u)) for u in users]


class SeriesForm(forms.Form):
    """A new review series: when it meets, who chairs and who takes part."""

    title = forms.CharField(label=_("Title"), max_length=150, required=False)
    kind = forms.ChoiceField(label=_("Kind"), choices=ReviewKind.choices, initial=ReviewKind.STANDUP)
    interval_weeks = forms.IntegerField(
        label=_("Every … weeks"),
        required=False,
        min_value=1,
        max_value=12,
        help_text=_("Leave empty for the kind's default: weekly standups, biweekly retrospectives."),
    )
    weekday = forms.TypedChoiceField(label=_("Weekday"), coerce=int, choices=WEEKDAYS, initial=0)
    time = forms.TimeField(label=_("Time"), widget=TimeInput, initial=dt.time(10, 0))
    starts_on = forms.DateField(label=_("First week"), widget=DateInput)
    chair = forms.TypedChoiceField(label=_("Chair"), coerce=int)
    participants = forms.TypedMultipleChoiceField(
        label=_("Participants"), coerce=int, widget=forms.SelectMultiple(attrs={"size": 6})
    )
    reminder_lead_hours = forms.IntegerField(
        label=_("Reminder lead time (hours)"), min_value=1, max_value=168, initial=24
    )
    holiday_policy = forms.ChoiceField(
        label=_("On days off"), choices=HolidayPolicy.choices, initial=HolidayPolicy.NEXT_WORKDAY
    )

    def __init__(self, *args: Any, chairs: Sequence[User], members: Sequence[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.people = {u.pk: u for u in [*chairs, *members]}
        self.fields["chair"].choices = _people(chairs)
        self.fields["participants"].choices = _people(members)

    def clean_chair(self) -> User:
        return self.people[self.cleaned_data["chair"]]

    def clean_participants(self) -> list[User]:
        return [self.people[pk] for pk in self.cleaned_data["participants"]]

    def series_fields(self) -> dict[str, Any]:
        """Keyword arguments for series_save (participants apart); an empty interval keeps the kind's default."""
        data = {k: v for k, v in self.cleaned_data.items() if k != "participants"}
        if data.get("interval_weeks") is None:
            data.pop("interval_weeks", None)
        return data


class StatusUpdateForm(forms.Form):
    done = forms.CharField(label=_("Done"), required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 3}))
    next = forms.CharField(label=_("Next"), required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 3}))
    blockers = forms.CharField(
        label=_("Blockers"), required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 2})
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if not any((data.get(k) or "").strip() for k in ("done", "next", "blockers")):
            raise forms.ValidationError(_("Say what you did, what comes next, or what blocks you."))
        return data


class AgendaItemForm(forms.Form):
    title = forms.CharField(label=_("New agenda item"), max_length=200)


class ActionItemForm(forms.Form):
    title = forms.CharField(label=_("Action item"), max_length=200)
    owner = forms.TypedChoiceField(
        label=_("Owner"),
        coerce=int,
        error_messages={"invalid_choice": _("The owner must be a lead, deputy or member of the campaign's team.")},
    )
    due_date = forms.DateField(label=_("Due date"), required=False, widget=DateInput)

    def __init__(self, *args: Any, owners: Sequence[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.owners = {u.pk: u for u in owners}
        self.fields["owner"].choices = [("", _("Choose…")), *_people(owners)]

    def clean_owner(self) -> User:
        return self.owners[self.cleaned_data["owner"]]


class MinutesForm(forms.Form):
    minutes = forms.CharField(
        label=_("Minutes (notes and decisions)"),
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 10}),
        help_text=_("Kept in this box until you publish; publishing sends them to the participants once."),
    )
