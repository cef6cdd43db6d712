"""Kernel pages: the notification inbox with its htmx pieces, and the product's own 400/403/404/500 pages."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from core.api.exceptions import bad_request_message
from core.permissions import parse_pk
from core.selectors import notification_list, notification_unread_count
from core.services.notifications import notification_mark_read
from core.web import safe_next


@login_required
@require_GET
@vary_on_headers("HX-Request")
def inbox(request: HttpRequest) -> HttpResponse:
    show = request.GET.get("show", "all")
    qs = notification_list(user=request.user, unread_only=show == "unread")
    page = Paginator(qs, 25).get_page(request.GET.get("page"))
    context = {"page": page, "show": show}
    template = "core/inbox.html#notification-list" if request.htmx else "core/inbox.html"
    return render(request, template, context)


@login_required
@require_POST
def notification_read(request: HttpRequest, pk: int) -> HttpResponse:
    notification = notification_list(user=request.user).filter(pk=parse_pk(pk)).first()
    if notification is None:
        raise Http404(_("Not found."))
    notification_mark_read(user=request.user, notification_ids=[notification.pk])
    if request.htmx:
        notification.refresh_from_db()
        if request.POST.get("show") == "unread":
            response = HttpResponse("")  # the row leaves the "unread" list
        else:
            response = render(request, "core/inbox.html#notification-row", {"notification": notification})
        response["HX-Trigger"] = "unread-changed"
        return response
    if notification.url and request.POST.get("follow"):
        return HttpResponseRedirect(notification.url)
    return HttpResponseRedirect(safe_next(request, reverse("inbox")))


@login_required
@require_POST
def notification_read_all(request: HttpRequest) -> HttpResponse:
    count = notification_mark_read(user=request.user)
    messages.success(
        request,
        ngettext("%(count)d notification marked as read.", "%(count)d notifications marked as read.", count)
        % {"count": count},
    )
    return HttpResponseRedirect(reverse("inbox"))


@login_required
@require_GET
def unread_badge(request: HttpRequest) -> HttpResponse:
    return render(request, "base.html#unread-badge", {"unread_count": notification_unread_count(user=request.user)})


def error_400(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """Django's own 400s (a body over DATA_UPLOAD_MAX_MEMORY_SIZE, too many fields, a bad host): JSON for the
    API, as every other API error (SPEC 9); the plain page elsewhere."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": bad_request_message(exception)}, status=400)
    from django.views.defaults import bad_request

    return bad_request(request, exception)


def error_403(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "403.html", {"message": str(exception) if exception else ""}, status=403)


def error_404(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "404.html", status=404)


def error_500(request: HttpRequest) -> HttpResponse:
    # No context processors here: whatever broke may be the database they would query.
    from django.template import loader

    return HttpResponse(loader.get_template("500.html").render({}), status=500)
