"""The campaign's "Channel returns" tab (SPEC 10.6): spend against new and paying members per channel, the 4321
guide, and the "Propose re-balance" action, which writes a draft budget revision for the lead to edit and submit."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from campaigns.permissions import campaign_abilities, get_campaign_for_user
from core.errors import ApplicationError
from core.formatting import cny_text
from core.permissions import Access

from ..channel_returns import channel_returns, rebalance_propose
from ..spend_guide import NOTE_POINTS


@login_required
@require_GET
def channel_returns_page(request: HttpRequest, pk: int) -> HttpResponse:
    """Whoever reads the campaign reads its channel returns; leads, deputies and admins may propose a re-balance."""
    campaign = get_campaign_for_user(request.user, pk)
    returns = channel_returns(campaign=campaign, user=request.user)
    return render(
        request,
        "dashboards/channel_returns.html",
        {
            "campaign": campaign,
            "active_tab": "channel_returns",
            **campaign_abilities(campaign),
            "returns": returns,
            "note_points": NOTE_POINTS,
        },
    )


@login_required
@require_POST
def channel_returns_rebalance(request: HttpRequest, pk: int) -> HttpResponse:
    """Create the proposed draft revision and open it in the budget editor; a refusal is a message on the tab."""
    campaign = get_campaign_for_user(request.user, pk, need=Access.MANAGE)
    back = reverse("campaigns:channel_returns", args=[campaign.pk])
    try:
        draft, proposal = rebalance_propose(campaign=campaign, actor=request.user)
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
