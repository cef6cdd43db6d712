"""The personal calendar feed (SPEC 10.3): the page that shows its URL (copy, reset), and the feed itself, which
calendar apps fetch without a session — its secret path is the only key."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from ..calendar_feed import calendar_feed_reset, calendar_feed_url, calendar_ics, user_for_feed_token


@login_required
@require_http_methods(["GET", "POST"])
def calendar_feed_page(request: HttpRequest) -> HttpResponse:
    """The user's feed URL with copy and reset buttons; POST resets it (the old URL then answers 404)."""
    if request.method == "POST":
        calendar_feed_reset(user=request.user)
        messages.success(request, _("Your calendar address was changed. Subscribe again with the new one."))
        return HttpResponseRedirect(reverse("calendar_feed_page"))
    return render(
        request, "dashboards/calendar_feed.html", {"feed_url": calendar_feed_url(user=request.user, request=request)}
    )


@require_GET
def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    """``text/calendar`` for the token's user; 404 for any token that is not current."""
    user = user_for_feed_token(token)
    if user is None:
        raise Http404(_("Not found."))
    with translation.override(user.language or settings.LANGUAGE_CODE):  # the subscriber's language, not the app's
        body = calendar_ics(user=user, base_url=request.build_absolute_uri("/").rstrip("/"))
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="concord.ics"'
    response["Cache-Control"] = "private, max-age=300"
    response["X-Robots-Tag"] = "noindex"
    return response
