"""Reviews of the demo campaign (SPEC 2.1, SPEC 7 seed): WD-2027's weekly standup (Mondays 10:00) and biweekly
retrospective (Fridays 16:00), chaired by the lead with the deputy and staff taking part; last week's standup
held with attendance, notes and a decision on each agenda item, published minutes and an action item for the
deputy; the previous retrospective (two weeks before this week's) scored, with its report and an improvement as an action item; the next
standup half filed (staff only).
Dates are counted from the day seed_demo runs. Idempotent: a campaign that has series is left alone."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django.db import transaction
from django.utils import timezone

from campaigns.models import Campaign
from teams.models import User

from .models import HolidayPolicy, Meeting, MeetingStatus, ReviewKind, StatusUpdate
from .services import (
    action_item_create,
    agenda_add_item,
    agenda_note_save,
    attendance_record,
    minutes_publish,
    retrospective_save,
    series_save,
)

WD_2027 = "WD-2027"
MINUTES = (
    "會議紀要 Minutes — 進度同步 Progress sync / 問題解決 Problem solving / 風險預警 Risk warnings\n\n"
    "1. 創意物料：市場部週三前向技術部提交H5需求，技術部下週一交付。Marketing hands the H5 requirements to tech "
    "by Wednesday; tech delivers next Monday.\n"
    "2. 平臺壓測：3/8峰值預案待確認。Load test for the 3/8 peak: contingency plan to be confirmed.\n"
    "3. 決定：客服增配話務專員的預算提交財務審批。Decision: the extra call-centre agents go to finance for "
    "sign-off."
)

AGENDA = [
    (
        "進度同步 Progress sync",
        "H5需求已交技術部；門店物料印刷中。The H5 requirements are with tech; store materials are at the printer.",
        "市場部週三前交需求，技術部下週一交付。Marketing hands requirements to tech by Wednesday; tech delivers "
        "next Monday.",
    ),
    (
        "問題解決 Problem solving",
        "客服話務量預計為平日3倍。Call-centre volume expected at 3× a normal day.",
        "增配30名話務專員，預算提交財務審批。30 extra agents; the budget goes to finance for sign-off.",
    ),
    (
        "風險預警 Risk warnings",
        "3/8峰值壓測未完成（黃色預警）。The 3/8 peak load test is not done (yellow alert).",
        "技術部本週內確認壓測預案。Tech confirms the load-test plan this week.",
    ),
]
RETRO_MINUTES = "雙周復盤 Biweekly retrospective — 見復盤報告 see the retrospective report."


@transaction.atomic
def seed_reviews(users: dict[str, User]) -> None:
    campaign = Campaign.objects.filter(code=WD_2027).select_related("lead", "team").first()
    if campaign is None or campaign.review_series.exists():
        return
    lead = users["lead"]
    participants = [users["lead"], users["deputy"], users["staff"]]
    zone = zoneinfo.ZoneInfo(campaign.time_zone)
    today = timezone.now().astimezone(zone).date()
    this_monday = today - dt.timedelta(days=today.weekday())
    common = {"chair": lead, "timezone": campaign.time_zone, "holiday_policy": HolidayPolicy.NEXT_WORKDAY}
    standup = series_save(campaign=campaign, actor=lead, participants=participants, kind=ReviewKind.STANDUP,
                          title="周例會 Weekly standup", weekday=0, time=dt.time(10, 0), starts_on=this_monday,
                          **common)  # fmt: skip
    retrospective = series_save(campaign=campaign, actor=lead, participants=participants, kind=ReviewKind.RETROSPECTIVE,
                title="雙周復盤 Biweekly retrospective", weekday=4, time=dt.time(16, 0), starts_on=this_monday,
                **common)  # fmt: skip

    # Last week's standup, held: before the series' first week, so the generator never touches it.
    last_monday = this_monday - dt.timedelta(weeks=1)
    held = Meeting.objects.create(
        series=standup,
        nominal_date=last_monday,
        scheduled_at=dt.datetime.combine(last_monday, dt.time(10), tzinfo=zone),
    )
    for title, notes, decision in AGENDA:
        item = agenda_add_item(meeting=held, actor=lead, title=title)
        agenda_note_save(meeting=held, actor=lead, key=item["key"], notes=notes, decision=decision)
    attendance_record(meeting=held, actor=lead, attendees=participants)
    action_item_create(meeting=held, actor=lead, title="確認3/8峰值壓測預案 Confirm the peak load-test plan",
                       owner=users["deputy"], due_date=this_monday + dt.timedelta(days=3))  # fmt: skip
    minutes_publish(meeting=held, actor=lead, minutes=MINUTES)

    # The retrospective two weeks before this week's, held and scored: before the series' first week too.
    last_friday = this_monday + dt.timedelta(days=4) - dt.timedelta(weeks=2)
    retro = Meeting.objects.create(
        series=retrospective,
        nominal_date=last_friday,
        scheduled_at=dt.datetime.combine(last_friday, dt.time(16), tzinfo=zone),
    )
    attendance_record(meeting=retro, actor=lead, attendees=participants)
    retrospective_save(
        meeting=retro,
        actor=lead,
        goal_score=4,
        goal_comment="預熱期新增會員達成目標的80%。Pre-launch sign-ups at 80 % of target.",
        efficiency_score=3,
        efficiency_comment="媒體費用超支5%。Media spend 5 % over plan.",
        innovation_score=5,
        innovation_comment="AR試妝H5反響熱烈。The AR try-on H5 page was a hit.",
        improvement_score=3,
        improvement_comment="創意物料交付偏晚。Creatives arrived late.",
        lessons="創意需求要提前兩週鎖定。Lock creative requirements two weeks earlier.",
        suggestions="峰值前一個月預訂服務器資源。Book server capacity a month before the peak.",
        responsibilities="技術部：容量；市場部：創意；客服部：話術。Tech: capacity; marketing: creatives; "
        "customer service: scripts.",
        improvements=[
            {"title": "創意需求提前兩週定稿 Creative brief final two weeks ahead", "owner": users["lead"],
             "due_date": this_monday + dt.timedelta(days=9)},
        ],
    )  # fmt: skip
    minutes_publish(meeting=retro, actor=lead, minutes=RETRO_MINUTES)

    upcoming = (
        Meeting.objects.filter(series=standup, status=MeetingStatus.SCHEDULED, scheduled_at__gt=timezone.now())
        .order_by("scheduled_at")
        .first()
    )
    if upcoming is not None:
        StatusUpdate.objects.create(
            meeting=upcoming,
            user=users["staff"],
            done="客服話務預案已完成 Call-centre plan done",
            next="培訓30名話務專員 Train the 30 extra agents",
            blockers="等待預算批准 Waiting for budget sign-off",
        )
