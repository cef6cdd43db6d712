"""Forms of the campaign pages. They parse and shape input; the rules live in services.py."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from core.roles import TeamRole
from core.validators import TEXT_MAX_LENGTH, BoundedDateField, CodeField
from teams.models import Department, Team, User

from ..models import Campaign, CampaignStatus, Milestone, Phase, Playbook
from ..permissions import creatable_teams


class DateInput(forms.DateInput):
    """The browser's date picker; it needs ISO dates."""

    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%d")


def _campaign_people(teams: QuerySet[Team] | list[int]) -> QuerySet[User]:
    """People who may lead a campaign of these teams: their leads, deputies and members."""
    return (
        User.objects.filter(
            is_active=True,
            memberships__team__in=teams,
            memberships__role__in=[TeamRole.LEAD, TeamRole.DEPUTY, TeamRole.MEMBER],
        )
        .distinct()
        .order_by("display_name", "username")
    )


class CampaignFilterForm(forms.Form):
    """The list's filters (GET). Values that do not parse are simply ignored."""

    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
    )
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("Any status")), *CampaignStatus.choices]
    )
    team = forms.ModelChoiceField(
        label=_("Team"), required=False, queryset=Team.objects.none(), empty_label=_("Any team")
    )
    active_on = BoundedDateField(label=_("Active on"), required=False, widget=DateInput())
    starts_after = BoundedDateField(label=_("Starts from"), required=False, widget=DateInput())
    starts_before = BoundedDateField(label=_("Starts until"), required=False, widget=DateInput())

    def __init__(self, *args: Any, teams: QuerySet[Team], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = teams
        self.fields["q"].widget.attrs["placeholder"] = _("Code, name or objective")

    def filters(self) -> dict[str, Any]:
        """The valid, non-empty filters, in the shape selectors.campaign_list takes."""
        if not self.is_bound:
            return {}
        self.is_valid()
        data = {key: value for key, value in self.cleaned_data.items() if value not in (None, "")}
        if "team" in data:
            data["team"] = data["team"].pk
        return data


class CampaignCreateForm(forms.Form):
    team = forms.ModelChoiceField(label=_("Team"), queryset=Team.objects.none(), empty_label=None)
    code = CodeField(label=_("Code"), help_text=_("A short unique code, e.g. WD-2027."))
    name = forms.CharField(label=_("Name"), max_length=200)
    objective = forms.CharField(
        label=_("Objective"),
        required=False,
        max_length=TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("The SMART goal: specific, measurable, achievable, relevant, time-bound."),
    )
    playbook = forms.ModelChoiceField(
        label=_("Playbook"),
        required=False,
        queryset=Playbook.objects.all(),
        widget=forms.RadioSelect,
        empty_label=_("No playbook: start with an empty plan"),
    )
    start_date = BoundedDateField(label=_("Start date"), widget=DateInput())
    end_date = BoundedDateField(
        label=_("End date"),
        required=False,
        widget=DateInput(),
        help_text=_("Not needed with a playbook: the end date follows from the playbook's duration."),
    )
    lead = forms.ModelChoiceField(
        label=_("Campaign lead"),
        required=False,
        queryset=User.objects.none(),
        empty_label=_("Me"),
        help_text=_("A lead, deputy or member of the team. Leave it at “Me” to lead the campaign yourself."),
    )

    def __init__(self, *args: Any, user: Any, playbooks: QuerySet[Playbook], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        teams = creatable_teams(user)
        self.fields["team"].queryset = teams
        self.fields["playbook"].queryset = playbooks
        self.fields["lead"].queryset = _campaign_people(teams)
        self.fields["code"].widget.attrs["autocapitalize"] = "characters"

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if not data.get("playbook") and "start_date" in data and not data.get("end_date"):
            self.add_error("end_date", _("Give an end date, or choose a playbook to derive it."))
        return data


class CampaignEditForm(forms.Form):
    code = CodeField(label=_("Code"))
    name = forms.CharField(label=_("Name"), max_length=200)
    objective = forms.CharField(
        label=_("Objective"), required=False, max_length=TEXT_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 4})
    )
    start_date = BoundedDateField(label=_("Start date"), widget=DateInput())
    end_date = BoundedDateField(label=_("End date"), widget=DateInput())
    lead = forms.ModelChoiceField(label=_("Campaign lead"), queryset=User.objects.none())
    departments = forms.ModelMultipleChoiceField(
        label=_("Participating departments"),
        required=False,
        queryset=Department.objects.all(),
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
    )

    def __init__(self, *args: Any, campaign: Campaign, **kwargs: Any) -> None:
        kwargs.setdefault(
            "initial",
            {
                "code": campaign.code,
                "name": campaign.name,
                "objective": campaign.objective,
                "start_date": campaign.start_date,
                "end_date": campaign.end_date,
                "lead": campaign.lead_id,
                "departments": list(campaign.departments.values_list("pk", flat=True)),
            },
        )
        super().__init__(*args, **kwargs)
        self.fields["lead"].queryset = _campaign_people([campaign.team_id])


class TransitionForm(forms.Form):
    status = forms.ChoiceField(label=_("New status"), choices=CampaignStatus.choices)


class CampaignCopyForm(forms.Form):
    code = CodeField(label=_("Code of the copy"))
    name = forms.CharField(label=_("Name"), max_length=200)
    start_date = BoundedDateField(
        label=_("New start date"),
        widget=DateInput(),
        help_text=_("Every date of the plan moves by the same number of days."),
    )
    team = forms.ModelChoiceField(
        label=_("Team"),
        required=False,
        queryset=Team.objects.none(),
        empty_label=_("The same team"),
        help_text=_("Optional: hand the copy to another task force you lead."),
    )

    def __init__(self, *args: Any, teams: QuerySet[Team], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = teams


class PlaybookSaveForm(forms.Form):
    code = forms.SlugField(
        label=_("Code"), max_length=60, help_text=_("Letters, digits, hyphens and underscores, e.g. spring-promo.")
    )
    name = forms.CharField(label=_("Name"), max_length=150)
    description = forms.CharField(
        label=_("Description"), required=False, max_length=TEXT_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 3})
    )


class PhaseForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=150)
    order = forms.IntegerField(label=_("Order"), min_value=1, max_value=999)
    start_date = BoundedDateField(label=_("Start date"), widget=DateInput())
    end_date = BoundedDateField(label=_("End date"), widget=DateInput())

    def __init__(self, *args: Any, phase: Phase | None = None, next_order: int = 1, **kwargs: Any) -> None:
        if phase is not None:
            kwargs.setdefault(
                "initial",
                {"name": phase.name, "order": phase.order, "start_date": phase.start_date, "end_date": phase.end_date},
            )
        else:
            kwargs.setdefault("initial", {"order": next_order})
        super().__init__(*args, **kwargs)


class MilestoneForm(forms.Form):
    phase = forms.ModelChoiceField(label=_("Phase"), queryset=Phase.objects.none(), empty_label=_("Choose a phase"))
    name = forms.CharField(label=_("Name"), max_length=200)
    due_date = BoundedDateField(label=_("Due date"), widget=DateInput())
    deliverable = forms.CharField(label=_("Deliverable"), max_length=300, required=False)
    done = forms.BooleanField(label=_("Done"), required=False)

    def __init__(self, *args: Any, phases: QuerySet[Phase], milestone: Milestone | None = None, **kwargs: Any) -> None:
        if milestone is not None:
            kwargs.setdefault(
                "initial",
                {
                    "phase": milestone.phase_id,
                    "name": milestone.name,
                    "due_date": milestone.due_date,
                    "deliverable": milestone.deliverable,
                    "done": milestone.done,
                },
            )
        super().__init__(*args, **kwargs)
        self.fields["phase"].queryset = phases
        if milestone is None:
            del self.fields["done"]


class MilestoneDoneForm(forms.Form):
    done = forms.BooleanField(required=False)
