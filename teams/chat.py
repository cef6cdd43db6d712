"""Team chat channels (SPEC 10.4): WeCom, DingTalk and Feishu group robots.

A service that wants a team to hear of an event calls :func:`chat_announce` in its transaction: one
``ChatDelivery`` row per subscribed channel, unique per (channel, event), so an event is queued at most once
however often it is announced. After commit a Celery task posts each delivery (:func:`chat_deliver`):

- the delivery row is locked with ``SKIP LOCKED`` for the attempt, so two workers never post the same one;
- every attempt is logged (``ChatAttempt``) with the platform's answer;
- a timeout, a connection error or a 5xx is retried with backoff (``CHAT_RETRY_SECONDS`` × 2^(n − 1)) up to five
  attempts, then the delivery is ``failed``; a 4xx or a platform error code (a wrong signature, a revoked robot)
  fails at once — repeating it would not help;
- a worker that dies between the post and the commit may post once more (at least once within that window).

Signing follows the platforms' documentation: DingTalk appends ``timestamp`` (ms) and
``sign = urlencode(base64(HMAC-SHA256(key=secret, msg=f"{timestamp}\\n{secret}")))`` to the URL; Feishu puts
``timestamp`` (s) and ``sign = base64(HMAC-SHA256(key=f"{timestamp}\\n{secret}", msg=b""))`` in the body; WeCom
robots carry their key in the URL and are not signed.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import logging
import os
import socket
import time
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.messages import Message, encode_params, render_stored
from core.models import NotificationVerb

from .models import ChatAttempt, ChatChannel, ChatDelivery, ChatKind, DeliveryStatus

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
# The events a channel can follow: what concerns the whole team, not one person.
CHAT_VERBS = [
    NotificationVerb.BUDGET_SUBMITTED,
    NotificationVerb.BUDGET_APPROVED,
    NotificationVerb.BUDGET_REJECTED,
    NotificationVerb.BUDGET_OVERSPEND,
    NotificationVerb.RISK_ALERT,
    NotificationVerb.MINUTES_PUBLISHED,
    NotificationVerb.MEETING_MOVED,
]


# --- Announcing -------------------------------------------------------------------------------------------------


def chat_announce(*, team_id: int | None, message: Message, params: Mapping[str, Any], url: str, event: str) -> int:
    """Queue ``message`` for the team's active channels that follow its verb (and, for a functional group, its
    task force's). ``event`` names the event: announcing it again queues nothing. Returns how many were queued."""
    if team_id is None:
        return 0
    channels = [
        c
        for c in ChatChannel.objects.filter(active=True, team_id=team_id).only("pk", "verbs")
        if message.verb in (c.verbs or [])
    ]
    if not channels:
        return 0
    stored = encode_params(params)
    ChatDelivery.objects.bulk_create(
        [
            ChatDelivery(channel=c, event=event[:200], verb=message.verb, message=message.key, params=stored, url=url)
            for c in channels
        ],
        ignore_conflicts=True,
    )
    ids = list(
        ChatDelivery.objects.filter(
            channel__in=channels, event=event[:200], status=DeliveryStatus.PENDING, attempts=0
        ).values_list("pk", flat=True)
    )
    for pk in ids:
        transaction.on_commit(lambda pk=pk: _enqueue(pk))
    return len(ids)


def chat_teams_following(verb: str) -> set[int]:
    """The teams with an active channel that follows ``verb`` (one query; for set-wise jobs)."""
    return {team for team, verbs in ChatChannel.objects.filter(active=True).values_list("team_id", "verbs")
            if verb in (verbs or [])}  # fmt: skip


def _enqueue(delivery_id: int, countdown: float | None = None) -> None:
    from core.resilience import publish

    from .tasks import deliver_chat

    if not publish(deliver_chat, delivery_id, countdown=countdown):  # the sweep posts it later
        logger.warning("Broker unreachable; chat delivery %s left for the sweep.", delivery_id)


# --- Posting ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    ok: bool
    retry: bool
    status_code: int | None = None
    error: str = ""


def host_allowed(url: str) -> bool:
    parsed = urllib.parse.urlsplit(url)
    return parsed.scheme in ("https", "http") and (parsed.hostname or "") in settings.CHAT_WEBHOOK_HOSTS


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def feishu_sign(secret: str, timestamp_s: int) -> str:
    digest = hmac.new(f"{timestamp_s}\n{secret}".encode(), b"", hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def build_request(channel: ChatChannel, text: str, title: str) -> tuple[str, dict[str, Any]]:
    """The URL and JSON body of one message for the channel's platform (signed where it has a secret)."""
    url = channel.webhook_url
    if channel.kind == ChatKind.DINGTALK:
        body: dict[str, Any] = {"msgtype": "markdown", "markdown": {"title": title, "text": text}}
        if channel.secret:
            now_ms = int(time.time() * 1000)
            query = urllib.parse.urlencode({"timestamp": now_ms, "sign": dingtalk_sign(channel.secret, now_ms)})
            url += ("&" if "?" in url else "?") + query
        return url, body
    if channel.kind == ChatKind.FEISHU:
        body = {"msg_type": "text", "content": {"text": text}}
        if channel.secret:
            now_s = int(time.time())
            body = {"timestamp": str(now_s), "sign": feishu_sign(channel.secret, now_s), **body}
        return url, body
    return url, {"msgtype": "markdown", "markdown": {"content": text}}


def _platform_error(kind: str, answer: Any) -> str:
    """The platform's own error in a 200 answer (DingTalk/WeCom ``errcode``, Feishu ``code``), or ""."""
    if not isinstance(answer, dict):
        return ""
    code = answer.get("code") if kind == ChatKind.FEISHU else answer.get("errcode")
    if code in (None, 0, "0"):
        return ""
    detail = answer.get("msg") or answer.get("errmsg") or ""
    return f"{code} {detail}".strip()


def post(channel: ChatChannel, text: str, title: str) -> Outcome:
    """One attempt: post and classify the answer."""
    if not host_allowed(channel.webhook_url):
        return Outcome(False, False, error=_("The webhook host is not on the allowed list (CHAT_WEBHOOK_HOSTS)."))
    url, body = build_request(channel, text, title)
    try:
        response = httpx.post(url, json=body, timeout=settings.CHAT_TIMEOUT_SECONDS, follow_redirects=False)
    except httpx.TimeoutException:
        return Outcome(False, True, error=f"timeout after {settings.CHAT_TIMEOUT_SECONDS} s")
    except httpx.HTTPError as exc:
        return Outcome(False, True, error=f"{type(exc).__name__}: {exc}"[:500])
    if response.status_code >= 500:
        return Outcome(False, True, response.status_code, f"HTTP {response.status_code}")
    if response.status_code >= 300:
        return Outcome(False, False, response.status_code, f"HTTP {response.status_code}: {response.text[:200]}")
    try:
        answer = response.json()
    except ValueError:
        answer = None
    error = _platform_error(channel.kind, answer)
    return Outcome(not error, False, response.status_code, error[:500])


def delivery_text(delivery: ChatDelivery, channel: ChatChannel) -> tuple[str, str]:
    """(text, title) of a delivery in the channel's language, with the link back to Concord."""
    from django.utils import translation

    with translation.override(channel.language):
        text = render_stored(delivery.message, delivery.params, "")
        title = str(NotificationVerb(delivery.verb).label) if delivery.verb in NotificationVerb.values else "Concord"
    link = f"{settings.SITE_URL}{delivery.url}" if delivery.url else settings.SITE_URL
    return f"{text}\n{link}", title


def backoff(attempts: int) -> dt.timedelta:
    return dt.timedelta(seconds=settings.CHAT_RETRY_SECONDS * 2 ** max(attempts - 1, 0))


def chat_deliver(delivery_id: int) -> str:
    """Post one pending delivery if it is due; returns what happened (for the task's result and the log)."""
    retry_in = None
    with transaction.atomic():
        delivery = (
            ChatDelivery.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("channel")
            .filter(pk=delivery_id, status=DeliveryStatus.PENDING)
            .first()
        )
        if delivery is None:
            return "not pending, or another worker has it"
        now = timezone.now()
        if delivery.next_attempt_at and delivery.next_attempt_at > now:
            return "not due yet"
        channel = delivery.channel
        text, title = delivery_text(delivery, channel)
        outcome = post(channel, text, title)
        delivery.attempts += 1
        ChatAttempt.objects.create(
            delivery=delivery,
            status_code=outcome.status_code,
            ok=outcome.ok,
            error=outcome.error,
            worker=f"{socket.gethostname()}:{os.getpid()}",
        )
        delivery.last_error = outcome.error
        if outcome.ok:
            delivery.status, delivery.sent_at, delivery.next_attempt_at = DeliveryStatus.SENT, timezone.now(), None
        elif outcome.retry and delivery.attempts < MAX_ATTEMPTS:
            wait = backoff(delivery.attempts)
            delivery.next_attempt_at = timezone.now() + wait
            retry_in = wait.total_seconds()
        else:
            delivery.status, delivery.next_attempt_at = DeliveryStatus.FAILED, None
        delivery.save(update_fields=["attempts", "last_error", "status", "sent_at", "next_attempt_at"])
    if retry_in is not None:
        transaction.on_commit(lambda: _enqueue(delivery_id, countdown=retry_in))
        return f"retry in {retry_in:.0f} s"
    return delivery.status


def chat_due_ids(*, limit: int = 1000) -> list[int]:
    """Pending deliveries whose attempt is due (their task was lost, or the broker was down)."""
    now = timezone.now()
    return list(
        ChatDelivery.objects.filter(status=DeliveryStatus.PENDING, created_at__lte=now - dt.timedelta(seconds=30))
        .exclude(next_attempt_at__gt=now)
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )
