"""Forms of the campaign work pages (tasks, dependencies, KPIs, channels).

Forms parse and shape input; the rules (dates in order, owners from the team,
no dependency cycles, one reading per date) are the services' to enforce.
Choices of owners, phases and tasks are passed in as plain lists, loaded once
per request: a ``ModelChoiceField`` would query again for every row rendered.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from core.validators import BoundedDateField
from teams.models import User

from ..models import COMMENT_MAX_LENGTH, Channel, Kpi, Phase, Task, TaskStatus
from ..rules import KPI_INPUT_LABELS, kpi_inputs

OWNER_NOT_IN_TEAM = _("The owner must be a lead, deputy or member of the campaign's team.")


class DateInput(forms.DateInput):
    """An HTML date picker; the value is always ISO, whatever the locale's display format."""

    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class TaskForm(forms.Form):
    """A task's editable fields. Inline edits post a subset; the view fills in the rest from the task."""

    title = forms.CharField(label=_("Title"), max_length=200)
    phase = forms.TypedChoiceField(label=_("Phase"), required=False, coerce=int, empty_value=None)
    owner = forms.TypedChoiceField(
        label=_("Owner"),
        required=False,
        coerce=int,
        empty_value=None,
        error_messages={"invalid_choice": OWNER_NOT_IN_TEAM},
    )
    start_date = BoundedDateField(label=_("Start date"), widget=DateInput)
    due_date = BoundedDateField(label=_("Due date"), widget=DateInput)
    status = forms.ChoiceField(label=_("Status"), choices=TaskStatus.choices, initial=TaskStatus.TODO)
    progress = forms.IntegerField(
        label=_("Progress %"), min_value=0, max_value=100, initial=0, widget=forms.NumberInput(attrs={"step": 5})
    )
    description = forms.CharField(
        label=_("Description"),
        required=False,
        max_length=COMMENT_MAX_LENGTH,
        strip=True,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("Markdown: **bold**, *italic*, lists with -, links as [text](https://…)."),
    )

    INLINE_FIELDS = ("owner", "start_date", "due_date", "status", "progress")

    def __init__(
        self,
        *args: Any,
        members: Sequence[User],
        phases: Sequence[Phase],
        current_owner: User | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.owners = {u.pk: u for u in members}
        if current_owner is not None and current_owner.pk not in self.owners:
            # Someone who left the team keeps their tasks until reassigned; do not drop them silently.
            self.owners[current_owner.pk] = current_owner
        self.phases = {p.pk: p for p in phases}
        self.fields["owner"].choices = [("", _("— nobody —")), *((u.pk, str(u)) for u in self.owners.values())]
        self.fields["phase"].choices = [("", _("— no phase —")), *((p.pk, p.name) for p in phases)]

    @classmethod
    def initial_for(cls, task: Task) -> dict[str, Any]:
        return {
            "title": task.title,
            "phase": task.phase_id or "",
            "owner": task.owner_id or "",
            "start_date": task.start_date.isoformat(),
            "due_date": task.due_date.isoformat(),
            "status": task.status,
            "progress": task.progress,
            "description": task.description,
        }

    @classmethod
    def for_task(cls, task: Task, data: Any = None, **kwargs: Any) -> tuple[TaskForm, list[str]]:
        """A form bound to the task's current values overlaid with whatever was posted, and the posted names."""
        posted = [name for name in cls.base_fields if data is not None and name in data]
        values = cls.initial_for(task)
        if data is not None:
            values.update({name: data.get(name) for name in posted})
        return cls(values, current_owner=task.owner, **kwargs), posted

    def make_inline(self, *, form_id: str, url: str, task_title: str) -> TaskForm:
        """Dress the inline fields for a row of the task table: each one posts its row's form on change
        (the inputs sit in table cells, so they join the row's form through the ``form`` attribute)."""
        for name in self.INLINE_FIELDS:
            field = self.fields[name]
            field.widget.attrs.update(
                {
                    "form": form_id,
                    "hx-post": url,
                    "class": "form-select-sm" if isinstance(field.widget, forms.Select) else "form-control-sm",
                    "aria-label": f"{field.label}: {task_title}",
                }
            )
        return self

    def clean_owner(self) -> User | None:
        pk = self.cleaned_data["owner"]
        return self.owners[pk] if pk is not None else None

    def clean_phase(self) -> Phase | None:
        pk = self.cleaned_data["phase"]
        return self.phases[pk] if pk is not None else None

    def changes(self, task: Task, names: Sequence[str]) -> dict[str, Any]:
        """The posted fields whose values differ from the task's, ready for ``task_save``."""
        current = {
            "title": task.title,
            "phase": task.phase_id,
            "owner": task.owner_id,
            "start_date": task.start_date,
            "due_date": task.due_date,
            "status": task.status,
            "progress": task.progress,
            "description": task.description,
        }
        result = {}
        for name in names:
            value = self.cleaned_data[name]
            comparable = value.pk if isinstance(value, User | Phase) else value
            if comparable != current[name]:
                result[name] = value
        return result


class TaskCreateForm(TaskForm):
    """A new task: title, phase, owner and dates; it starts "to do" with no progress."""

    def __init__(self, *args: Any, default_start: dt.date | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        del self.fields["status"]
        del self.fields["progress"]
        del self.fields["description"]  # written on the task page, once the task exists
        if default_start:
            self.fields["start_date"].initial = default_start
            self.fields["due_date"].initial = default_start


class DependencyForm(forms.Form):
    predecessor = forms.TypedChoiceField(
        label=_("Add a task it waits for"), coerce=int, widget=forms.Select(attrs={"class": "form-select-sm"})
    )

    def __init__(self, *args: Any, candidates: Sequence[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["predecessor"].choices = [("", _("— choose a task —")), *candidates]
        self.fields["predecessor"].error_messages["invalid_choice"] = _(
            "Choose another task of this campaign that it does not wait for yet."
        )


class KpiForm(forms.ModelForm):
    class Meta:
        model = Kpi
        fields = ["name", "kind", "unit", "direction", "baseline", "target"]
        help_texts = {"unit": _("For example %, CNY or people.")}

    def __init__(self, *args: Any, campaign: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.instance.campaign = campaign


class KpiReadingForm(forms.Form):
    """A dated reading. For a KPI of a standard kind the form also offers the formula's inputs (campaigns.rules),
    from which the service computes the actual value."""

    date = BoundedDateField(label=_("Date"), widget=DateInput)
    actual = forms.DecimalField(label=_("Actual"), required=False, max_digits=16, decimal_places=4)
    forecast = forms.DecimalField(label=_("Forecast"), required=False, max_digits=16, decimal_places=4)

    def __init__(self, *args: Any, kind: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.input_names = kpi_inputs(kind)
        for name in self.input_names:
            self.fields[name] = forms.DecimalField(
                label=KPI_INPUT_LABELS[name], required=False, max_digits=16, decimal_places=2
            )

    @property
    def input_fields(self) -> list[Any]:
        return [self[name] for name in self.input_names]

    def inputs(self) -> dict[str, Decimal]:
        return {name: self.cleaned_data[name] for name in self.input_names if self.cleaned_data.get(name) is not None}

    def reading(self) -> dict[str, Any]:
        """What the service takes: date, actual, forecast and the inputs given."""
        data = {key: self.cleaned_data.get(key) for key in ("date", "actual", "forecast")}
        return {**data, "inputs": self.inputs()}

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        actual: Decimal | None = data.get("actual")
        forecast: Decimal | None = data.get("forecast")
        if actual is None and forecast is None and not self.errors and not self.inputs():
            self.add_error("actual", _("Give an actual value, a forecast, or both."))
        return data


class ChannelForm(forms.ModelForm):
    class Meta:
        model = Channel
        fields = ["type", "name", "reach_target", "conversion_target", "note"]
        help_texts = {
            "reach_target": _("People to reach."),
            "conversion_target": _("Share of those reached who convert, in per cent."),
        }

    def __init__(self, *args: Any, campaign: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.instance.campaign = campaign


class TaskMoveForm(forms.Form):
    """A bar moved or resized on the timeline: its new planned dates (ISO)."""

    start_date = BoundedDateField(label=_("Start"))
    due_date = BoundedDateField(label=_("Due"))


class CommentForm(forms.Form):
    """A comment on a task: Markdown, at most 20,000 characters (the service checks mentions)."""

    body = forms.CharField(
        label=_("Comment"),
        max_length=COMMENT_MAX_LENGTH,
        strip=True,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Markdown. Type @ and a username to notify someone who can read this task."),
        error_messages={"required": _("Write something before posting.")},
    )
