from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.management import call_command

from core.models import Notification
from risks.models import AlertEvent, Risk

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "day", [dt.datetime(2026, 11, 23, 3, tzinfo=dt.UTC), dt.datetime(2027, 6, 1, 20, tzinfo=dt.UTC)]
)
def test_demo_risks_show_every_alert_level_whenever_seed_demo_runs(day):
    with time_machine.travel(day, tick=False):
        call_command("seed_demo")
    levels = set(Risk.objects.filter(campaign__code="WD-2027").values_list("alert_level", flat=True))
    assert {"none", "blue", "yellow", "red"} <= levels
    titles = " ".join(Risk.objects.values_list("title", flat=True))
    for phrase in ("User fatigue", "Platform failure", "Partner brands", "compliance"):
        assert phrase in titles
    staff_yellow = Risk.objects.get(owner__username="staff", alert_level="yellow")
    assert (
        Notification.objects.filter(recipient__username="staff", verb="risk_alert", object_id=staff_yellow.pk).count()
        == 1
    )
    counts = (Risk.objects.count(), AlertEvent.objects.count(), Notification.objects.count())
    with time_machine.travel(day, tick=False):
        call_command("seed_demo")
    assert counts == (Risk.objects.count(), AlertEvent.objects.count(), Notification.objects.count())
