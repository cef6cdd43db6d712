"""Hole 4 (medium): segregation of duties was incomplete (SPEC 10.1), plus late sign-offs, team roles and the
budget line cap.

Reported: only ``submitted_by`` was checked — a lead who makes ``finance`` a deputy lets finance edit the draft
and then sign it as finance; a campaign lead who also holds ``tech_approver`` signs their own campaign's budget.
A sign-off racing the budget's decision answered 404; a deputy promoted themself and removed the lead; 10,000
budget lines were accepted.
"""

from __future__ import annotations

import datetime as dt

import pytest

from budgets.models import Budget, Signoff
from budgets.services import budget_create, budget_submit
from campaigns.services import campaign_create
from core.roles import OrgRole, TeamRole
from teams.models import TeamMembership
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

LINES = [
    {"category": "tech_development", "kind": "rigid", "amount": "8000000.00"},
    {"category": "channel_promotion", "kind": "rigid", "amount": "7000000.00"},
    {"category": "benefits_procurement", "kind": "rigid", "amount": "7000000.00"},
    {"category": "materials", "kind": "flexible", "amount": "2000000.00"},
    {"category": "partner_reserve", "kind": "flexible", "amount": "3000000.00"},
    {"category": "emergency", "kind": "flexible", "amount": "1000000.00"},
]


@pytest.fixture
def campaign(cast):
    return campaign_create(actor=cast.lead, team=cast.team, code="WD-2027", name="Women's Day",
                           start_date=dt.date(2027, 2, 10), end_date=dt.date(2027, 3, 15))  # fmt: skip


@pytest.fixture
def budget(cast, campaign):
    return budget_create(actor=cast.lead, campaign=campaign, total="30000000.00", lines=LINES)


def sign(api, user, budget, role, decision="approve", comment=""):
    return api(user).post(
        f"/api/v1/budgets/{budget.pk}/signoffs/",
        {"role": role, "decision": decision, "comment": comment},
        format="json",
    )


def test_an_approver_made_deputy_who_edited_the_draft_cannot_sign_it(api, cast, budget):
    # The attack: the lead makes the finance approver a deputy; finance edits the draft, the lead submits it.
    made = api(cast.lead).post(
        f"/api/v1/teams/{cast.team.pk}/members/", {"user": cast.finance.pk, "role": "deputy"}, format="json"
    )
    assert made.status_code == 201
    edited = api(cast.finance).patch(
        f"/api/v1/budgets/{budget.pk}/", {"lines": [*LINES[:-1], {**LINES[-1], "amount": "1000001.00"}]}, format="json"
    )
    assert edited.status_code == 200, edited.content
    assert api(cast.lead).post(f"/api/v1/budgets/{budget.pk}/submit/").status_code == 200
    response = sign(api, cast.finance, budget, "finance")
    assert response.status_code == 403
    assert not Signoff.objects.exists()


def test_an_approver_who_edited_the_version_cannot_sign_it_even_after_leaving_the_team(api, cast, budget):
    MembershipFactory(team=cast.team, user=cast.finance, role=TeamRole.DEPUTY)
    assert (
        api(cast.finance).patch(f"/api/v1/budgets/{budget.pk}/", {"total": "29000000.00"}, format="json").status_code
        == 200
    )
    TeamMembership.objects.filter(user=cast.finance).delete()
    budget_submit(budget=budget, actor=cast.lead)
    assert sign(api, cast.finance, budget, "finance").status_code == 403


def test_the_campaign_lead_holding_an_approver_role_cannot_sign_their_own_budget(api, cast, budget):
    cast.lead.groups.add(*UserFactory(roles=[OrgRole.TECH_APPROVER]).groups.all())
    lead = type(cast.lead).objects.get(pk=cast.lead.pk)  # a fresh object: its roles now include tech_approver
    budget_submit(budget=budget, actor=cast.deputy)  # someone else submitted it
    response = sign(api, lead, budget, "tech")
    assert response.status_code == 403
    assert not Signoff.objects.exists()


@pytest.mark.parametrize("role", ["member", "viewer"])
def test_any_team_role_bars_signing(api, cast, budget, role):
    approver = UserFactory(username=f"m-{role}", roles=[OrgRole.MARKETING_APPROVER])
    MembershipFactory(team=cast.team, user=approver, role=role)
    budget_submit(budget=budget, actor=cast.lead)
    assert sign(api, approver, budget, "marketing").status_code == 403
    queue = api(approver).get("/api/v1/budgets/awaiting-my-signoff/").json()["results"]
    assert queue == []


def test_the_rule_as_predicate_and_as_query_agree(cast, budget):
    from budgets.rules import eligible_signer_q, signer_conflict

    people = [
        cast.lead, cast.deputy, cast.member, cast.viewer, cast.outsider, cast.finance,
        UserFactory(username="plain-tech", roles=[OrgRole.TECH_APPROVER]),
    ]  # fmt: skip
    budget_submit(budget=budget, actor=cast.deputy)
    budget = Budget.objects.select_related("campaign").get(pk=budget.pk)
    for person in people:
        by_query = Budget.objects.filter(pk=budget.pk).filter(eligible_signer_q(person)).exists()
        assert by_query == (signer_conflict(budget, person) is None), person.username
    assert signer_conflict(budget, cast.finance) is None  # an outside approver may sign


def test_a_late_signoff_answers_409_naming_the_status(api, cast, budget):
    marketing = UserFactory(username="late-marketing", roles=[OrgRole.MARKETING_APPROVER])
    tech = UserFactory(username="late-tech", roles=[OrgRole.TECH_APPROVER])
    budget_submit(budget=budget, actor=cast.lead)
    assert sign(api, marketing, budget, "marketing", "reject", "Too much on materials.").status_code == 201
    late = sign(api, tech, budget, "tech")  # tech never signed and can no longer read the budget
    assert late.status_code == 409
    assert "rejected" in late.json()["detail"].lower()
    # Someone without any approver role still learns nothing.
    assert sign(api, cast.outsider, budget, "tech").status_code == 404


def test_a_deputy_cannot_promote_themself_nor_remove_the_lead(api, cast):
    members = f"/api/v1/teams/{cast.team.pk}/members/"
    promote = api(cast.deputy).patch(f"{members}{cast.deputy.pk}/", {"role": "lead"}, format="json")
    assert promote.status_code == 403
    remove = api(cast.deputy).delete(f"{members}{cast.lead.pk}/")
    assert remove.status_code == 403
    roles = dict(TeamMembership.objects.filter(team=cast.team).values_list("user__username", "role"))
    assert roles[cast.deputy.username] == TeamRole.DEPUTY and roles[cast.lead.username] == TeamRole.LEAD


def test_the_last_lead_cannot_be_removed_or_demoted(api, cast):
    members = f"/api/v1/teams/{cast.team.pk}/members/"
    assert api(cast.lead).patch(f"{members}{cast.lead.pk}/", {"role": "member"}, format="json").status_code == 409
    assert api(cast.admin).delete(f"{members}{cast.lead.pk}/").status_code == 409


def test_a_budget_has_at_most_200_lines(api, cast, budget):
    many = [*LINES, *({"category": "materials", "kind": "flexible", "amount": "1.00"} for _ in range(195))]
    response = api(cast.lead).patch(f"/api/v1/budgets/{budget.pk}/", {"lines": many}, format="json")
    assert response.status_code == 400
    assert "lines" in response.json()
    assert budget.lines.count() == len(LINES)
