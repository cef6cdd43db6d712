"""Reach channels of a campaign: the list, adding one, deleting one."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from core.errors import ApplicationError
from core.permissions import Access
from core.web import apply_service_errors

from .. import services
from ..forms.work import ChannelForm
from ..models import Campaign, Channel
from ..permissions import get_campaign_for_user
from ._common import writable


def _channels_context(campaign: Campaign, *, form: ChannelForm | None = None) -> dict[str, Any]:
    can_write = writable(campaign)
    context = {
        "campaign": campaign,
        "active_tab": "channels",
        "channels": list(Channel.objects.filter(campaign=campaign)),
        "can_write": can_write,
    }
    if can_write:
        context["form"] = form or ChannelForm(campaign=campaign)
    return context


@login_required
@require_GET
@vary_on_headers("HX-Request")
def channels(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = get_campaign_for_user(request.user, pk, need=Access.READ)
    template = "campaigns/work_channels.html#channel-list" if request.htmx else "campaigns/work_channels.html"
    return render(request, template, _channels_context(campaign))


@login_required
@require_POST
def channel_create(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = get_campaign_for_user(request.user, pk, need=Access.WRITE)
    form = ChannelForm(request.POST, campaign=campaign)
    if form.is_valid():
        try:
            channel = services.channel_save(campaign=campaign, actor=request.user, **form.cleaned_data)
        except ApplicationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("Channel “%(name)s” added.") % {"name": channel.name})
            return HttpResponseRedirect(reverse("campaigns:channels", args=[campaign.pk]))
    return render(request, "campaigns/work_channels.html", _channels_context(campaign, form=form), status=400)


@login_required
@require_POST
def channel_delete(request: HttpRequest, pk: int, channel_pk: int) -> HttpResponse:
    campaign = get_campaign_for_user(request.user, pk, need=Access.WRITE)
    channel = get_object_or_404(Channel.objects.filter(campaign=campaign), pk=channel_pk)
    name = channel.name
    services.channel_delete(channel=channel, actor=request.user)
    messages.success(request, _("Channel “%(name)s” deleted.") % {"name": name})
    return HttpResponseRedirect(reverse("campaigns:channels", args=[campaign.pk]))


urlpatterns = [
    path("<int:pk>/channels/", channels, name="channels"),
    path("<int:pk>/channels/add/", channel_create, name="channel_create"),
    path("<int:pk>/channels/<int:channel_pk>/delete/", channel_delete, name="channel_delete"),
]
