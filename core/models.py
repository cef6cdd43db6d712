"""Kernel models: the hash-chained audit ledger (and its chain head) and the notification inbox."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        abstract = True


class AuditChainHead(models.Model):
    """A single row locked while appending to the ledger, so the chain stays linear across processes."""

    last_seq = models.BigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default="")

    class Meta:
        constraints = [models.CheckConstraint(condition=models.Q(id=1), name="audit_chain_head_singleton")]

    def __str__(self) -> str:
        return f"audit chain at #{self.last_seq}"


class AuditEntry(models.Model):
    """One append-only ledger entry; ``hash`` covers its fields and the previous entry's hash."""

    seq = models.BigIntegerField(_("sequence"), unique=True)
    created_at = models.DateTimeField(_("when"), db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("actor"), null=True, blank=True, on_delete=models.PROTECT
    )
    actor_username = models.CharField(_("actor username"), max_length=150, blank=True)
    action = models.CharField(_("action"), max_length=100, db_index=True)
    object_type = models.CharField(_("object type"), max_length=100, blank=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    before = models.JSONField(_("before"), null=True, blank=True)
    after = models.JSONField(_("after"), null=True, blank=True)
    prev_hash = models.CharField(max_length=64, blank=True)
    hash = models.CharField(max_length=64)
    # Where the entry shows up (``campaign:12`` for a campaign and everything in it): an index for the activity
    # pages (SPEC 10.3), derived from the object when it is written; not part of the hash.
    scope = models.CharField(_("scope"), max_length=64, blank=True, default="")

    class Meta:
        ordering = ["seq"]
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")
        indexes = [
            models.Index(fields=["object_type", "object_id"]),
            models.Index(fields=["scope", "-seq"], name="audit_scope_newest"),
        ]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} {self.object_type}:{self.object_id}"


class NotificationVerb(models.TextChoices):
    """Notification verbs (SPEC 9, Contract)."""

    BUDGET_SUBMITTED = "budget_submitted", _("Budget submitted")
    BUDGET_APPROVED = "budget_approved", _("Budget approved")
    BUDGET_REJECTED = "budget_rejected", _("Budget rejected")
    BUDGET_REMINDER = "budget_reminder", _("Budget awaiting your sign-off")
    BUDGET_OVERSPEND = "budget_overspend", _("Budget line overspend")
    RISK_ALERT = "risk_alert", _("Risk alert")
    MEETING_REMINDER = "meeting_reminder", _("Meeting reminder")
    STATUS_UPDATE_REMINDER = "status_update_reminder", _("Status update reminder")
    MINUTES_PUBLISHED = "minutes_published", _("Minutes published")
    ACTION_ITEM_ASSIGNED = "action_item_assigned", _("Action item assigned")
    TEAM_MEMBERSHIP = "team_membership", _("Team membership changed")
    MEETING_MOVED = "meeting_moved", _("Meeting moved by the working calendar")
    MENTIONED = "mentioned", _("Mentioned in a comment")
    COMMENT_ADDED = "comment_added", _("Comment on a task you watch")


class Notification(models.Model):
    # Indexed by notification_unread_idx (recipient first): an index of its own would only slow the set-wise
    # jobs that write tens of thousands of notifications at once.
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipient"),
        on_delete=models.CASCADE,
        related_name="notifications",
        db_index=False,
    )
    verb = models.CharField(_("kind"), max_length=40, choices=NotificationVerb.choices)
    # SPEC 10.4: which message (core.messages) with which parameters; the text is written when read, in the
    # reader's current language. ``written_text`` keeps the text as first written (in the recipient's language
    # at the time), shown only if the message is no longer declared, and searched by the admin.
    message = models.CharField(_("message"), max_length=80, blank=True)
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    written_text = models.TextField(_("text as written"))
    url = models.CharField(_("link"), max_length=500, blank=True)
    object_type = models.CharField(_("object type"), max_length=100, blank=True)
    object_id = models.BigIntegerField(_("object id"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    email_sent_at = models.DateTimeField(_("email sent at"), null=True, blank=True)
    # SPEC 10.4: a notification that asked for an action (budget_submitted to an approver) is resolved once the
    # action no longer applies; pages never show it as pending.
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes = [
            models.Index(fields=["recipient", "read_at"], name="notification_unread_idx"),
            # The email sweep and the /metrics gauge read only the unsent few, never the whole history.
            models.Index(
                fields=["created_at"], name="notification_email_pending", condition=models.Q(email_sent_at__isnull=True)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.verb} → {self.recipient_id}"

    @property
    def text(self) -> str:
        """The text in the active language (SPEC 10.4: rendered whenever it is read or sent)."""
        from core.messages import render_stored

        return render_stored(self.message, self.params, self.written_text)

    def text_in(self, language: str) -> str:
        from core.messages import render_stored

        return render_stored(self.message, self.params, self.written_text, language)

    @property
    def read(self) -> bool:
        return self.read_at is not None

    @property
    def resolved(self) -> bool:
        return self.resolved_at is not None


class CalendarDayKind(models.TextChoices):
    """SPEC 10.4 (Contract): an entry makes a day a holiday or a (make-up) working day."""

    HOLIDAY = "holiday", _("Holiday")
    WORKDAY = "workday", _("Working day")


class CalendarDay(models.Model):
    """One entry of the working calendar (SPEC 10.4): it overrides the packaged statutory calendar for its date —
    for a year the package does not know yet (the State Council publishes next year's schedule each November),
    or for a company's own day off."""

    date = models.DateField(_("date"), unique=True)
    kind = models.CharField(_("kind"), max_length=10, choices=CalendarDayKind.choices)
    name = models.CharField(_("name"), max_length=100, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("changed by"), null=True, blank=True, on_delete=models.SET_NULL
    )
    updated_at = models.DateTimeField(_("changed at"), auto_now=True)

    class Meta:
        ordering = ["date"]
        verbose_name = _("calendar day")
        verbose_name_plural = _("calendar days")
        constraints = [
            models.CheckConstraint(condition=models.Q(kind__in=["holiday", "workday"]), name="calendar_day_kind_valid")
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.kind} {self.name}"


class DigestChoice(models.TextChoices):
    OFF = "off", _("No digest: an email for each notification")
    DAILY = "daily", _("One email a day at 09:00 on working days")


class NotificationSettings(models.Model):
    """A user's choices (SPEC 10.4): per verb, email and chat on or off; or a daily digest instead of an email
    per notification. The inbox always receives everything. Verbs missing from ``email``/``chat`` are on."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_settings"
    )
    email = models.JSONField(_("email per kind"), default=dict, blank=True)
    chat = models.JSONField(_("chat per kind"), default=dict, blank=True)
    digest = models.CharField(_("digest"), max_length=8, choices=DigestChoice.choices, default=DigestChoice.OFF)
    last_digest_on = models.DateField(_("last digest on"), null=True, blank=True)
    last_digest_at = models.DateTimeField(_("last digest at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification settings")
        verbose_name_plural = _("notification settings")
        constraints = [models.CheckConstraint(condition=models.Q(digest__in=["off", "daily"]), name="digest_valid")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.digest}"

    def wants_email(self, verb: str) -> bool:
        return self.digest == DigestChoice.OFF and bool(self.email.get(verb, True))
