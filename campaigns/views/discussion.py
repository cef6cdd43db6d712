"""A task's discussion on its page (SPEC 10.3): post, edit and delete comments, watch or unwatch the task.

htmx swaps the comment list (``work_task.html#comments``) in place; without JavaScript each write redirects back
to the task page (or answers 400 with the page and the refused form). Rules live in campaigns.discussion.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django.views.decorators.vary import vary_on_headers

from core.errors import ApplicationError, NotAllowed
from core.permissions import Access
from core.web import apply_service_errors

from ..discussion import (
    attachment_add,
    attachment_delete,
    comment_add,
    comment_delete,
    comment_edit,
    comment_require_own,
    task_watch_set,
)
from ..forms.work import CommentForm
from ..models import Campaign, Task, TaskAttachment, TaskComment
from ..permissions import get_campaign_for_user
from ._common import task_in
from .tasks import task_page_context


def _answer(
    request: HttpRequest, campaign: Campaign, task: Task, *, form: CommentForm | None = None, anchor: str = ""
) -> HttpResponse:
    """The comment list for htmx (400 with the form when refused), else back to the task page."""
    refused = form is not None and form.errors
    if request.htmx:
        context = task_page_context(request, campaign, task, comment_form=form if refused else None)
        return render(request, "campaigns/work_task.html#comments", context, status=400 if refused else 200)
    if refused:
        context = task_page_context(request, campaign, task, comment_form=form)
        return render(request, "campaigns/work_task.html", context, status=400)
    return HttpResponseRedirect(reverse("campaigns:task_detail", args=[campaign.pk, task.pk]) + anchor)


@login_required
@require_POST
@vary_on_headers("HX-Request")
def task_comment_add(request: HttpRequest, pk: int, task_pk: int) -> HttpResponse:
    campaign = get_campaign_for_user(request.user, pk, need=Access.WRITE)
    task = task_in(campaign, task_pk)
    form = CommentForm(request.POST)
    if form.is_valid():
        try:
            comment = comment_add(task=task, author=request.user, body=form.cleaned_data["body"])
        except ApplicationError as exc:
            apply_service_errors(form, exc)
        else:
            if not request.htmx:
                messages.success(request, _("Comment posted."))
            return _answer(request, campaign, task, anchor=f"#comment-{comment.pk}")
    return _answer(request, campaign, task, form=form)


def _comment_of(campaign: Campaign, task_pk: int, comment_pk: int) -> tuple[Task, TaskComment]:
    task = task_in(campaign, task_pk)
    return task, get_object_or_404(TaskComment.objects.select_related("task"), task=task, pk=comment_pk)


def _require_own(comment: TaskComment, user: object, verb: str = "edit") -> None:
    """403 for anyone but the author, before the posted text is looked at."""
    try:
        comment_require_own(comment=comment, actor=user, verb=verb)
    except NotAllowed as exc:
        raise PermissionDenied(str(exc.message)) from None


@login_required
@require_POST
@vary_on_headers("HX-Request")
def task_comment_edit(request: HttpRequest, pk: int, task_pk: int, comment_pk: int) -> HttpResponse:
    campaign = get_campaign_for_user(request.user, pk, need=Access.READ)
    task, comment = _comment_of(campaign, task_pk, comment_pk)
    _require_own(comment, request.user)
    form = CommentForm(request.POST, prefix=f"edit-{comment.pk}")
    if form.is_valid():
        try:
            comment_edit(comment=comment, actor=request.user, body=form.cleaned_data["body"])
        except ApplicationError as exc:  # the 15 minutes are over, or a mention is refused: said beside the form
            apply_service_errors(form, exc)
        else:
            return _answer(request, campaign, task, anchor=f"#comment-{comment.pk}")
    if not request.htmx and form.errors:
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
        return _answer(request, campaign, task, anchor=f"#comment-{comment.pk}")
    return _answer(request, campaign, task, form=form)


@login_required
@require_POST
@vary_on_headers("HX-Request")
def task_comment_delete(request: HttpRequest, pk: int, task_pk: int, comment_pk: int) -> HttpResponse:
    campaign = get_campaign_for_user(request.user, pk, need=Access.READ)
    task, comment = _comment_of(campaign, task_pk, comment_pk)
    _require_own(comment, request.user, verb="delete")
    comment_delete(comment=comment, actor=request.user)
    if not request.htmx:
        messages.success(request, _("Comment deleted."))
    return _answer(request, campaign, task, anchor="#discussion")


@login_required
@require_POST
@vary_on_headers("HX-Request")
def task_watch(request: HttpRequest, pk: int, task_pk: int) -> HttpResponse:
    campaign = get_campaign_for_user(request.user, pk, need=Access.READ)
    task = task_in(campaign, task_pk)
    task_watch_set(task=task, user=request.user, watching=request.POST.get("watching") == "1")
    return _answer(request, campaign, task, anchor="#discussion")


@login_required
@require_POST
@vary_on_headers("HX-Request")
def task_attachment_add(request: HttpRequest, pk: int, task_pk: int) -> HttpResponse:
    campaign = get_campaign_for_user(request.user, pk, need=Access.WRITE)
    task = task_in(campaign, task_pk)
    try:
        attachment = attachment_add(task=task, actor=request.user, upload=request.FILES.get("file"))
    except ApplicationError as exc:
        errors = exc.errors.get("file") if exc.errors else exc.message
        text = " ".join(str(e) for e in errors) if isinstance(errors, list) else str(errors)
        return _attachments_answer(request, campaign, task, error=text)
    if not request.htmx:
        messages.success(request, _("Attached %(name)s.") % {"name": attachment.filename})
    return _attachments_answer(request, campaign, task)


@login_required
@require_POST
@vary_on_headers("HX-Request")
def task_attachment_delete(request: HttpRequest, pk: int, task_pk: int, attachment_pk: int) -> HttpResponse:
    campaign = get_campaign_for_user(request.user, pk, need=Access.READ)
    task = task_in(campaign, task_pk)
    attachment = get_object_or_404(TaskAttachment.objects.select_related("task"), task=task, pk=attachment_pk)
    try:
        attachment_delete(attachment=attachment, actor=request.user)
    except NotAllowed as exc:
        raise PermissionDenied(str(exc.message)) from None
    if not request.htmx:
        messages.success(request, _("Attachment deleted."))
    return _attachments_answer(request, campaign, task)


def _attachments_answer(request: HttpRequest, campaign: Campaign, task: Task, *, error: str = "") -> HttpResponse:
    """The attachments panel for htmx (400 with the reason when refused), else back to the task page."""
    if request.htmx:
        context = task_page_context(request, campaign, task, attachment_error=error)
        return render(request, "campaigns/work_task.html#attachments", context, status=400 if error else 200)
    if error:
        context = task_page_context(request, campaign, task, attachment_error=error)
        return render(request, "campaigns/work_task.html", context, status=400)
    return HttpResponseRedirect(reverse("campaigns:task_detail", args=[campaign.pk, task.pk]) + "#attachments")


urlpatterns = [
    path("<int:pk>/tasks/<int:task_pk>/attachments/", task_attachment_add, name="task_attachment_add"),
    path(
        "<int:pk>/tasks/<int:task_pk>/attachments/<int:attachment_pk>/delete/",
        task_attachment_delete,
        name="task_attachment_delete",
    ),
    path("<int:pk>/tasks/<int:task_pk>/comments/", task_comment_add, name="task_comment_add"),
    path("<int:pk>/tasks/<int:task_pk>/comments/<int:comment_pk>/edit/", task_comment_edit, name="task_comment_edit"),
    path(
        "<int:pk>/tasks/<int:task_pk>/comments/<int:comment_pk>/delete/",
        task_comment_delete,
        name="task_comment_delete",
    ),
    path("<int:pk>/tasks/<int:task_pk>/watch/", task_watch, name="task_watch"),
]
