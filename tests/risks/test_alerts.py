"""SPEC 5: bands, alert levels at every boundary, exactly-once escalation, acknowledgement, 24 h escalation."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.management import call_command

from core.errors import Conflict, NotAllowed
from core.models import AuditEntry, Notification
from risks.alerts import alert_level_for, escalate_unacknowledged, refresh_alert_levels
from risks.models import AlertEvent, Risk, band_for, band_q
from risks.services import risk_acknowledge, risk_save
from tests.risks.conftest import NOW, TODAY

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("score", "band"),
    [
        (1, "low"),
        (4, "low"),
        (5, "medium"),
        (9, "medium"),
        (10, "high"),
        (16, "high"),
        (20, "critical"),
        (25, "critical"),
    ],
)
def test_band_boundaries(score, band):
    assert band_for(score) == band


def test_band_filter_matches_the_band_of_every_possible_score(cast, campaign):
    for p in range(1, 6):
        for i in range(1, 6):
            Risk.objects.create(campaign=campaign, title=f"{p}x{i}", category="market", probability=p, impact=i)
    for band in ("low", "medium", "high", "critical"):
        for risk in Risk.objects.filter(band_q(band)):
            assert risk.band == band
    assert Risk.objects.count() == sum(
        Risk.objects.filter(band_q(b)).count() for b in ("low", "medium", "high", "critical")
    )


EXPECTED = {8: "none", 7: "blue", 4: "blue", 3: "yellow", 1: "yellow", 0: "red", -1: "red"}


@pytest.mark.parametrize("days", sorted(EXPECTED))
@pytest.mark.parametrize("status", ["open", "monitoring", "occurred", "mitigated", "closed"])
def test_alert_level_at_each_boundary_and_status(cast, campaign, days, status):
    expected = {"occurred": "red", "mitigated": "none", "closed": "none"}.get(status, EXPECTED[days])
    date = TODAY + dt.timedelta(days=days)
    assert alert_level_for(status=status, expected_date=date, today=TODAY) == expected
    with time_machine.travel(NOW, tick=False):
        risk = risk_save(
            campaign=campaign,
            actor=cast.member,
            title="r",
            category="technical",
            probability=3,
            impact=4,
            expected_date=date,
            status=status,
        )
    assert risk.alert_level == expected  # set on write, in the database


def test_no_expected_date_means_no_alert_unless_occurred(cast, campaign):
    assert alert_level_for(status="open", expected_date=None, today=TODAY) == "none"
    assert alert_level_for(status="occurred", expected_date=None, today=TODAY) == "red"


def test_today_is_the_campaigns_local_day(cast, campaign):
    # 2027-03-01 18:00 UTC is already 2 March in Shanghai: a risk expected on 2 March is red there.
    campaign.time_zone = "Asia/Shanghai"
    campaign.save()
    with time_machine.travel(dt.datetime(2027, 3, 1, 18, 0, tzinfo=dt.UTC), tick=False):
        risk = risk_save(
            campaign=campaign,
            actor=cast.member,
            title="r",
            category="market",
            probability=2,
            impact=2,
            expected_date=dt.date(2027, 3, 2),
        )
    assert risk.alert_level == "red"


def test_written_straight_into_a_level_records_one_event_and_one_notification(cast, campaign):
    with time_machine.travel(NOW, tick=False):
        risk = risk_save(
            campaign=campaign,
            actor=cast.lead,
            title="Platform outage",
            category="technical",
            probability=4,
            impact=5,
            owner=cast.member,
            expected_date=TODAY + dt.timedelta(days=2),
        )
    assert risk.alert_level == "yellow"
    assert list(AlertEvent.objects.values_list("previous_level", "level")) == [("none", "yellow")]
    assert list(Notification.objects.values_list("recipient__username", "verb", "object_id")) == [
        ("t-member", "risk_alert", risk.pk)
    ]


def test_the_job_run_twice_notifies_each_escalation_once(cast, campaign):
    with time_machine.travel(NOW, tick=False):
        risk = risk_save(
            campaign=campaign,
            actor=cast.lead,
            title="Partner fails",
            category="partner",
            probability=3,
            impact=3,
            owner=cast.member,
            expected_date=TODAY + dt.timedelta(days=10),
        )
    assert risk.alert_level == "none"
    later = NOW + dt.timedelta(days=3)  # d = 7 → blue
    assert refresh_alert_levels(now=later).escalations == 1
    assert refresh_alert_levels(now=later).escalations == 0
    assert refresh_alert_levels(now=later + dt.timedelta(hours=5)).escalations == 0
    assert AlertEvent.objects.filter(risk=risk).count() == 1
    assert Notification.objects.filter(verb="risk_alert").count() == 1
    # Red goes to the owner and the lead.
    refresh_alert_levels(now=NOW + dt.timedelta(days=10))
    risk.refresh_from_db()
    assert risk.alert_level == "red"
    red = Notification.objects.filter(verb="risk_alert").order_by("-id")[:2]
    assert {n.recipient.username for n in red} == {"t-member", "t-lead"}
    assert AlertEvent.objects.filter(risk=risk).count() == 2


def test_moving_the_date_closer_escalates_and_moving_it_away_does_not_notify(cast, campaign):
    with time_machine.travel(NOW, tick=False):
        risk = risk_save(
            campaign=campaign,
            actor=cast.lead,
            title="Fatigue",
            category="market",
            probability=3,
            impact=3,
            owner=cast.member,
            expected_date=TODAY + dt.timedelta(days=6),
        )
        assert risk.alert_level == "blue"
        risk = risk_save(campaign=campaign, actor=cast.lead, risk=risk, expected_date=TODAY + dt.timedelta(days=1))
        assert risk.alert_level == "yellow"
        risk = risk_save(campaign=campaign, actor=cast.lead, risk=risk, expected_date=TODAY + dt.timedelta(days=30))
        assert risk.alert_level == "none"
    assert list(AlertEvent.objects.order_by("id").values_list("level", flat=True)) == ["blue", "yellow"]
    assert Notification.objects.count() == 2


def test_acknowledgement_by_owner_or_lead_only(cast, campaign):
    with time_machine.travel(NOW, tick=False):
        risk = risk_save(
            campaign=campaign,
            actor=cast.lead,
            title="Compliance",
            category="compliance",
            probability=2,
            impact=5,
            owner=cast.member,
            expected_date=TODAY + dt.timedelta(days=2),
        )
    with pytest.raises(NotAllowed):
        risk_acknowledge(risk=risk, actor=cast.viewer)
    with pytest.raises(NotAllowed):
        risk_acknowledge(risk=risk, actor=cast.executive)
    risk = risk_acknowledge(risk=risk, actor=cast.member)
    assert risk.acknowledged_by == cast.member
    with pytest.raises(Conflict):
        risk_acknowledge(risk=risk, actor=cast.member)
    assert AuditEntry.objects.filter(action="risk.acknowledged").count() == 1


def test_unacknowledged_yellow_escalates_to_the_lead_once_after_24_hours(cast, campaign):
    with time_machine.travel(NOW, tick=False):
        risk_save(
            campaign=campaign,
            actor=cast.lead,
            title="Supply",
            category="supply_chain",
            probability=3,
            impact=4,
            owner=cast.member,
            expected_date=TODAY + dt.timedelta(days=3),
        )
    assert escalate_unacknowledged(now=NOW + dt.timedelta(hours=23)) == 0
    assert escalate_unacknowledged(now=NOW + dt.timedelta(hours=24)) == 1
    assert escalate_unacknowledged(now=NOW + dt.timedelta(hours=30)) == 0
    to_lead = Notification.objects.filter(recipient=cast.lead, verb="risk_alert")
    assert to_lead.count() == 1 and "Escalated" in to_lead.get().text


def test_acknowledged_alerts_do_not_escalate_but_a_new_level_needs_a_new_acknowledgement(cast, campaign):
    with time_machine.travel(NOW, tick=False):
        risk = risk_save(
            campaign=campaign,
            actor=cast.lead,
            title="Supply",
            category="supply_chain",
            probability=3,
            impact=4,
            owner=cast.member,
            expected_date=TODAY + dt.timedelta(days=3),
        )
        risk_acknowledge(risk=risk, actor=cast.member)
    assert escalate_unacknowledged(now=NOW + dt.timedelta(hours=25)) == 0
    refresh_alert_levels(now=NOW + dt.timedelta(days=3))  # now red
    risk.refresh_from_db()
    assert (risk.alert_level, risk.acknowledged_at) == ("red", None)
    assert escalate_unacknowledged(now=NOW + dt.timedelta(days=4, hours=1)) == 1


def test_mitigating_clears_the_alert(cast, campaign):
    with time_machine.travel(NOW, tick=False):
        risk = risk_save(
            campaign=campaign,
            actor=cast.lead,
            title="x",
            category="market",
            probability=3,
            impact=3,
            expected_date=TODAY,
        )
        assert risk.alert_level == "red"
        assert risk_save(campaign=campaign, actor=cast.lead, risk=risk, status="mitigated").alert_level == "none"


def test_thresholds_are_organisation_settings(cast, campaign, settings):
    settings.RISK_ALERT_BLUE_DAYS, settings.RISK_ALERT_YELLOW_DAYS = 14, 5
    assert alert_level_for(status="open", expected_date=TODAY + dt.timedelta(days=14), today=TODAY) == "blue"
    assert alert_level_for(status="open", expected_date=TODAY + dt.timedelta(days=5), today=TODAY) == "yellow"
    with time_machine.travel(NOW, tick=False):
        risk = risk_save(
            campaign=campaign,
            actor=cast.lead,
            title="x",
            category="market",
            probability=3,
            impact=3,
            expected_date=TODAY + dt.timedelta(days=12),
        )
    assert risk.alert_level == "blue"


def test_refresh_command(cast, campaign, capsys):
    with time_machine.travel(NOW, tick=False):
        Risk.objects.create(
            campaign=campaign,
            title="bulk",
            category="market",
            probability=3,
            impact=3,
            expected_date=TODAY,
            owner=cast.member,
        )
        call_command("refresh_risk_alerts")
    assert "escalations: 1" in capsys.readouterr().out


def test_write_rules(cast, campaign):
    from core.errors import ApplicationError

    for bad in (
        {"probability": 6},
        {"impact": 0},
        {"probability": "high"},
        {"category": "weather"},
        {"owner": cast.viewer},
        {"cost_impact": "-5"},
        {"title": "  "},
    ):
        fields = {"title": "t", "category": "market", "probability": 3, "impact": 3, **bad}
        with pytest.raises(ApplicationError) as excinfo:
            risk_save(campaign=campaign, actor=cast.lead, **fields)
        assert set(bad) & set(excinfo.value.errors), bad
    with pytest.raises(NotAllowed):
        risk_save(campaign=campaign, actor=cast.viewer, title="t", category="market", probability=3, impact=3)
    assert not Risk.objects.exists()
