"""The review pages: the list of series and upcoming meetings, a new series, a meeting's page (agenda, status
updates, action items, minutes) and the chair's standup mode (one agenda item at a time, action items, publish).

Thin views: a form parses, reviews.services / reviews.agenda decide, a template renders. Access goes through
reviews.permissions / campaigns.permissions: 404 for outsiders, 403 for read-only people who try to write;
running the meeting is the chair's (or the campaign lead's), and the service's NotAllowed becomes a 403.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from campaigns.models import Campaign
from campaigns.permissions import campaign_policy, get_campaign_for_user
from campaigns.services import campaign_members
from core.errors import ApplicationError, Conflict, NotAllowed
from core.permissions import Access, principal_for
from core.web import apply_service_errors
from teams.models import User

from .forms import (
    ActionItemForm,
    AgendaItemForm,
    AgendaMoveForm,
    AgendaNoteForm,
    AttendanceForm,
    ImprovementFormSet,
    MinutesForm,
    RetrospectiveForm,
    SeriesForm,
    StatusUpdateForm,
)
from .models import ActionItem, Meeting, MeetingStatus, Retrospective, ReviewKind, ReviewSeries, StatusUpdate
from .permissions import meeting_policy
from .selectors import agenda_with_notes
from .services import (
    action_item_create,
    action_item_to_task,
    agenda_add_item,
    agenda_move_item,
    agenda_note_save,
    attendance_record,
    meeting_open,
    minutes_draft_save,
    minutes_publish,
    retrospective_save,
    series_save,
    status_update_file,
)

UPCOMING_SHOWN = 20
RECENT_SHOWN = 10


# --- Shared pieces ---------------------------------------------------------------------------------


def _redirect(name: str, *args: Any, anchor: str = "", query: str = "") -> HttpResponseRedirect:
    return HttpResponseRedirect(reverse(name, args=args) + (f"?{query}" if query else "") + anchor)


def get_meeting_for_user(user: Any, pk: Any, *, need: Access = Access.READ) -> Meeting:
    """The meeting, seen through its campaign's rule: 404 when invisible, 403 when ``need`` is not met."""
    queryset = Meeting.objects.select_related(
        "series__campaign__team", "series__campaign__lead", "series__chair"
    ).prefetch_related("agenda_notes")
    return meeting_policy.get(user, queryset, pk, need=need)


def _chairs(meeting: Meeting, user: Any) -> bool:
    """Whether the user runs this meeting (display only; reviews.agenda enforces the same rule)."""
    series = meeting.series
    return meeting.access >= Access.WRITE and user.pk in (series.chair_id, series.campaign.lead_id)


def _owners(campaign: Campaign) -> list[User]:
    """Who may own an action item: the team's leads, deputies and members."""
    return list(User.objects.filter(campaign_members(campaign)).distinct().order_by("display_name", "username"))


# --- List and new series ---------------------------------------------------------------------------


@login_required
@require_GET
def review_list(request: HttpRequest) -> HttpResponse:
    """Series and upcoming meetings of every campaign the user can see."""
    campaigns = campaign_policy.visible(request.user, Campaign.objects.all())
    series = list(
        ReviewSeries.objects.filter(campaign__in=campaigns)
        .select_related("campaign", "chair")
        .order_by("campaign__code", "kind", "id")
    )
    meetings = Meeting.objects.filter(series__campaign__in=campaigns).select_related("series__campaign")
    now = timezone.now()
    upcoming = list(
        meetings.filter(scheduled_at__gte=now, status=MeetingStatus.SCHEDULED).order_by("scheduled_at")[:UPCOMING_SHOWN]
    )
    recent = list(meetings.filter(published_at__isnull=False).order_by("-scheduled_at")[:RECENT_SHOWN])
    principal = principal_for(request.user)
    writable = [
        c for c in campaigns.order_by("code") if principal.is_admin or principal.team_access(c.team_id) >= Access.WRITE
    ]
    return render(
        request,
        "reviews/review_list.html",
        {"series": series, "upcoming": upcoming, "recent": recent, "writable": writable},
    )


@login_required
def series_create(request: HttpRequest) -> HttpResponse:
    """A new series in ``?campaign=`` (team members only); its coming meetings exist once it is saved."""
    if not request.GET.get("campaign"):
        principal = principal_for(request.user)
        writable = [
            c
            for c in campaign_policy.visible(request.user, Campaign.objects.order_by("code"))
            if principal.is_admin or principal.team_access(c.team_id) >= Access.WRITE
        ]
        return render(request, "reviews/series_start.html", {"campaigns": writable})
    campaign = get_campaign_for_user(request.user, request.GET["campaign"], need=Access.WRITE)
    members = list(
        User.objects.filter(memberships__team_id=campaign.team_id).distinct().order_by("display_name", "username")
    )
    form = SeriesForm(
        request.POST or None,
        chairs=_owners(campaign),
        members=members,
        initial={"chair": campaign.lead_id, "starts_on": timezone.localdate()},
    )
    if request.method == "POST" and form.is_valid():
        try:
            series = series_save(
                campaign=campaign,
                actor=request.user,
                participants=form.cleaned_data["participants"],
                timezone=campaign.time_zone,
                **form.series_fields(),
            )
        except NotAllowed as exc:
            raise PermissionDenied(str(exc.message)) from None
        except ApplicationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(
                request, _("Series “%(series)s” created; its meetings are scheduled.") % {"series": series}
            )
            return _redirect("reviews:list")
    return render(
        request,
        "reviews/series_form.html",
        {"form": form, "campaign": campaign},
        status=400 if request.method == "POST" else 200,
    )


# --- One meeting -----------------------------------------------------------------------------------


def _retrospective(meeting: Meeting) -> Retrospective | None:
    if meeting.series.kind != ReviewKind.RETROSPECTIVE:
        return None
    return Retrospective.objects.filter(meeting=meeting).first()


def _meeting_context(request: HttpRequest, meeting: Meeting, **forms: Any) -> dict[str, Any]:
    series = meeting.series
    participants = list(series.participants.order_by("display_name", "username"))
    updates = {u.user_id: u for u in StatusUpdate.objects.filter(meeting=meeting).select_related("user")}
    is_participant = any(p.pk == request.user.pk for p in participants) or request.user.pk == series.chair_id
    can_write = meeting.access >= Access.WRITE
    can_file = can_write and is_participant and meeting.status == MeetingStatus.SCHEDULED
    chairs = _chairs(meeting, request.user)
    mine = updates.get(request.user.pk)
    status_form = forms.get("status_form")
    if status_form is None and can_file:
        initial = {"done": mine.done, "next": mine.next, "blockers": mine.blockers} if mine else None
        status_form = StatusUpdateForm(initial=initial)
    return {
        "meeting": meeting,
        "series": series,
        "campaign": series.campaign,
        "zone": series.timezone,
        "agenda": agenda_with_notes(meeting),
        "attendees": list(meeting.attendees.order_by("display_name", "username")),
        "retrospective": _retrospective(meeting),
        "can_write": can_write,
        "chairs": chairs,
        "status_form": status_form,
        "my_update": mine,
        "filed": [updates[p.pk] for p in participants if p.pk in updates],
        "not_filed": [p for p in participants if p.pk not in updates],
        "participants": participants,
        "action_items": list(meeting.action_items.select_related("owner")),
        "is_upcoming": meeting.scheduled_at >= timezone.now(),
    }


@login_required
@require_GET
def meeting_detail(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = get_meeting_for_user(request.user, pk)
    return render(request, "reviews/meeting_detail.html", _meeting_context(request, meeting))


@login_required
@require_POST
def meeting_status_update(request: HttpRequest, pk: int) -> HttpResponse:
    """A participant files (or corrects) their own done / next / blockers before the meeting."""
    meeting = get_meeting_for_user(request.user, pk, need=Access.WRITE)
    form = StatusUpdateForm(request.POST)
    if not form.is_valid():
        context = _meeting_context(request, meeting, status_form=form)
        return render(request, "reviews/meeting_detail.html", context, status=400)
    try:
        status_update_file(meeting=meeting, user=request.user, **form.cleaned_data)
    except NotAllowed as exc:
        raise PermissionDenied(str(exc.message)) from None
    except Conflict as exc:
        messages.error(request, str(exc.message))
        return _redirect("reviews:meeting", meeting.pk)
    messages.success(request, _("Your status update is filed."))
    return _redirect("reviews:meeting", meeting.pk, anchor="#status")


@login_required
@require_POST
def meeting_open_view(request: HttpRequest, pk: int) -> HttpResponse:
    """The chair builds (or refreshes) the agenda from the campaign's live state."""
    meeting = get_meeting_for_user(request.user, pk, need=Access.WRITE)
    try:
        meeting_open(meeting=meeting, actor=request.user)
    except NotAllowed as exc:
        raise PermissionDenied(str(exc.message)) from None
    except Conflict as exc:
        messages.error(request, str(exc.message))
        return _redirect("reviews:meeting", meeting.pk, anchor="#minutes")
    messages.success(request, _("The agenda is up to date."))
    return _redirect("reviews:meeting", meeting.pk, anchor="#agenda")


# --- Standup mode ----------------------------------------------------------------------------------


def _run_context(request: HttpRequest, meeting: Meeting, **forms: Any) -> dict[str, Any]:
    agenda = agenda_with_notes(meeting)
    try:
        index = int(request.GET.get("item") or request.POST.get("item") or 1)
    except ValueError:
        index = 1
    index = min(max(index, 1), max(len(agenda), 1))
    owners = _owners(meeting.series.campaign)
    item = agenda[index - 1] if agenda else None
    participants = _participants(meeting)
    note_form = forms.get("note_form")
    if note_form is None and item is not None:
        note_form = AgendaNoteForm(initial={"notes": item["notes"], "decision": item["decision"]})
    attendance_form = forms.get("attendance_form") or AttendanceForm(
        participants=participants, initial={"attendees": [u.pk for u in meeting.attendees.all()]}
    )
    return {
        "meeting": meeting,
        "series": meeting.series,
        "campaign": meeting.series.campaign,
        "zone": meeting.series.timezone,
        "agenda": agenda,
        "index": index,
        "item": item,
        "previous": index - 1 if index > 1 else None,
        "next": index + 1 if index < len(agenda) else None,
        "note_form": note_form,
        "attendance_form": attendance_form,
        "action_items": list(meeting.action_items.select_related("owner")),
        "action_form": forms.get("action_form") or ActionItemForm(owners=owners),
        "agenda_form": forms.get("agenda_form") or AgendaItemForm(),
        "minutes_form": forms.get("minutes_form") or MinutesForm(initial={"minutes": meeting.minutes}),
    }


def _participants(meeting: Meeting) -> list[User]:
    """The chair and the series' participants: who can be marked as attending."""
    series = meeting.series
    people = {u.pk: u for u in series.participants.order_by("display_name", "username")}
    people.setdefault(series.chair_id, series.chair)
    return list(people.values())


def _get_chaired_meeting(request: HttpRequest, pk: int) -> Meeting:
    meeting = get_meeting_for_user(request.user, pk, need=Access.WRITE)
    if not _chairs(meeting, request.user):
        raise PermissionDenied(_("Only the chair or the campaign lead runs the meeting."))
    return meeting


@login_required
@require_GET
def meeting_run(request: HttpRequest, pk: int) -> HttpResponse:
    """Standup mode, one agenda item at a time. Once the minutes are published the meeting is frozen: standup mode
    sends the chair to the meeting page, which shows the minutes read-only, and says why."""
    meeting = _get_chaired_meeting(request, pk)
    if meeting.published_at is not None:
        messages.info(request, _("These minutes are published, so the meeting can no longer be changed."))
        return _redirect("reviews:meeting", meeting.pk)
    return render(request, "reviews/meeting_run.html", _run_context(request, meeting))


@login_required
@require_POST
def agenda_add(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = get_meeting_for_user(request.user, pk, need=Access.WRITE)
    form = AgendaItemForm(request.POST)
    if form.is_valid():
        try:
            agenda_add_item(meeting=meeting, actor=request.user, title=form.cleaned_data["title"])
        except NotAllowed as exc:
            raise PermissionDenied(str(exc.message)) from None
        except ApplicationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("Agenda item added."))
            return _redirect("reviews:run", meeting.pk, query=f"item={len(meeting.agenda) + 1}")
    meeting = _get_chaired_meeting(request, pk)
    return render(request, "reviews/meeting_run.html", _run_context(request, meeting, agenda_form=form), status=400)


@login_required
@require_POST
def action_add(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = get_meeting_for_user(request.user, pk, need=Access.WRITE)
    form = ActionItemForm(request.POST, owners=_owners(meeting.series.campaign))
    if form.is_valid():
        try:
            action = action_item_create(meeting=meeting, actor=request.user, **form.cleaned_data)
        except NotAllowed as exc:
            raise PermissionDenied(str(exc.message)) from None
        except ApplicationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(
                request,
                _("Action item “%(title)s” assigned to %(owner)s.") % {"title": action.title, "owner": action.owner},
            )
            item = request.POST.get("item", "")
            return _redirect("reviews:run", meeting.pk, query=f"item={item}" if item.isdigit() else "")
    meeting = _get_chaired_meeting(request, pk)
    return render(request, "reviews/meeting_run.html", _run_context(request, meeting, action_form=form), status=400)


@login_required
@require_POST
def minutes_publish_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Publish once: the meeting is held and everyone is told; a second publish only says so."""
    meeting = get_meeting_for_user(request.user, pk, need=Access.WRITE)
    form = MinutesForm(request.POST)
    if form.is_valid():
        try:
            minutes_publish(meeting=meeting, actor=request.user, minutes=form.cleaned_data["minutes"])
        except NotAllowed as exc:
            raise PermissionDenied(str(exc.message)) from None
        except Conflict as exc:
            messages.error(request, str(exc.message))
            return _redirect("reviews:meeting", meeting.pk, anchor="#minutes")
        except ApplicationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("Minutes published and sent to the participants."))
            return _redirect("reviews:meeting", meeting.pk, anchor="#minutes")
    meeting = _get_chaired_meeting(request, pk)
    if meeting.published_at is not None:
        messages.error(request, _("These minutes were published already."))
        return _redirect("reviews:meeting", meeting.pk, anchor="#minutes")
    return render(request, "reviews/meeting_run.html", _run_context(request, meeting, minutes_form=form), status=400)


def _item_redirect(meeting: Meeting, item: str) -> HttpResponseRedirect:
    return _redirect("reviews:run", meeting.pk, query=f"item={item}" if item.isdigit() else "")


@login_required
@require_POST
def agenda_note(request: HttpRequest, pk: int, key: str) -> HttpResponse:
    """Notes and the decision on one agenda item, saved as the meeting goes; "save and next" steps on. From htmx
    (the autosave when a box loses focus) the answer is a word for the status line."""
    meeting = _get_chaired_meeting(request, pk)
    form = AgendaNoteForm(request.POST)
    saved = False
    if form.is_valid():
        try:
            agenda_note_save(meeting=meeting, actor=request.user, key=key, **form.cleaned_data)
        except NotAllowed as exc:
            raise PermissionDenied(str(exc.message)) from None
        except Conflict as exc:
            if request.htmx:
                return HttpResponse(str(exc.message), status=409, content_type="text/plain")
            messages.error(request, str(exc.message))
            return _redirect("reviews:meeting", meeting.pk, anchor="#minutes")
        except ApplicationError as exc:
            if "key" in exc.errors:
                raise Http404(exc.errors["key"][0]) from None
            apply_service_errors(form, exc)
        else:
            saved = True
    if request.htmx:  # the autosave: a word for the status line beside the form
        if saved:
            return HttpResponse(_("Saved."), content_type="text/plain")
        return HttpResponse(
            " ".join(e for errors in form.errors.values() for e in errors), status=400, content_type="text/plain"
        )
    if saved:
        item = request.POST.get("item", "")
        if request.POST.get("go") == "next" and item.isdigit():
            item = str(int(item) + 1)
        messages.success(request, _("Notes saved."))
        return _item_redirect(meeting, item)
    return render(request, "reviews/meeting_run.html", _run_context(request, meeting, note_form=form), status=400)


@login_required
@require_POST
def minutes_draft(request: HttpRequest, pk: int) -> HttpResponse:
    """Keep the draft of the general minutes (htmx autosave, or the "Save draft" button)."""
    meeting = _get_chaired_meeting(request, pk)
    form = MinutesForm(request.POST)
    if form.is_valid():
        try:
            minutes_draft_save(meeting=meeting, actor=request.user, minutes=form.cleaned_data["minutes"])
        except Conflict as exc:
            if request.htmx:
                return HttpResponse(str(exc.message), status=409, content_type="text/plain")
            messages.error(request, str(exc.message))
            return _redirect("reviews:meeting", meeting.pk, anchor="#minutes")
        if request.htmx:
            return HttpResponse(_("Draft saved."), content_type="text/plain")
        messages.success(request, _("Draft saved."))
        return _item_redirect(meeting, request.POST.get("item", ""))
    if request.htmx:
        return HttpResponse(" ".join(form.errors.get("minutes", [])), status=400, content_type="text/plain")
    return render(request, "reviews/meeting_run.html", _run_context(request, meeting, minutes_form=form), status=400)


@login_required
@require_POST
def attendance(request: HttpRequest, pk: int) -> HttpResponse:
    """Who attended (standup mode's checkboxes); the chair and the participants only."""
    meeting = _get_chaired_meeting(request, pk)
    form = AttendanceForm(request.POST, participants=_participants(meeting))
    if form.is_valid():
        try:
            attendance_record(meeting=meeting, actor=request.user, attendees=form.cleaned_data["attendees"])
        except Conflict as exc:
            messages.error(request, str(exc.message))
            return _redirect("reviews:meeting", meeting.pk, anchor="#minutes")
        except ApplicationError as exc:
            apply_service_errors(form, exc)
        else:
            count = len(form.cleaned_data["attendees"])
            messages.success(request, _("Attendance recorded: %(n)d present.") % {"n": count})
            return _item_redirect(meeting, request.POST.get("item", ""))
    return render(request, "reviews/meeting_run.html", _run_context(request, meeting, attendance_form=form), status=400)


@login_required
@require_POST
def agenda_move(request: HttpRequest, pk: int) -> HttpResponse:
    """Move an agenda item up or down (the chair, before the minutes are published)."""
    meeting = _get_chaired_meeting(request, pk)
    form = AgendaMoveForm(request.POST)
    if not form.is_valid():
        return HttpResponse(_("Choose an agenda item and a direction."), status=400, content_type="text/plain")
    try:
        agenda_move_item(meeting=meeting, actor=request.user, key=form.cleaned_data["key"], offset=form.offset())
    except Conflict as exc:
        messages.error(request, str(exc.message))
    except ApplicationError as exc:
        raise Http404(str(next(iter(exc.errors.values()), [exc.message])[0])) from None
    return _redirect("reviews:meeting", meeting.pk, anchor="#agenda")


@login_required
@require_POST
def action_to_task(request: HttpRequest, pk: int, action_pk: int) -> HttpResponse:
    """Turn one of the meeting's action items into a campaign task, once; a second press only says so."""
    meeting = _get_chaired_meeting(request, pk)
    action = get_object_or_404(ActionItem, pk=action_pk, meeting=meeting)
    try:
        task = action_item_to_task(action=action, actor=request.user)
    except NotAllowed as exc:
        raise PermissionDenied(str(exc.message)) from None
    except Conflict as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("“%(title)s” is now a task of the campaign.") % {"title": task.title})
    return _redirect("reviews:meeting", meeting.pk, anchor="#actions")


# --- Retrospective and printable pages ---------------------------------------------------------------


def _retrospective_initial(retro: Retrospective | None) -> dict[str, Any] | None:
    if retro is None:
        return None
    return {name: getattr(retro, name) for name in RetrospectiveForm.base_fields}


@login_required
@require_http_methods(["GET", "POST"])
def retrospective_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """The chair scores the four dimensions and writes the report; each improvement becomes an action item.
    Everything is saved together or nothing is."""
    meeting = _get_chaired_meeting(request, pk)
    if meeting.series.kind != ReviewKind.RETROSPECTIVE:
        raise Http404(_("Only a retrospective meeting has a retrospective report."))
    retro = _retrospective(meeting)
    owners = _owners(meeting.series.campaign)
    data = request.POST if request.method == "POST" else None
    form = RetrospectiveForm(data, initial=_retrospective_initial(retro))
    improvements = ImprovementFormSet(data, prefix="improvements", form_kwargs={"owners": owners})
    if request.method == "POST" and form.is_valid() and improvements.is_valid():
        rows = [f.improvement() for f in improvements.forms]
        try:
            retrospective_save(meeting=meeting, actor=request.user,
                               improvements=[r for r in rows if r], **form.cleaned_data)  # fmt: skip
        except NotAllowed as exc:
            raise PermissionDenied(str(exc.message)) from None
        except Conflict as exc:
            messages.error(request, str(exc.message))
            return _redirect("reviews:meeting", meeting.pk)
        except ApplicationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("Retrospective saved."))
            return _redirect("reviews:meeting", meeting.pk, anchor="#retrospective")
    context = {"meeting": meeting, "series": meeting.series, "campaign": meeting.series.campaign,
               "zone": meeting.series.timezone, "form": form, "improvements": improvements, "retrospective": retro}  # fmt: skip
    return render(request, "reviews/retrospective_form.html", context, status=400 if request.method == "POST" else 200)


@login_required
@require_GET
def minutes_print(request: HttpRequest, pk: int) -> HttpResponse:
    """The minutes as a clean page to print: attendance, each agenda item's notes and decision, action items."""
    meeting = get_meeting_for_user(request.user, pk)
    context = _meeting_context(request, meeting)
    return render(request, "reviews/minutes_print.html", context)


@login_required
@require_GET
def retrospective_print(request: HttpRequest, pk: int) -> HttpResponse:
    """The retrospective report as a clean page to print."""
    meeting = get_meeting_for_user(request.user, pk)
    retro = _retrospective(meeting)
    if retro is None:
        raise Http404(_("This meeting has no retrospective report yet."))
    context = {"meeting": meeting, "series": meeting.series, "campaign": meeting.series.campaign,
               "zone": meeting.series.timezone, "retrospective": retro,
               "attendees": list(meeting.attendees.order_by("display_name", "username")),
               "action_items": list(meeting.action_items.select_related("owner"))}  # fmt: skip
    return render(request, "reviews/retrospective_print.html", context)


app_name = "reviews"
urlpatterns = [
    path("", review_list, name="list"),
    path("series/new/", series_create, name="series_create"),
    path("meetings/<int:pk>/", meeting_detail, name="meeting"),
    path("meetings/<int:pk>/status/", meeting_status_update, name="status_update"),
    path("meetings/<int:pk>/open/", meeting_open_view, name="open"),
    path("meetings/<int:pk>/run/", meeting_run, name="run"),
    path("meetings/<int:pk>/agenda/", agenda_add, name="agenda_add"),
    path("meetings/<int:pk>/actions/", action_add, name="action_add"),
    path("meetings/<int:pk>/publish/", minutes_publish_view, name="publish"),
    path("meetings/<int:pk>/minutes/", minutes_draft, name="minutes_draft"),
    path("meetings/<int:pk>/attendance/", attendance, name="attendance"),
    path("meetings/<int:pk>/agenda/move/", agenda_move, name="agenda_move"),
    path("meetings/<int:pk>/agenda/<slug:key>/notes/", agenda_note, name="agenda_note"),
    path("meetings/<int:pk>/actions/<int:action_pk>/task/", action_to_task, name="action_to_task"),
    path("meetings/<int:pk>/retrospective/", retrospective_edit, name="retrospective"),
    path("meetings/<int:pk>/retrospective/print/", retrospective_print, name="retrospective_print"),
    path("meetings/<int:pk>/print/", minutes_print, name="minutes_print"),
]
