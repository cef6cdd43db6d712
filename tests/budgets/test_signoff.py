"""The budget lifecycle and each of SPEC 4's seven sign-off rules."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.management import call_command

from budgets.models import Budget, BudgetLine, Signoff
from budgets.selectors import budget_diff
from budgets.services import (
    budget_create,
    budget_revise,
    budget_submit,
    budget_update,
    budget_withdraw,
    expense_record,
    pending_signers,
    signoff_record,
    signoff_reminders_send,
)
from core.errors import ApplicationError, Conflict, NotAllowed
from core.models import AuditEntry, Notification
from tests.budgets.conftest import DEMO_LINES

pytestmark = pytest.mark.django_db


def approve_all(budget, signers):
    for user, role in ((signers.finance, "finance"), (signers.marketing, "marketing"), (signers.tech, "tech")):
        signoff_record(budget=budget, signer=user, role=role, decision="approve")
    budget.refresh_from_db()
    return budget


# --- Validation --------------------------------------------------------------------------


def test_the_seed_plans_31_million_under_a_30_million_cap_is_caught(cast, campaign):
    seed_lines = [dict(line) for line in DEMO_LINES]
    seed_lines[1]["amount"] = "10000000.00"  # the seed's channel promotion: 8 + 10 + 7 + 2 + 3 + 1 = 31 M
    with pytest.raises(ApplicationError) as excinfo:
        budget_create(actor=cast.lead, campaign=campaign, total="30000000.00", lines=seed_lines)
    [message] = excinfo.value.errors["lines"]
    assert "31,000,000.00 CNY" in message
    assert "1,000,000.00 CNY more than the total cap of 30,000,000.00 CNY" in message
    assert not Budget.objects.exists()


def test_the_reserve_must_cover_the_percentage_of_the_cap(cast, campaign):
    lines = [line for line in DEMO_LINES if line["category"] != "partner_reserve"]  # reserve 1 M < 3 M
    with pytest.raises(ApplicationError) as excinfo:
        budget_create(actor=cast.lead, campaign=campaign, total="30000000.00", lines=lines)
    [message] = excinfo.value.errors["reserve_pct"]
    assert "1,000,000.00 CNY" in message and "3,000,000.00 CNY" in message and "add 2,000,000.00 CNY" in message


@pytest.mark.parametrize(
    ("lines", "fragment"),
    [
        ([], "at least one budget line"),
        ([{"category": "materials", "amount": "0"}], "greater than zero"),
        ([{"category": "materials", "amount": "-5"}], "greater than zero"),
        ([{"category": "materials", "amount": "abc"}], "as a number"),
        ([{"category": "snacks", "amount": "5"}], "choose a category"),
        ([{"category": "materials", "kind": "soft", "amount": "5"}], "rigid or flexible"),
    ],
)
def test_bad_lines_get_a_message_naming_the_line(cast, campaign, lines, fragment):
    with pytest.raises(ApplicationError) as excinfo:
        budget_create(actor=cast.lead, campaign=campaign, total="100", reserve_pct="0", lines=lines)
    assert fragment in " ".join(excinfo.value.errors["lines"])
    assert not Budget.objects.exists()


def test_only_lead_or_deputy_create_budgets(cast, campaign):
    for person in (cast.member, cast.viewer, cast.executive):
        with pytest.raises(NotAllowed):
            budget_create(actor=person, campaign=campaign, total="30000000", lines=DEMO_LINES)
    budget = budget_create(actor=cast.deputy, campaign=campaign, total="30000000", lines=DEMO_LINES)
    assert budget.version == 1 and budget.status == "draft"
    assert budget.lines.count() == 6


# --- Lifecycle -------------------------------------------------------------------------------


def test_submit_notifies_every_signer_but_the_submitter(cast, budget, signers):
    budget_submit(budget=budget, actor=cast.lead)
    budget.refresh_from_db()
    assert budget.status == "in_review" and budget.submitted_by == cast.lead
    notified = set(Notification.objects.filter(verb="budget_submitted").values_list("recipient__username", flat=True))
    assert notified == {"s-finance", "s-finance2", "s-marketing", "s-tech", "s-dual", "t-finance"}


def test_only_drafts_can_be_edited(cast, budget, signers):
    budget_update(budget=budget, actor=cast.lead, total="29000000")
    budget_submit(budget=budget, actor=cast.lead)
    with pytest.raises(Conflict):
        budget_update(budget=budget, actor=cast.lead, total="28000000")


def test_withdraw_only_before_any_signature(cast, budget, signers):
    budget_submit(budget=budget, actor=cast.lead)
    assert budget_withdraw(budget=budget, actor=cast.lead).status == "draft"
    budget_submit(budget=budget, actor=cast.lead)
    signoff_record(budget=budget, signer=signers.finance, role="finance", decision="approve")
    with pytest.raises(Conflict):
        budget_withdraw(budget=budget, actor=cast.lead)


def test_rule_1_only_holders_of_the_approver_role_sign_for_it(cast, budget, signers):
    budget_submit(budget=budget, actor=cast.lead)
    with pytest.raises(NotAllowed):
        signoff_record(budget=budget, signer=signers.marketing, role="finance", decision="approve")
    with pytest.raises(NotAllowed):
        signoff_record(budget=budget, signer=cast.executive, role="tech", decision="approve")
    assert not Signoff.objects.exists()


def test_rule_2_the_budget_must_be_in_review(cast, budget, signers):
    with pytest.raises(Conflict):
        signoff_record(budget=budget, signer=signers.finance, role="finance", decision="approve")


def test_rule_3_one_signoff_per_role_per_version(cast, budget, signers):
    budget_submit(budget=budget, actor=cast.lead)
    signoff_record(budget=budget, signer=signers.finance, role="finance", decision="approve")
    with pytest.raises(Conflict) as excinfo:
        signoff_record(budget=budget, signer=signers.finance2, role="finance", decision="approve")
    assert "already given by" in str(excinfo.value.message)
    assert Signoff.objects.count() == 1


def test_rule_4_submitter_cannot_sign(cast, campaign, signers):
    from core.permissions import forget_principal
    from core.roles import TeamRole
    from teams.services import membership_set

    membership_set(team=cast.team, user=signers.finance, role=TeamRole.DEPUTY, actor=cast.admin)
    forget_principal(signers.finance)
    budget = budget_create(actor=signers.finance, campaign=campaign, total="30000000", lines=DEMO_LINES)
    budget_submit(budget=budget, actor=signers.finance)
    with pytest.raises(NotAllowed):
        signoff_record(budget=budget, signer=signers.finance, role="finance", decision="approve")


def test_rule_4_one_person_signs_one_role_per_version(cast, budget, signers):
    budget_submit(budget=budget, actor=cast.lead)
    signoff_record(budget=budget, signer=signers.dual, role="finance", decision="approve")
    with pytest.raises(NotAllowed):
        signoff_record(budget=budget, signer=signers.dual, role="tech", decision="approve")


def test_rule_5_any_order_the_third_approval_approves(cast, budget, signers):
    budget_submit(budget=budget, actor=cast.lead)
    signoff_record(budget=budget, signer=signers.tech, role="tech", decision="approve")
    signoff_record(budget=budget, signer=signers.marketing, role="marketing", decision="approve")
    budget.refresh_from_db()
    assert budget.status == "in_review"
    signoff_record(budget=budget, signer=signers.finance, role="finance", decision="approve")
    budget.refresh_from_db()
    assert budget.status == "approved" and budget.approved_at is not None
    assert Notification.objects.filter(recipient=cast.lead, verb="budget_approved").count() == 1


def test_rule_5_a_rejection_rejects_at_once_and_keeps_earlier_approvals(cast, budget, signers):
    budget_submit(budget=budget, actor=cast.lead)
    signoff_record(budget=budget, signer=signers.finance, role="finance", decision="approve")
    with pytest.raises(ApplicationError) as excinfo:
        signoff_record(budget=budget, signer=signers.tech, role="tech", decision="reject")
    assert "comment" in excinfo.value.errors
    signoff_record(budget=budget, signer=signers.tech, role="tech", decision="reject", comment="Servers not booked")
    budget.refresh_from_db()
    assert budget.status == "rejected"
    assert budget.signoffs.count() == 2
    assert Notification.objects.filter(recipient=cast.lead, verb="budget_rejected").count() == 1
    with pytest.raises(Conflict):
        signoff_record(budget=budget, signer=signers.marketing, role="marketing", decision="approve")


def test_rule_7_approved_is_locked_and_a_revision_supersedes_it(cast, budget, signers):
    budget_submit(budget=budget, actor=cast.lead)
    approve_all(budget, signers)
    with pytest.raises(Conflict):
        budget_update(budget=budget, actor=cast.lead, total="1")
    v2 = budget_revise(budget=budget, actor=cast.lead)
    assert (v2.version, v2.status, v2.revised_from) == (2, "draft", budget)
    assert v2.lines.count() == 6 and v2.signoffs.count() == 0
    with pytest.raises(Conflict):
        budget_revise(budget=budget, actor=cast.lead)  # v2 is already being worked on
    budget_update(budget=v2, actor=cast.lead, lines=[*DEMO_LINES, {"category": "advertising", "amount": "1500000"}])
    budget_submit(budget=v2, actor=cast.lead)
    budget.refresh_from_db()
    assert budget.status == "approved"  # still the approved version while v2 is in review
    approve_all(v2, signers)
    budget.refresh_from_db()
    assert budget.status == "superseded"
    assert Budget.objects.get(pk=v2.pk).status == "approved"


def test_a_rejected_budget_is_revised_into_a_fresh_round(cast, budget, signers):
    budget_submit(budget=budget, actor=cast.lead)
    signoff_record(budget=budget, signer=signers.finance, role="finance", decision="approve")
    signoff_record(budget=budget, signer=signers.tech, role="tech", decision="reject", comment="No")
    v2 = budget_revise(budget=budget, actor=cast.lead)
    budget_submit(budget=v2, actor=cast.lead)
    signoff_record(budget=v2, signer=signers.finance, role="finance", decision="approve")  # allowed again on v2
    assert v2.signoffs.count() == 1


def test_draft_and_in_review_cannot_be_revised(cast, budget):
    with pytest.raises(Conflict):
        budget_revise(budget=budget, actor=cast.lead)


def test_a_second_budget_for_the_campaign_must_be_a_revision(cast, budget):
    with pytest.raises(Conflict):
        budget_create(actor=cast.lead, campaign=budget.campaign, total="30000000", lines=DEMO_LINES)


def test_checklist_answers(cast, budget, signers):
    budget_submit(budget=budget, actor=cast.lead)
    with pytest.raises(ApplicationError) as excinfo:
        signoff_record(
            budget=budget,
            signer=signers.finance,
            role="finance",
            decision="approve",
            checklist={"within_cap": True, "reserve_sufficient": False},
        )
    assert "reserve_sufficient" in excinfo.value.errors["checklist"][0]
    with pytest.raises(ApplicationError):
        signoff_record(
            budget=budget, signer=signers.finance, role="finance", decision="approve", checklist={"bogus": True}
        )
    with pytest.raises(ApplicationError):
        signoff_record(
            budget=budget, signer=signers.finance, role="finance", decision="approve", checklist={"within_cap": "yes"}
        )
    signoff = signoff_record(
        budget=budget,
        signer=signers.finance,
        role="finance",
        decision="approve",
        checklist={"within_cap": True, "reserve_sufficient": True, "categories_compliant": True},
    )
    assert signoff.checklist["within_cap"] is True


def test_every_step_is_in_the_audit_ledger_and_it_verifies(cast, budget, signers):
    budget_submit(budget=budget, actor=cast.lead)
    approve_all(budget, signers)
    v2 = budget_revise(budget=budget, actor=cast.lead)
    budget_submit(budget=v2, actor=cast.lead)
    approve_all(v2, signers)
    actions = list(AuditEntry.objects.filter(object_type="budgets.budget").values_list("action", flat=True))
    for action in (
        "budget.created",
        "budget.submitted",
        "budget.signed",
        "budget.approved",
        "budget.revised",
        "budget.superseded",
    ):
        assert action in actions
    assert actions.count("budget.signed") == 6
    call_command("verify_audit")


# --- Expenses, diffs, reminders ---------------------------------------------------------------


def test_expenses_burn_and_warn_once_at_90_and_alert_once_at_100(cast, budget, signers):
    budget_submit(budget=budget, actor=cast.lead)
    approve_all(budget, signers)
    line = budget.lines.get(category="materials")  # 2,000,000.00
    day = dt.date(2027, 2, 20)
    expense_record(line=line, actor=cast.lead, amount="1700000", date=day, description="Posters")
    assert not Notification.objects.filter(verb="budget_overspend").exists()
    expense_record(line=line, actor=cast.lead, amount="100000", date=day, description="H5 page")  # 90 %
    expense_record(line=line, actor=cast.lead, amount="50000", date=day, description="Reprint")  # 92.5 %
    assert Notification.objects.filter(verb="budget_overspend").count() == 1
    expense_record(line=line, actor=cast.lead, amount="150000", date=day, description="Rush")  # 100 %
    expense_record(line=line, actor=cast.lead, amount="1", date=day, description="More")
    assert Notification.objects.filter(verb="budget_overspend", recipient=cast.lead).count() == 2


def test_expenses_need_an_approved_budget_and_sane_input(cast, budget, signers):
    line = budget.lines.first()
    with pytest.raises(Conflict):
        expense_record(line=line, actor=cast.lead, amount="1", date=dt.date(2027, 2, 1), description="x")
    budget_submit(budget=budget, actor=cast.lead)
    approve_all(budget, signers)
    for amount in ("0", "-1", "abc", "1.234"):
        with pytest.raises(ApplicationError):
            expense_record(line=line, actor=cast.lead, amount=amount, date=dt.date(2027, 2, 1), description="x")
    with pytest.raises(NotAllowed):
        expense_record(line=line, actor=cast.viewer, amount="1", date=dt.date(2027, 2, 1), description="x")


def test_version_diff_names_changed_lines_and_amounts(cast, budget, signers):
    budget_submit(budget=budget, actor=cast.lead)
    approve_all(budget, signers)
    v2 = budget_revise(budget=budget, actor=cast.lead)
    lines = [dict(line) for line in DEMO_LINES if line["category"] != "materials"]
    lines[0]["amount"] = "8500000.00"
    budget_update(
        budget=v2, actor=cast.lead, lines=[*lines, {"category": "advertising", "kind": "flexible", "amount": "500000"}]
    )
    rows = {row["category"]: row for row in budget_diff(budget, v2)}
    assert rows["tech_development"]["change"] == "changed" and rows["tech_development"]["delta"] == Decimal("500000.00")
    assert rows["materials"]["change"] == "removed" and rows["materials"]["delta"] == Decimal("-2000000.00")
    assert rows["advertising"]["change"] == "added"
    assert rows["emergency"]["change"] == "unchanged"


def test_reminders_go_once_per_signer_per_day(cast, budget, signers):
    budget_submit(budget=budget, actor=cast.lead)
    signoff_record(budget=budget, signer=signers.finance, role="finance", decision="approve")
    day = dt.date(2027, 1, 5)
    budget.refresh_from_db()
    pending = {u.username for u in pending_signers(budget)}
    assert pending == {"s-marketing", "s-tech", "s-dual"}  # finance is signed; finance2 no longer needed
    assert signoff_reminders_send(day=day) == 3
    assert signoff_reminders_send(day=day) == 0
    assert Notification.objects.filter(verb="budget_reminder").count() == 3
    assert signoff_reminders_send(day=day + dt.timedelta(days=1)) == 3


def test_line_amount_constraint_in_the_database(budget):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        BudgetLine.objects.create(budget=budget, category="other", amount=Decimal("-1"))


def test_reminder_job_runs_on_working_days_only(cast, budget, signers):
    import time_machine

    from budgets.tasks import remind_pending_signers

    budget_submit(budget=budget, actor=cast.lead)
    with time_machine.travel(dt.datetime(2027, 1, 9, 2, 0, tzinfo=dt.UTC)):  # Saturday in Shanghai
        assert remind_pending_signers() == 0
    with time_machine.travel(dt.datetime(2027, 1, 11, 2, 0, tzinfo=dt.UTC)):  # Monday
        assert remind_pending_signers() == 6
        assert remind_pending_signers() == 0


def test_reminder_is_registered_as_a_periodic_job():
    from django_celery_beat.models import PeriodicTask

    task = PeriodicTask.objects.get(task="budgets.remind_pending_signers")
    assert (task.crontab.hour, task.crontab.minute, str(task.crontab.timezone)) == ("9", "30", "Asia/Shanghai")


def test_demo_budgets():
    call_command("seed_demo")
    wd = Budget.objects.get(campaign__code="WD-2027")
    assert (wd.status, wd.total, wd.version) == ("in_review", Decimal("30000000.00"), 1)
    assert sum(line.amount for line in wd.lines.all()) == Decimal("28000000.00")
    assert sum(line.amount for line in wd.lines.filter(kind="rigid")) == Decimal("22000000.00")
    assert Budget.objects.get(campaign__code="WD-2026").status == "approved"
    assert Budget.objects.get(campaign__code="CE-2027Q1").status == "draft"
    counts = (Budget.objects.count(), Notification.objects.count(), AuditEntry.objects.count())
    call_command("seed_demo")
    assert counts == (Budget.objects.count(), Notification.objects.count(), AuditEntry.objects.count())
    call_command("verify_audit")
