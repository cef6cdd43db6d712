"""Notifications (SPEC 8): one service writes the in-app inbox entry and sends the email.

The inbox rows are written in the caller's transaction; the email goes out from
a Celery task enqueued on commit, so a rolled-back action notifies nobody and a
slow mail server never holds up a page.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import zoneinfo
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import models, transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from core import pagecache
from core.calendar import is_working_day
from core.errors import ApplicationError
from core.messages import Message, encode_params, fill, remembering_decode, render
from core.models import DigestChoice, Notification, NotificationSettings, NotificationVerb
from core.resilience import publish

logger = logging.getLogger(__name__)


@dataclass
class NotificationRequest:
    """One inbox entry to write: a declared ``message`` (core.messages) and its parameters."""

    recipient: Any
    message: Message
    params: Mapping[str, Any] | None = None
    url: str = ""
    obj: models.Model | None = None


def notify_many(requests: Iterable[NotificationRequest], *, email: bool = True) -> list[Notification]:
    """Write many inbox entries in one statement (each text in its recipient's language) and queue their emails
    on commit, in batches. Inactive recipients are skipped."""
    rows: list[Notification] = []
    for req in requests:
        user = req.recipient
        if user is None or not user.is_active:
            continue
        params = encode_params(req.params)
        rows.append(
            Notification(
                recipient=user,
                verb=req.message.verb,
                message=req.message.key,
                params=params,
                written_text=render(req.message, params, getattr(user, "language", None) or settings.LANGUAGE_CODE),
                url=req.url,
                object_type=req.obj._meta.label_lower if req.obj is not None else "",
                object_id=req.obj.pk if req.obj is not None else None,
            )
        )
    with pagecache.writing_for(Notification._meta.db_table, {row.recipient_id for row in rows}):
        created = Notification.objects.bulk_create(rows)
    if email and created:
        ids = [n.pk for n in created if n.pk is not None]
        for start in range(0, len(ids), EMAIL_BATCH):
            batch = ids[start : start + EMAIL_BATCH]
            transaction.on_commit(lambda batch=batch: _enqueue_emails(batch))
    return created


EMAIL_BATCH = 500


class NotificationRow(NamedTuple):
    """A notification for a large job: plain ids and values, no user objects. A named tuple: a job makes tens of
    thousands at once (a frozen dataclass's ``__init__`` cost ~3 µs each of them)."""

    recipient_id: int
    language: str
    message: Message
    params: Mapping[str, Any]
    url: str = ""
    object_type: str = ""
    object_id: int | None = None


def notify_rows(rows: Iterable[NotificationRow]) -> int:
    """Write many notifications at once for set-wise jobs (alert refreshes, reminders).

    Each row stores its message and parameters (and the text as first written, in the recipient's language);
    the rows are inserted with COPY on PostgreSQL, streamed as their texts are made; their emails go out through
    the outbox sweep queued on commit. Returns the count.
    """
    now = timezone.now()
    by_language: dict[str, list[NotificationRow]] = defaultdict(list)
    for row in rows:
        by_language[row.language or settings.LANGUAGE_CODE].append(row)
    recipients = {row.recipient_id for group in by_language.values() for row in group}
    from core.bulk import copy_rows

    with pagecache.writing_for(Notification._meta.db_table, recipients):
        count = copy_rows(
            Notification,
            [
                "recipient_id",
                "verb",
                "message",
                "params",
                "written_text",
                "url",
                "object_type",
                "object_id",
                "created_at",
            ],
            _notification_values(by_language, now),
        )
    if count:
        transaction.on_commit(_enqueue_sweep)
    return count


def _notification_values(by_language: dict[str, list[NotificationRow]], now: dt.datetime):
    """The rows' column values, one language at a time (one activation per language, one translation per
    message)."""
    for language, group in by_language.items():
        with translation.override(language):
            templates: dict[str, str] = {}
            decoder = remembering_decode()
            # Rows that share one parameters object (a meeting's twenty reminders) are encoded and written once;
            # every row stays referenced in ``group`` meanwhile, so no id is reused.
            written: dict[tuple[str, int], tuple[str, str]] = {}
            for row in group:
                done = written.get((row.message.key, id(row.params)))
                if done is None:
                    params = encode_params(row.params)
                    template = templates.get(row.message.key)
                    if template is None:
                        template = templates[row.message.key] = str(row.message.text)
                    done = written[(row.message.key, id(row.params))] = (
                        json.dumps(params, ensure_ascii=False),
                        fill(row.message, template, params, decoder),
                    )
                yield (row.recipient_id, row.message.verb, row.message.key, *done, row.url, row.object_type,
                       row.object_id, now)  # fmt: skip


def _enqueue_sweep() -> None:
    from core.tasks import sweep_notification_emails

    if not publish(sweep_notification_emails, older_than_seconds=0):  # the periodic sweep picks them up later
        logger.warning("Broker unreachable; bulk notification emails left for the periodic sweep.")


def notify(
    *,
    recipients: Iterable[Any],
    message: Message,
    params: Mapping[str, Any] | None = None,
    url: str = "",
    obj: models.Model | None = None,
    email: bool = True,
) -> list[Notification]:
    """One notification to each distinct recipient (see :func:`notify_many`)."""
    seen: set[int] = set()
    requests = []
    for user in recipients:
        if user is None or user.pk in seen:
            continue
        seen.add(user.pk)
        requests.append(NotificationRequest(recipient=user, message=message, params=params, url=url, obj=obj))
    return notify_many(requests, email=email)


def _enqueue_emails(ids: list[int]) -> None:
    """Queue the emails; if the broker is unreachable the rows stay unsent and the sweeper sends them later."""
    from core.tasks import send_notification_emails

    if not publish(send_notification_emails, ids):  # never fail the user's action for an email (outbox pattern)
        logger.warning("Broker unreachable; %d notification email(s) left for the sweeper.", len(ids))


def notification_pending_email_ids(
    *, older_than: dt.timedelta = dt.timedelta(minutes=2), limit: int = 5000
) -> list[int]:
    """Notifications whose email was never sent (their task was lost or never queued)."""
    cutoff = timezone.now() - older_than
    return list(
        Notification.objects.filter(email_sent_at__isnull=True, created_at__lte=cutoff)
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )


def notification_send_emails(*, notification_ids: Iterable[int], chunk: int = 200) -> int:
    """Email each notification not emailed yet; returns how many emails were sent.

    Works in chunks: the chunk's unsent rows are locked (``SKIP LOCKED``, so two workers split the work),
    their emails go out over one connection, and the rows are marked in one UPDATE before commit. A worker
    that dies between sending and committing may send a chunk twice (at-least-once), never zero times.
    """
    ids = list(notification_ids)
    sent = 0
    for start in range(0, len(ids), chunk):
        with transaction.atomic():
            batch = list(
                Notification.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("recipient", "recipient__notification_settings")
                .filter(pk__in=ids[start : start + chunk], email_sent_at__isnull=True)
            )
            if not batch:
                continue
            messages = []
            for notification in batch:
                user = notification.recipient
                choices = getattr(user, "notification_settings", None)
                if not user.email or (choices is not None and not choices.wants_email(notification.verb)):
                    continue  # off for this kind, or in the daily digest instead (SPEC 10.4): marked handled
                messages.append(notification_email(notification, user))
            if messages:
                get_connection().send_messages(messages)
                sent += len(messages)
            Notification.objects.filter(pk__in=[n.pk for n in batch]).update(email_sent_at=timezone.now())
    return sent


def notification_email(notification: Notification, user: Any) -> EmailMultiAlternatives:
    """One notification as an email in the recipient's language: plain text (never HTML-escaped) with an HTML
    alternative that looks like the product (SPEC 10.4)."""
    language = user.language or settings.LANGUAGE_CODE
    with translation.override(language):
        context = {
            "notification": notification,
            "text": notification.text,
            "user": user,
            "site_url": settings.SITE_URL,
            "LANGUAGE_CODE": language,
            "settings_url": NOTIFICATION_SETTINGS_URL,
        }
        subject = render_to_string("core/email/notification_subject.txt", context).strip()
        context["subject"] = subject
        body = render_to_string("core/email/notification_body.txt", context)
        html = render_to_string("core/email/notification_body.html", context)
    email = EmailMultiAlternatives(subject, body, settings.DEFAULT_FROM_EMAIL, [user.email])
    email.attach_alternative(html, "text/html")
    return email


NOTIFICATION_SETTINGS_URL = "/profile/notifications/"


def notification_mark_read(*, user: Any, notification_ids: Iterable[int] | None = None) -> int:
    """Mark the user's own notifications read (all unread ones when no ids are given)."""
    qs = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if notification_ids is not None:
        qs = qs.filter(pk__in=list(notification_ids))
    with pagecache.writing_for(Notification._meta.db_table, {user.pk}):
        return qs.update(read_at=timezone.now())


def notifications_resolve(*, obj: Any, verbs: Iterable[str], still_needed: Iterable[Any] = ()) -> int:
    """Mark the notifications about ``obj`` of the given verbs resolved — all but those to the users in
    ``still_needed``: the action they asked for no longer applies (SPEC 10.4). One UPDATE; returns how many."""
    qs = Notification.objects.filter(
        object_type=obj._meta.label_lower, object_id=obj.pk, verb__in=list(verbs), resolved_at__isnull=True
    ).exclude(recipient__in=[getattr(u, "pk", u) for u in still_needed])
    return qs.update(resolved_at=timezone.now())


# --- Settings and the daily digest (SPEC 10.4) ------------------------------------------------------------------


def notification_settings_for(user: Any) -> NotificationSettings:
    """The user's settings (unsaved defaults — everything on, no digest — when they never changed them)."""
    found = NotificationSettings.objects.filter(user=user).first()
    return found or NotificationSettings(user=user)


def notification_settings_as_dict(found: NotificationSettings) -> dict[str, Any]:
    """The contract shape: ``{"email": {verb: bool}, "chat": {verb: bool}, "digest": "off" | "daily"}``."""
    return {
        "email": {verb: bool(found.email.get(verb, True)) for verb in NotificationVerb.values},
        "chat": {verb: bool(found.chat.get(verb, True)) for verb in NotificationVerb.values},
        "digest": found.digest,
    }


@transaction.atomic
def notification_settings_save(*, user: Any, changes: Mapping[str, Any]) -> NotificationSettings:
    """Change some of the settings; unknown verbs, non-booleans and unknown digest choices are refused, field by
    field, and nothing is saved."""
    errors: dict[str, str] = {}
    found = NotificationSettings.objects.select_for_update().filter(user=user).first() or NotificationSettings(
        user=user
    )
    unknown = set(changes) - {"email", "chat", "digest"}
    if unknown:
        errors[sorted(unknown)[0]] = _("Unknown setting; use email, chat and digest.")
    for channel in ("email", "chat"):
        if channel not in changes:
            continue
        value = changes[channel]
        if not isinstance(value, Mapping):
            errors[channel] = _("Give an object of kind → true or false.")
            continue
        bad = [verb for verb in value if verb not in NotificationVerb.values]
        if bad:
            errors[channel] = _("Unknown kind: %(kind)s.") % {"kind": bad[0]}
        elif not all(isinstance(flag, bool) for flag in value.values()):
            errors[channel] = _("Each kind is true or false.")
        else:
            setattr(found, channel, {**getattr(found, channel), **value})
    if "digest" in changes:
        if changes["digest"] not in DigestChoice.values:
            errors["digest"] = _("Choose off or daily.")
        else:
            found.digest = changes["digest"]
    if errors:
        raise ApplicationError(errors=errors)
    found.save()
    return found


def digest_due(*, now: dt.datetime | None = None) -> list[int]:
    """Users whose daily digest is due: 09:00 or later in their time zone, on a working day, not sent today."""
    now = now or timezone.now()
    due = []
    rows = NotificationSettings.objects.filter(digest=DigestChoice.DAILY, user__is_active=True).values_list(
        "user_id", "user__time_zone", "last_digest_on"
    )
    for user_id, zone, last in rows:
        local = now.astimezone(_zone(zone))
        if local.hour >= DIGEST_HOUR and last != local.date() and is_working_day(local.date()):
            due.append(user_id)
    return due


DIGEST_HOUR = 9


def _zone(name: str) -> Any:
    try:
        return zoneinfo.ZoneInfo(name or settings.TIME_ZONE)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def digest_send(*, user_id: int, now: dt.datetime | None = None) -> int:
    """Send one user's digest once for their local day: the row is locked (``SKIP LOCKED``: a second worker
    skips it) and re-checked, everything unread since the last digest goes into one email, and the day is
    recorded before commit. Returns how many notifications the email listed (0: nothing sent)."""
    now = now or timezone.now()
    with transaction.atomic():
        found = (
            NotificationSettings.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("user")
            .filter(user_id=user_id, digest=DigestChoice.DAILY)
            .first()
        )
        if found is None:
            return 0
        user = found.user
        today = now.astimezone(_zone(user.time_zone)).date()
        if found.last_digest_on == today:
            return 0
        unread = Notification.objects.filter(recipient=user, read_at__isnull=True, resolved_at__isnull=True)
        if found.last_digest_at is not None:
            unread = unread.filter(created_at__gt=found.last_digest_at)
        items = [n for n in unread.order_by("-created_at")[:200] if found.email.get(n.verb, True)]
        if items and user.email:
            get_connection().send_messages([digest_email(user, items)])
        found.last_digest_on, found.last_digest_at = today, now
        found.save(update_fields=["last_digest_on", "last_digest_at"])
        return len(items) if user.email else 0


def digest_email(user: Any, items: list[Notification]) -> EmailMultiAlternatives:
    """The digest as an email in the user's language: plain text with an HTML alternative."""
    language = user.language or settings.LANGUAGE_CODE
    with translation.override(language):
        context = {
            "user": user,
            "items": [{"text": n.text, "url": n.url, "verb": n.get_verb_display(), "at": n.created_at} for n in items],
            "site_url": settings.SITE_URL,
            "LANGUAGE_CODE": language,
            "settings_url": NOTIFICATION_SETTINGS_URL,
        }
        subject = ngettext(
            "[Concord] Your daily digest: %(count)d unread notification",
            "[Concord] Your daily digest: %(count)d unread notifications",
            len(items),
        ) % {"count": len(items)}
        context["subject"] = subject
        body = render_to_string("core/email/digest_body.txt", context)
        html = render_to_string("core/email/digest_body.html", context)
    email = EmailMultiAlternatives(subject, body, settings.DEFAULT_FROM_EMAIL, [user.email])
    email.attach_alternative(html, "text/html")
    return email
