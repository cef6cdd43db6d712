"""The demo organisation and data: calls each app's own ``demo.py`` (teams, campaigns, budgets, risks, members,
reviews) in dependency order and reports what is there."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from budgets.demo import seed_budgets
from budgets.models import Budget
from campaigns.demo import DEMO_CAMPAIGN_CODES, seed_campaigns
from campaigns.models import Campaign
from members.demo import seed_members
from reviews.demo import seed_reviews
from risks.demo import seed_risks
from risks.models import Risk
from teams.demo import DEMO_PASSWORD, PERSONAS, seed_organisation


class Command(BaseCommand):
    help = "Create the demo organisation and data (idempotent: a second run leaves existing rows as they are)."

    def handle(self, *args, **options) -> None:
        before = set(Campaign.objects.filter(code__in=DEMO_CAMPAIGN_CODES).values_list("code", flat=True))
        users = seed_organisation()
        seed_campaigns(users)
        seed_budgets(users)
        seed_risks(users)
        members = seed_members(users)
        seed_reviews(users)
        campaigns = Campaign.objects.filter(code__in=DEMO_CAMPAIGN_CODES).select_related("team").order_by("start_date")
        for campaign in campaigns:
            state = "already present" if campaign.code in before else "created"
            self.stdout.write(
                f"Campaign {campaign.code} {campaign.name} ({campaign.team.code}, {campaign.status}, "
                f"{campaign.start_date}–{campaign.end_date}): {state}; "
                f"{campaign.phases.count()} phases, {campaign.milestones.count()} milestones, "
                f"{campaign.tasks.count()} tasks, {campaign.channels.count()} channels, {campaign.kpis.count()} KPIs"
            )
        for budget in Budget.objects.filter(campaign__code__in=DEMO_CAMPAIGN_CODES).select_related("campaign"):
            self.stdout.write(f"Budget {budget} ({budget.get_status_display()}, cap {budget.total})")
        levels = Risk.objects.filter(campaign__code__in=DEMO_CAMPAIGN_CODES).values_list("alert_level", flat=True)
        self.stdout.write(
            "Risks by alert level: "
            + ", ".join(f"{lv} {list(levels).count(lv)}" for lv in ("red", "yellow", "blue", "none"))
        )
        self.stdout.write(
            f"Members: {members['members']} ({members['created']} created) — tiers "
            + ", ".join(f"{code} {n}" for code, n in members["tiers"].items())
            + f"; near threshold {members['near_threshold']}; conversion {members['conversion'] or 0:.1%}; "
            f"{members['benefits']} benefits, redemption {members['redemption_rate'] or 0:.1%}"
        )
        self.stdout.write(self.style.SUCCESS("Demo data is in place."))
        self.stdout.write(f"Demo logins (password {DEMO_PASSWORD}): " + ", ".join(p[0] for p in PERSONAS))
