"""Helpers for the risk API and page tests: a register with a risk at every alert level, frozen at NOW."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import time_machine

from campaigns.services import campaign_create
from risks.models import Risk
from risks.services import risk_save
from tests.risks.conftest import NOW, TODAY


def add_risk(campaign, actor, *, days: int | None = None, **fields) -> Risk:
    """A risk written through the service (so its alert level is set), expected ``days`` from TODAY."""
    fields.setdefault("category", "technical")
    fields.setdefault("probability", 3)
    fields.setdefault("impact", 3)
    if days is not None:
        fields["expected_date"] = TODAY + dt.timedelta(days=days)
    with time_machine.travel(NOW, tick=False):
        return risk_save(campaign=campaign, actor=actor, title=fields.pop("title", "r"), **fields)


@dataclass
class Register:
    """WD-2027's risks, one per alert level plus an occurred and a mitigated one, and another team's risk."""

    red: Risk
    yellow: Risk
    blue: Risk
    calm: Risk
    occurred: Risk
    mitigated: Risk
    other: Risk
    other_campaign: object

    @property
    def ours(self) -> list[Risk]:
        return [self.red, self.yellow, self.blue, self.calm, self.occurred, self.mitigated]

    @property
    def live(self) -> list[Risk]:
        return [self.red, self.yellow, self.blue, self.calm, self.occurred]


def other_campaign(cast, code: str = "CE-2027Q1"):
    team = cast.outsider.memberships.get().team
    return campaign_create(
        actor=cast.outsider,
        team=team,
        code=code,
        name="Channel expansion",
        start_date=dt.date(2027, 1, 1),
        end_date=dt.date(2027, 3, 31),
    )


def make_register(cast, campaign) -> Register:
    lead = cast.lead
    other = other_campaign(cast)
    return Register(
        red=add_risk(campaign, lead, title="Platform failure at the peak", probability=3, impact=5, days=0,
                     owner=cast.member, cost_impact="1500000", contingency_plan="Active-active data centres"),
        yellow=add_risk(campaign, lead, title="User fatigue", category="market", probability=3, impact=4, days=3,
                        owner=cast.member, cost_impact="800000"),
        blue=add_risk(campaign, lead, title="Partner brands fail", category="partner", probability=2, impact=4,
                      days=5, owner=cast.deputy, status="monitoring"),
        calm=add_risk(campaign, lead, title="Data-pack supply", category="supply_chain", probability=1, impact=3,
                      days=30, owner=cast.lead),
        occurred=add_risk(campaign, lead, title="Call-centre overload", category="resource", probability=4, impact=3,
                          status="occurred", owner=cast.member, cost_impact="200000"),
        mitigated=add_risk(campaign, lead, title="Theme too close to last year", category="market", probability=2,
                           impact=2, days=12, status="mitigated", owner=cast.lead),
        other=add_risk(other, cast.outsider, title="Channel partners slow to sign", category="partner",
                       probability=3, impact=3, days=4, owner=cast.outsider),
        other_campaign=other,
    )  # fmt: skip
