from __future__ import annotations

import datetime as dt

import pytest

from reviews.services import series_save
from tests.factories import CampaignFactory


@pytest.fixture
def campaign(cast):
    """Autumn 2025, so that the meeting calendar crosses the National Day holiday."""
    return CampaignFactory(
        actor=cast.lead,
        team=cast.team,
        code="WD-R",
        name="Reviews",
        start_date=dt.date(2025, 9, 1),
        end_date=dt.date(2025, 12, 31),
    )


def make_series(cast, campaign, **kw):
    fields = {
        "kind": "standup",
        "weekday": 2,
        "time": dt.time(10, 0),
        "starts_on": dt.date(2025, 9, 1),
        "chair": cast.lead,
        "holiday_policy": "next_workday",
        **kw,
    }
    return series_save(campaign=campaign, actor=cast.lead, participants=[cast.lead, cast.member, cast.viewer], **fields)
