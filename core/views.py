"""Kernel pages: the notification inbox with its htmx pieces, and the product's own 400/403/404/500 pages."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponsePermanentRedirect,
    HttpResponseRedirect,
    JsonResponse,
)
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from core.api.exceptions import bad_request_message
from core.calendar import packaged_knows, year_known
from core.errors import ApplicationError
from core.forms import CalendarDaysForm
from core.models import CalendarDay, DigestChoice, NotificationVerb
from core.permissions import parse_pk, principal_for
from core.selectors import calendar_entries, notification_list, notification_unread_count, packaged_days
from core.services.calendar import calendar_day_delete, calendar_days_set
from core.services.notifications import (
    notification_mark_read,
    notification_settings_as_dict,
    notification_settings_for,
    notification_settings_save,
)
from core.web import apply_service_errors, safe_next


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


@require_GET
def favicon(request: HttpRequest) -> HttpResponse:
    """``/favicon.ico``, which browsers ask for on pages without an icon link (Swagger UI, raw API answers): the
    product's icon, by a permanent redirect to the static file (cached by the browser after the first time)."""
    return HttpResponsePermanentRedirect(static("concord/favicon.svg"))


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


# --- The working calendar (SPEC 10.4) ------------------------------------------------------------------------


@login_required
def working_calendar_page(request: HttpRequest) -> HttpResponse:
    """A year of the working calendar: the entries (administrators add and remove them) and, for a year the
    packaged statutory calendar covers, its holidays and make-up working days for reference."""
    today = timezone.localdate()
    year = request.GET.get("year", "")
    year = int(year) if year.isdigit() and 2000 <= int(year) <= 2100 else today.year
    is_admin = principal_for(request.user).is_admin
    form = CalendarDaysForm(initial={"start": dt.date(year, 1, 1)})
    if request.method == "POST":
        if not is_admin:
            raise PermissionDenied(_("Only an administrator can change the working calendar."))
        form = CalendarDaysForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                rows = calendar_days_set(actor=request.user, start=data["start"], end=data["end"], kind=data["kind"],
                                         name=data["name"])  # fmt: skip
            except ApplicationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(
                    request,
                    ngettext(
                        "%(count)d day entered. Meetings on the days that changed are being moved; their chairs are told.",
                        "%(count)d days entered. Meetings on the days that changed are being moved; their chairs are told.",
                        len(rows),
                    )
                    % {"count": len(rows)},
                )
                return HttpResponseRedirect(f"{reverse('working_calendar')}?year={data['start'].year}")
    context = {
        "year": year,
        "years": [year - 1, year, year + 1],
        "entries": calendar_entries(year),
        "packaged": packaged_days(year),
        "packaged_known": packaged_knows(year),
        "known": year_known(year),
        "is_admin": is_admin,
        "form": form,
    }
    return render(request, "core/working_calendar.html", context, status=400 if form.errors else 200)


@login_required
@require_POST
def working_calendar_delete(request: HttpRequest, day: str) -> HttpResponse:
    if not principal_for(request.user).is_admin:
        raise PermissionDenied(_("Only an administrator can change the working calendar."))
    try:
        date = dt.date.fromisoformat(day)
    except ValueError:
        raise Http404(_("Not found.")) from None
    entry = CalendarDay.objects.filter(date=date).first()
    if entry is None:
        raise Http404(_("Not found."))
    calendar_day_delete(actor=request.user, day=entry)
    messages.success(request, _("Entry removed: the packaged calendar decides that day again."))
    return HttpResponseRedirect(f"{reverse('working_calendar')}?year={date.year}")


# --- Notification settings (SPEC 10.4) --------------------------------------------------------------------------


@login_required
def notification_settings_page(request: HttpRequest) -> HttpResponse:
    """Per kind, email and chat on or off, and the daily digest; the inbox always receives everything."""
    current = notification_settings_for(request.user)
    if request.method == "POST":
        changes = {
            "email": {verb: f"email_{verb}" in request.POST for verb in NotificationVerb.values},
            "chat": {verb: f"chat_{verb}" in request.POST for verb in NotificationVerb.values},
            "digest": request.POST.get("digest", ""),
        }
        try:
            notification_settings_save(user=request.user, changes=changes)
        except ApplicationError as exc:
            for errors in exc.errors.values():
                for error in errors:
                    messages.error(request, error)
        else:
            messages.success(request, _("Notification settings saved."))
            return HttpResponseRedirect(reverse("notification_settings"))
    shape = notification_settings_as_dict(current)
    rows = [
        {"verb": verb, "label": label, "email": shape["email"][verb], "chat": shape["chat"][verb]}
        for verb, label in NotificationVerb.choices
    ]
    context = {"rows": rows, "digest": shape["digest"], "digest_choices": DigestChoice.choices}
    return render(request, "core/notification_settings.html", context, status=400 if request.method == "POST" else 200)
