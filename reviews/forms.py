"""Forms of the review pages. They parse and shape input; the rules (who chairs, who may own an action item,
publishing once) are reviews.services' and reviews.agenda's to enforce. Choices of people are passed in as
plain lists loaded once per request."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from core.validators import BoundedDateField
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
    starts_on = BoundedDateField(label=_("First week"), widget=DateInput)
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
    due_date = BoundedDateField(label=_("Due date"), required=False, widget=DateInput)

    def __init__(self, *args: Any, owners: Sequence[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.owners = {u.pk: u for u in owners}
        self.fields["owner"].choices = [("", _("Choose…")), *_people(owners)]

    def clean_owner(self) -> User:
        return self.owners[self.cleaned_data["owner"]]


class MinutesForm(forms.Form):
    minutes = forms.CharField(
        label=_("General minutes"),
        max_length=20000,
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 10}),
        help_text=_(
            "Saved as a draft as you go; the notes and decisions of each agenda item are part of the minutes too. "
            "Publishing sends them to the participants once."
        ),
    )


class AgendaNoteForm(forms.Form):
    """Notes and the decision on one agenda item (standup mode)."""

    notes = forms.CharField(
        label=_("Notes"), required=False, max_length=10000, widget=forms.Textarea(attrs={"rows": 4})
    )
    decision = forms.CharField(
        label=_("Decision"), required=False, max_length=10000, widget=forms.Textarea(attrs={"rows": 2})
    )


class AgendaMoveForm(forms.Form):
    key = forms.CharField(max_length=64)
    direction = forms.ChoiceField(choices=[("up", _("Up")), ("down", _("Down"))])

    def offset(self) -> int:
        return -1 if self.cleaned_data["direction"] == "up" else 1


class AttendanceForm(forms.Form):
    attendees = forms.TypedMultipleChoiceField(
        label=_("Attended"),
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
        error_messages={"invalid_choice": _("Only the meeting's participants can be marked as attending.")},
    )

    def __init__(self, *args: Any, participants: Sequence[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.people = {u.pk: u for u in participants}
        self.fields["attendees"].choices = _people(participants)

    def clean_attendees(self) -> list[User]:
        return [self.people[pk] for pk in self.cleaned_data["attendees"]]


SCORES = [("", _("Score…")), *[(n, str(n)) for n in range(1, 6)]]


def _score(label: Any) -> forms.TypedChoiceField:
    return forms.TypedChoiceField(
        label=label,
        coerce=int,
        choices=SCORES,
        error_messages={"required": _("Score from 1 (poor) to 5 (excellent).")},
        help_text=_("1 = poor … 5 = excellent"),
    )


def _comment(label: Any, rows: int = 2) -> forms.CharField:
    return forms.CharField(label=label, required=False, max_length=10000, widget=forms.Textarea(attrs={"rows": rows}))


class RetrospectiveForm(forms.Form):
    """The retrospective template (SPEC 7 seed): four dimensions scored and commented, then the report."""

    DIMENSIONS = (
        ("goal", _("Goal attainment")),
        ("efficiency", _("Resource efficiency")),
        ("innovation", _("Innovations")),
        ("improvement", _("Improvements")),
    )
    goal_score = _score(_("Goal attainment"))
    goal_comment = _comment(_("Comment on goal attainment"))
    efficiency_score = _score(_("Resource efficiency"))
    efficiency_comment = _comment(_("Comment on resource efficiency"))
    innovation_score = _score(_("Innovations"))
    innovation_comment = _comment(_("Comment on innovations"))
    improvement_score = _score(_("Improvements"))
    improvement_comment = _comment(_("Comment on improvements"))
    lessons = _comment(_("Lessons learned"), rows=3)
    suggestions = _comment(_("Suggestions"), rows=3)
    responsibilities = _comment(_("Responsibility assignment"), rows=3)

    def dimensions(self) -> list[tuple[Any, forms.BoundField, forms.BoundField]]:
        return [(label, self[f"{key}_score"], self[f"{key}_comment"]) for key, label in self.DIMENSIONS]


class ImprovementForm(forms.Form):
    """One improvement; it becomes an action item (a blank row is ignored)."""

    title = forms.CharField(label=_("Improvement"), max_length=200, required=False)
    owner = forms.TypedChoiceField(
        label=_("Owner"),
        coerce=int,
        required=False,
        empty_value=None,
        error_messages={"invalid_choice": _("The owner must be a lead, deputy or member of the campaign's team.")},
    )
    due_date = BoundedDateField(label=_("Due date"), required=False, widget=DateInput)

    def __init__(self, *args: Any, owners: Sequence[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.owners = {u.pk: u for u in owners}
        self.fields["owner"].choices = [("", _("Choose…")), *_people(owners)]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if (data.get("title") or "").strip() and data.get("owner") is None and "owner" not in self.errors:
            self.add_error("owner", _("Say who owns this improvement."))
        elif data.get("owner") is not None and not (data.get("title") or "").strip():
            self.add_error("title", _("Say what is to be improved."))
        return data

    def improvement(self) -> dict[str, Any] | None:
        data = self.cleaned_data
        if not (data.get("title") or "").strip():
            return None
        return {"title": data["title"], "owner": self.owners[data["owner"]], "due_date": data.get("due_date")}


ImprovementFormSet = forms.formset_factory(ImprovementForm, extra=3, max_num=10, validate_max=True)
