from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from campaigns.models import Channel
from campaigns.services import campaign_create

HEADER = "external_id,name,phone,annual_fee,age_band,consent,source_campaign,source_channel\n"


@pytest.fixture
def campaign(campaign):
    """The shared WD-2027 (tests/conftest.py) with an APP push channel that imports may name."""
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


def campaign_for(user):
    """The campaign an upload by ``user`` names (SPEC 10.1): the first they may import into; a lead or deputy
    without any campaign gets one in their team, so tests of parsing need not care. None for others."""
    from members.permissions import importable_campaigns
    from teams.models import TeamMembership

    campaign = importable_campaigns(user).order_by("pk").first()
    if campaign is None:
        membership = TeamMembership.objects.filter(user=user, role__in=["lead", "deputy"]).first()
        if membership is not None:
            campaign = campaign_create(actor=user, team=membership.team, code=f"IMP-{user.pk}", name="Imports",
                                       start_date=dt.date(2027, 1, 4), end_date=dt.date(2027, 2, 1))  # fmt: skip
    return campaign


def with_campaign(user, payload: dict) -> dict:
    if "campaign" in payload:
        return payload
    campaign = campaign_for(user)
    return {**payload, "campaign": campaign.pk} if campaign else payload


def create_job(*, actor, upload, **kwargs):
    """``import_job_create`` for the upload's natural campaign (see :func:`campaign_for`)."""
    from members.services import import_job_create

    kwargs.setdefault("campaign", campaign_for(actor))
    return import_job_create(actor=actor, upload=upload, **kwargs)
