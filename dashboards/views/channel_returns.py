"""The campaign's "Channel returns" tab (SPEC 10.6): spend against new and paying members per channel, the 4321
guide, and the "Propose re-balance" action, which writes a draft budget revision for the lead to edit and submit.

``?month=YYYY-MM`` narrows the spend and the members to one month (dashboards/channel_returns.py); the month menu
offers the months from the campaign's start to today in its time zone. A malformed month is shown as a field
error over the whole campaign's returns, never a 400 page."""

from __future__ import annotations

import zoneinfo

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from campaigns.models import Campaign
from campaigns.permissions import campaign_abilities, get_campaign_for_user
from campaigns.selectors import campaign_today
from core.errors import ApplicationError
from core.formatting import cny_text
from core.permissions import Access

from ..channel_returns import Month, channel_returns, parse_month, rebalance_propose
from ..spend_guide import NOTE_POINTS

# How many months the month menu offers, newest first.
MONTHS_OFFERED = 36


def month_choices(campaign: Campaign, chosen: Month | None = None) -> list[Month]:
    """The months from the campaign's start month (its creation date if it had none) to the current month in the
    campaign's time zone, newest first, at most MONTHS_OFFERED; a chosen month outside them is added in its place."""
    today = campaign_today(campaign)
    start = campaign.start_date or campaign.created_at.astimezone(zoneinfo.ZoneInfo(campaign.time_zone)).date()
    first = Month.of(start.year, start.month)
    months: list[Month] = []
    month = Month.of(today.year, today.month)
    while month.first >= first.first and len(months) < MONTHS_OFFERED:
        months.append(month)
        month = month.previous
    if chosen is not None and chosen not in months:
        months = sorted([*months, chosen], key=lambda m: m.first, reverse=True)
    return months


@login_required
@require_GET
def channel_returns_page(request: HttpRequest, pk: int) -> HttpResponse:
    """Whoever reads the campaign reads its channel returns; leads, deputies and admins may propose a re-balance."""
    campaign = get_campaign_for_user(request.user, pk)
    month_error = ""
    try:
        month = parse_month(request.GET.get("month"))
    except ApplicationError as exc:
        month, month_error = None, " ".join(exc.errors.get("month", [])) or str(exc.message)
    returns = channel_returns(campaign=campaign, user=request.user, month=month)
    return render(
        request,
        "dashboards/channel_returns.html",
        {
            "campaign": campaign,
            "active_tab": "channel_returns",
            **campaign_abilities(campaign),
            "returns": returns,
            "months": month_choices(campaign, month),
            "month_error": month_error,
            "note_points": NOTE_POINTS,
        },
    )


@login_required
@require_POST
def channel_returns_rebalance(request: HttpRequest, pk: int) -> HttpResponse:
    """Create the proposed draft revision and open it in the budget editor; a refusal is a message on the tab (for
    the month the proposal was made for)."""
    campaign = get_campaign_for_user(request.user, pk, need=Access.MANAGE)
    back = reverse("campaigns:channel_returns", args=[campaign.pk])
    try:
        month = parse_month(request.POST.get("month"))
        if month is not None:
            back = f"{back}?{urlencode({'month': month.label})}"
        draft, proposal = rebalance_propose(campaign=campaign, actor=request.user, month=month)
    except ApplicationError as exc:
        for text in [m for msgs in exc.errors.values() for m in msgs] or [str(exc.message)]:
            messages.error(request, text)
        return HttpResponseRedirect(back)
    messages.success(
        request,
        _(
            "Version %(v)d is a draft that moves %(amount)s from %(source)s to %(target)s. Check it, change it if "
            "you like, then submit it for the three sign-offs."
        )
        % {
            "v": draft.version,
            "amount": cny_text(proposal.amount),
            "source": proposal.source.channel.name,
            "target": proposal.target.channel.name,
        },
    )
    return HttpResponseRedirect(reverse("budgets:edit", args=[draft.pk]))
