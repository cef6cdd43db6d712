"""Talking about a task (SPEC 10.3): comments with @mentions, watchers and attachments — services (writes) and
selectors (reads) in one module, apart from the plan's services.

Rules:
1. Team writers (lead, deputy, member; admins) comment; everyone who reads the task reads its comments.
2. A comment is Markdown, not empty, at most 20,000 characters; it is shown through ``core.markdown``.
3. Its author may edit it within 15 minutes of writing it, and delete it at any time; nobody else may.
4. ``@username`` notifies that person (verb ``mentioned``) if they can read the task; a mention of an unknown
   user, or of someone who cannot read the task, refuses the comment with a message naming them.
5. The task's owner and watchers hear of every comment (verb ``comment_added``), except its author and those
   already told by a mention. The author and the owner watch the task automatically; anyone who reads it may
   watch or unwatch it.
6. Team writers attach files (not empty, at most ``ATTACHMENT_MAX_BYTES``); the name shown is the upload's own,
   cleaned of folders and control characters; the content type is read from that name, never from the client.
   The uploader deletes their own; downloads follow the task's read rule.
"""

from __future__ import annotations

import datetime as dt
import mimetypes
import unicodedata
import uuid
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import FileResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.errors import ApplicationError, NotAllowed
from core.markdown import mentioned_usernames
from core.permissions import Access
from core.services.audit import audit_record
from core.services.notifications import notify
from teams.models import TeamMembership, User

from .models import COMMENT_MAX_LENGTH, Task, TaskAttachment, TaskComment, TaskWatcher
from .notices import COMMENT_ADDED, MENTIONED
from .permissions import campaign_part_policy

EDIT_WINDOW = dt.timedelta(minutes=15)
MAX_MENTIONS = 20


# --- reads -----------------------------------------------------------------------------------------------------


def task_comments(*, task: Task) -> QuerySet[TaskComment]:
    """The task's comments, oldest first, with their authors (the caller has checked the task is readable)."""
    return TaskComment.objects.filter(task=task).select_related("author").order_by("created_at", "pk")


def task_watcher_ids(*, task: Task) -> list[int]:
    """Ids of the task's watchers, in the order they started watching."""
    return list(TaskWatcher.objects.filter(task=task).order_by("created_at", "pk").values_list("user_id", flat=True))


def mention_candidates(*, task: Task) -> QuerySet[User]:
    """People offered by the ``@`` picker: active members of the campaign's team (all of whom read the task)."""
    team_users = TeamMembership.objects.filter(team_id=task.campaign.team_id).values("user_id")
    return User.objects.filter(pk__in=team_users, is_active=True).order_by("username")


def comment_editable(comment: TaskComment, *, user: Any, now: dt.datetime | None = None) -> bool:
    """Rule 3: the author, within 15 minutes of writing it."""
    return comment.author_id == user.pk and (now or timezone.now()) - comment.created_at <= EDIT_WINDOW


# --- writes ----------------------------------------------------------------------------------------------------


def _clean_body(body: Any) -> str:
    """Rule 2."""
    text = str(body or "").strip()
    if not text:
        raise ApplicationError(errors={"body": _("Write something before posting.")})
    if len(text) > COMMENT_MAX_LENGTH:
        raise ApplicationError(
            errors={
                "body": _("A comment holds at most %(limit)s characters; this one has %(count)s.")
                % {"limit": f"{COMMENT_MAX_LENGTH:,}", "count": f"{len(text):,}"}
            }
        )
    return text


def _mentioned_users(task: Task, body: str) -> list[User]:
    """Rule 4: the users ``@``-mentioned in ``body``, each able to read the task, else a refusal naming them."""
    names = mentioned_usernames(body)
    if not names:
        return []
    if len(names) > MAX_MENTIONS:
        raise ApplicationError(
            errors={"body": _("Mention at most %(limit)s people in one comment.") % {"limit": MAX_MENTIONS}}
        )
    # Matched without regard to case (people type @Deputy): one query for all of them.
    wanted = Q()
    for name in names:
        wanted |= Q(username__iexact=name)
    found = {u.username.lower(): u for u in User.objects.filter(wanted, is_active=True)}
    missing = [n for n in names if n.lower() not in found]
    if missing:
        raise ApplicationError(
            errors={"body": _("Nobody is called %(names)s here.") % {"names": ", ".join(f"@{n}" for n in missing)}}
        )
    users = list({found[n.lower()].pk: found[n.lower()] for n in names}.values())
    unable = [u for u in users if campaign_part_policy.access(u, task) is Access.NONE]
    if unable:
        raise ApplicationError(
            errors={
                "body": _("%(names)s cannot read this task, so a mention would not reach them.")
                % {"names": ", ".join(f"@{u.username}" for u in unable)}
            }
        )
    return users


def _watch(task: Task, user: Any) -> None:
    TaskWatcher.objects.get_or_create(task=task, user=user)


def _task_url(task: Task, comment: TaskComment | None = None) -> str:
    url = reverse("campaigns:task_detail", args=[task.campaign_id, task.pk])
    return f"{url}#comment-{comment.pk}" if comment is not None else url


def _announce(task: Task, comment: TaskComment, *, author: Any, mentioned: list[User], watchers: bool) -> None:
    """Rules 4 and 5: mentions, then the owner and watchers who were not mentioned; never the author."""
    params = {"author": str(author), "task": task.title}
    url = _task_url(task, comment)
    told = {author.pk}
    mention_to = [u for u in mentioned if u.pk not in told]
    if mention_to:
        notify(recipients=mention_to, message=MENTIONED, params=params, url=url, obj=task)
        told.update(u.pk for u in mention_to)
    if not watchers:
        return
    ids = set(TaskWatcher.objects.filter(task=task).values_list("user_id", flat=True))
    if task.owner_id:
        ids.add(task.owner_id)
    ids -= told
    if ids:
        people = User.objects.filter(pk__in=ids, is_active=True)
        watchers_to = [u for u in people if campaign_part_policy.access(u, task)]  # a watcher who left the team
        notify(recipients=watchers_to, message=COMMENT_ADDED, params=params, url=url, obj=task)


@transaction.atomic
def comment_add(*, task: Task, author: Any, body: Any) -> TaskComment:
    """Rule 1–5: post a comment, notify the mentioned, the owner and the watchers; the author now watches."""
    if campaign_part_policy.require(author, task, Access.READ) < Access.WRITE:
        raise NotAllowed(_("Your role in this campaign is read-only: you can read comments but not write them."))
    text = _clean_body(body)
    mentioned = _mentioned_users(task, text)
    comment = TaskComment.objects.create(task=task, author=author, body=text)
    _watch(task, author)
    if task.owner_id:
        TaskWatcher.objects.get_or_create(task=task, user_id=task.owner_id)
    audit_record(actor=author, action="task.comment_added", obj=task, after={"comment": comment.pk})
    _announce(task, comment, author=author, mentioned=mentioned, watchers=True)
    return comment


def comment_require_own(*, comment: TaskComment, actor: Any, verb: str = "edit") -> None:
    """Rule 3's first half, asked before the new text is even read: only the author touches a comment."""
    campaign_part_policy.require(actor, comment.task, Access.READ)
    if comment.author_id != actor.pk:
        if verb == "delete":
            raise NotAllowed(_("Only its author can delete a comment."))
        raise NotAllowed(_("Only its author can edit a comment."))


@transaction.atomic
def comment_edit(*, comment: TaskComment, actor: Any, body: Any) -> TaskComment:
    """Rule 3: the author changes the text within 15 minutes; people newly mentioned are told."""
    comment = TaskComment.objects.select_for_update().select_related("task__campaign").get(pk=comment.pk)
    comment_require_own(comment=comment, actor=actor)
    if not comment_editable(comment, user=actor):
        raise NotAllowed(_("A comment can be edited for 15 minutes after it is posted; write a new one instead."))
    text = _clean_body(body)
    before = set(mentioned_usernames(comment.body))
    mentioned = [u for u in _mentioned_users(comment.task, text) if u.username not in before]
    comment.body, comment.edited_at = text, timezone.now()
    comment.save(update_fields=["body", "edited_at"])
    audit_record(actor=actor, action="task.comment_edited", obj=comment.task, after={"comment": comment.pk})
    _announce(comment.task, comment, author=actor, mentioned=mentioned, watchers=False)
    return comment


@transaction.atomic
def comment_delete(*, comment: TaskComment, actor: Any) -> None:
    """Rule 3: the author deletes their comment."""
    comment_require_own(comment=comment, actor=actor, verb="delete")
    audit_record(actor=actor, action="task.comment_deleted", obj=comment.task, before={"comment": comment.pk})
    comment.delete()


def task_watch_set(*, task: Task, user: Any, watching: bool) -> bool:
    """Rule 5: anyone who reads the task starts or stops watching it; returns whether they now watch."""
    campaign_part_policy.require(user, task, Access.READ)
    if watching:
        _watch(task, user)
    else:
        TaskWatcher.objects.filter(task=task, user=user).delete()
    return watching


# --- attachments (rule 6) ----------------------------------------------------------------------------------------


def task_attachments(*, task: Task) -> QuerySet[TaskAttachment]:
    """The task's attachments, oldest first, with who uploaded them."""
    return TaskAttachment.objects.filter(task=task).select_related("uploaded_by").order_by("created_at", "pk")


def clean_filename(name: Any) -> str:
    """The last part of an uploaded file's name, without folders, control or format characters, at most 200
    characters (the extension kept); "file" when nothing is left."""
    text = str(name or "").replace("\\", "/").split("/")[-1]
    text = "".join(ch for ch in text if unicodedata.category(ch)[0] != "C").strip().strip(".")
    if len(text) > 200:
        stem, dot, ext = text.rpartition(".")
        text = (stem[: 200 - len(ext) - 1] + dot + ext) if dot and len(ext) <= 16 else text[:200]
    return text or "file"


@transaction.atomic
def attachment_add(*, task: Task, actor: Any, upload: Any) -> TaskAttachment:
    """Rule 6: store the upload and record it; nothing is kept when it is refused."""
    if campaign_part_policy.require(actor, task, Access.READ) < Access.WRITE:
        raise NotAllowed(_("Your role in this campaign is read-only: you can download attachments but not add them."))
    if upload is None:
        raise ApplicationError(errors={"file": _("Choose a file to attach.")})
    limit = settings.ATTACHMENT_MAX_BYTES
    size = getattr(upload, "size", 0) or 0
    if size <= 0:
        raise ApplicationError(errors={"file": _("The file is empty.")})
    if size > limit:
        raise ApplicationError(
            errors={
                "file": _("The file is %(size)s MB; attachments hold at most %(limit)s MB.")
                % {"size": f"{size / 1048576:.1f}", "limit": f"{limit / 1048576:g}"}
            }
        )
    filename = clean_filename(getattr(upload, "name", ""))
    content_type = mimetypes.guess_type(filename)[0] or "application/octet-stream"
    attachment = TaskAttachment(
        task=task, filename=filename, size=size, content_type=content_type[:100], uploaded_by=actor
    )
    extension = filename.rpartition(".")[2].lower()[:16] if "." in filename else "bin"
    attachment.file.save(f"tasks/{task.pk}/{uuid.uuid4().hex}.{extension}", upload, save=False)
    try:
        attachment.save()
        audit_record(actor=actor, action="task.attachment_added", obj=task, after={"file": filename, "size": size})
    except Exception:
        attachment.file.delete(save=False)  # the row was not written: do not leave the file behind
        raise
    return attachment


@transaction.atomic
def attachment_delete(*, attachment: TaskAttachment, actor: Any) -> None:
    """Rule 6: the uploader deletes their attachment; the file goes once the row is gone."""
    campaign_part_policy.require(actor, attachment.task, Access.READ)
    if attachment.uploaded_by_id != actor.pk:
        raise NotAllowed(_("Only the person who attached a file can delete it."))
    audit_record(
        actor=actor, action="task.attachment_deleted", obj=attachment.task, before={"file": attachment.filename}
    )
    file = attachment.file
    attachment.delete()
    transaction.on_commit(lambda: file.delete(save=False))


def attachment_response(attachment: TaskAttachment) -> FileResponse:
    """The stored file (the caller has checked the task is readable): a previewable image inline with its own
    type, anything else ``application/octet-stream`` as an attachment; never sniffed, never cached publicly."""
    inline = attachment.is_image
    response = FileResponse(
        attachment.file.open("rb"),
        content_type=attachment.content_type if inline else "application/octet-stream",
        as_attachment=not inline,
        filename=attachment.filename,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, max-age=3600"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
