from __future__ import annotations

import datetime as dt

import pytest

from campaigns.services import campaign_create

# 2027-03-01 10:00 in Shanghai
NOW = dt.datetime(2027, 3, 1, 2, 0, tzinfo=dt.UTC)
TODAY = dt.date(2027, 3, 1)


@pytest.fixture
def campaign(cast):
    return campaign_create(
        actor=cast.lead,
        team=cast.team,
        code="WD-2027",
        name="Women's Day",
        start_date=dt.date(2027, 2, 10),
        end_date=dt.date(2027, 3, 15),
    )
