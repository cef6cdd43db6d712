from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import factory
from django.contrib.auth.models import Group

from core.roles import TeamRole
from teams.models import Department, Team, TeamMembership, User


class DepartmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Department
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"dept-{n}")
    name = factory.Sequence(lambda n: f"部門{n}")
    name_en = factory.Sequence(lambda n: f"Department {n}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    display_name = factory.LazyAttribute(lambda o: o.username.title())
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.com")
    department = factory.SubFactory(DepartmentFactory)
    password = factory.PostGenerationMethodCall("set_password", "pw-for-tests")

    @factory.post_generation
    def roles(self, create, extracted, **kwargs):
        if create and extracted:
            self.groups.add(*(Group.objects.get_or_create(name=role)[0] for role in extracted))
        if create:
            self.save()


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team

    code = factory.Sequence(lambda n: f"team-{n}")
    name = factory.Sequence(lambda n: f"工作組 {n}")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TeamMembership

    team = factory.SubFactory(TeamFactory)
    user = factory.SubFactory(UserFactory)
    role = TeamRole.MEMBER


# --- The product's rows, built through their services ---------------------------------------------------------
# Each factory below creates its row through the app's own service (the same rules, audit entries and side
# effects as the product), so a test that starts from a factory starts from a state the product can reach.
# ``actor`` is who does the write; by default a new user who leads the campaign's team.


def _team_lead(team):
    return MembershipFactory(team=team, role=TeamRole.LEAD).user


class CampaignFactory(factory.Factory):
    """``CampaignFactory(actor=cast.lead, team=cast.team, code="WD-2027")`` — through campaigns.services."""

    class Meta:
        model = dict  # built by _create through the service

    team = factory.SubFactory(TeamFactory)
    actor = factory.LazyAttribute(lambda o: _team_lead(o.team))
    code = factory.Sequence(lambda n: f"CF-{n}")
    name = factory.LazyAttribute(lambda o: f"Campaign {o.code}")
    start_date = dt.date(2027, 2, 10)
    end_date = dt.date(2027, 3, 15)

    @classmethod
    def _create(cls, model_class, *args, actor, **kwargs):
        from campaigns.services import campaign_create

        return campaign_create(actor=actor, **kwargs)


class PhaseFactory(factory.Factory):
    """A phase spanning the campaign (campaigns.services.phase_save)."""

    class Meta:
        model = dict

    campaign = factory.SubFactory(CampaignFactory)
    actor = factory.LazyAttribute(lambda o: o.campaign.lead)
    name = factory.Sequence(lambda n: f"階段 {n}")
    order = factory.Sequence(lambda n: n + 1)
    start_date = factory.LazyAttribute(lambda o: o.campaign.start_date)
    end_date = factory.LazyAttribute(lambda o: o.campaign.end_date)

    @classmethod
    def _create(cls, model_class, *args, campaign, actor, **kwargs):
        from campaigns.services import phase_save

        return phase_save(campaign=campaign, actor=actor, **kwargs)


class TaskFactory(factory.Factory):
    """A one-week task at the campaign's start (campaigns.services.task_save)."""

    class Meta:
        model = dict

    campaign = factory.SubFactory(CampaignFactory)
    actor = factory.LazyAttribute(lambda o: o.campaign.lead)
    title = factory.Sequence(lambda n: f"任務 {n}")
    start_date = factory.LazyAttribute(lambda o: o.campaign.start_date)
    due_date = factory.LazyAttribute(lambda o: o.campaign.start_date + dt.timedelta(days=6))

    @classmethod
    def _create(cls, model_class, *args, campaign, actor, **kwargs):
        from campaigns.services import task_save

        return task_save(campaign=campaign, actor=actor, **kwargs)


class BudgetFactory(factory.Factory):
    """A draft budget version (budgets.services.budget_create); ``lines`` as the service takes them."""

    class Meta:
        model = dict

    campaign = factory.SubFactory(CampaignFactory)
    actor = factory.LazyAttribute(lambda o: o.campaign.lead)
    total = "1000000.00"
    lines = factory.LazyFunction(
        lambda: [
            {"category": "tech_development", "kind": "rigid", "amount": "800000.00"},
            {"category": "emergency", "kind": "flexible", "amount": "100000.00"},
        ]
    )

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        from budgets.services import budget_create

        return budget_create(**kwargs)


class RiskFactory(factory.Factory):
    """An open risk of the campaign (risks.services.risk_save, which also sets its alert level)."""

    class Meta:
        model = dict

    campaign = factory.SubFactory(CampaignFactory)
    actor = factory.LazyAttribute(lambda o: o.campaign.lead)
    title = factory.Sequence(lambda n: f"風險 {n}")
    category = "execution"
    probability = 3
    impact = 3
    owner = factory.LazyAttribute(lambda o: o.actor)

    @classmethod
    def _create(cls, model_class, *args, campaign, actor, **kwargs):
        from risks.services import risk_save

        return risk_save(campaign=campaign, actor=actor, **kwargs)


class ReviewSeriesFactory(factory.Factory):
    """A weekly standup of the campaign chaired by its lead (reviews.services.series_save)."""

    class Meta:
        model = dict

    campaign = factory.SubFactory(CampaignFactory)
    actor = factory.LazyAttribute(lambda o: o.campaign.lead)
    participants = factory.LazyAttribute(lambda o: [o.actor])
    kind = "standup"
    weekday = 2
    time = dt.time(10, 0)
    starts_on = factory.LazyAttribute(lambda o: o.campaign.start_date)
    chair = factory.LazyAttribute(lambda o: o.actor)
    holiday_policy = "next_workday"

    @classmethod
    def _create(cls, model_class, *args, campaign, actor, participants, **kwargs):
        from reviews.services import series_save

        return series_save(campaign=campaign, actor=actor, participants=participants, **kwargs)


class MemberFactory(factory.django.DjangoModelFactory):
    """A programme member as an import leaves one (members arrive by import, not through a form)."""

    class Meta:
        model = "members.Member"

    external_id = factory.Sequence(lambda n: f"M{n:08d}")
    name = factory.Sequence(lambda n: f"會員{n}")
    phone = factory.Sequence(lambda n: f"138{n:08d}")
    annual_fee = Decimal("0.00")
    tier = "basic"


def message_for(verb: str, text: Any) -> Any:
    """A notification message declared for a test (core.messages): ``text`` may be a plain string."""
    import hashlib

    from core.messages import message, msgid

    key = "tests." + hashlib.sha256(f"{verb}\n{msgid(text)}".encode()).hexdigest()[:16]
    return message(key, verb, text)
