from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from campaigns.models import Channel
from campaigns.services import campaign_create

HEADER = "external_id,name,phone,annual_fee,age_band,consent,source_campaign,source_channel\n"


@pytest.fixture
def campaign(cast):
    campaign = campaign_create(
        actor=cast.lead,
        team=cast.team,
        code="WD-2027",
        name="Women's Day",
        start_date=dt.date(2027, 2, 10),
        end_date=dt.date(2027, 3, 15),
    )
    Channel.objects.create(campaign=campaign, type="app_push", name="APP推送 App push")
    return campaign


def upload(text: str, *, name: str = "members.csv", encoding: str = "utf-8") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode(encoding), content_type="text/csv")


def xlsx(rows: list[list]) -> SimpleUploadedFile:
    import openpyxl

    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return SimpleUploadedFile("members.xlsx", buffer.getvalue())
