"""Staff (the custom User), departments, teams (task forces and their sub-teams) and team memberships (SPEC 2)."""

from __future__ import annotations

import zoneinfo

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from core.roles import TeamRole
from core.validators import TEXT_MAX_LENGTH


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(_("%(value)s is not a known time zone, e.g. Asia/Shanghai."), params={"value": value})


class Department(models.Model):
    """A company department (部門)."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=100, blank=True)
    head = models.ForeignKey(
        "teams.User", verbose_name=_("head of department"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="headed_departments", help_text=_("Receives the minutes of campaigns the department takes part in."),
    )  # fmt: skip

    class Meta:
        ordering = ["code"]
        verbose_name = _("department")
        verbose_name_plural = _("departments")

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        """The name in the active language (the Chinese name is the department's own)."""
        if self.name_en and not (translation.get_language() or "en").startswith("zh"):
            return self.name_en
        return self.name


class Directory(models.TextChoices):
    """Where a user signs in (SPEC 10.5)."""

    LOCAL = "", _("local account")
    LDAP = "ldap", _("LDAP directory")
    OIDC = "oidc", _("OpenID Connect")


class User(AbstractUser):
    """A member of staff. Customers are ``members.Member``, not users."""

    display_name = models.CharField(_("display name"), max_length=150, blank=True)
    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="users",
    )
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES, default="en")
    time_zone = models.CharField(
        _("time zone"), max_length=64, default="Asia/Shanghai", validators=[validate_time_zone]
    )
    # Where the account comes from (SPEC 10.5): "" for a local account with a password here; "ldap" or "oidc" for
    # one created on first sign-in through the company directory, which stays its source of truth (a directory
    # account disabled there is deactivated here, see teams.directory).
    directory = models.CharField(
        _("directory"), max_length=10, choices=Directory.choices, default=Directory.LOCAL, blank=True, editable=False
    )

    class Meta:
        ordering = ["username"]
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.display_name or self.get_full_name() or self.username

    @property
    def label(self) -> str:
        return str(self)


class Team(models.Model):
    """A cross-department task force (工作組); a team with a parent is one of its functional groups."""

    code = models.SlugField(_("code"), max_length=60, unique=True)
    name = models.CharField(_("name"), max_length=150)
    description = models.TextField(_("description"), blank=True, max_length=TEXT_MAX_LENGTH)
    department = models.ForeignKey(
        Department, verbose_name=_("home department"), null=True, blank=True, on_delete=models.SET_NULL
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("part of team"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="subgroups",
        help_text=_("Set for a functional group inside a task force."),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        constraints = [
            models.CheckConstraint(condition=~models.Q(parent=models.F("id")), name="team_not_own_parent"),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.parent_id and self.parent and self.parent.parent_id:
            raise ValidationError({"parent": _("A functional group cannot contain further groups.")})


class TeamMembership(models.Model):
    team = models.ForeignKey(Team, verbose_name=_("team"), on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(_("role"), max_length=10, choices=TeamRole.choices, default=TeamRole.MEMBER)
    joined_at = models.DateTimeField(_("joined at"), auto_now_add=True)

    class Meta:
        ordering = ["team", "role", "user__username"]
        verbose_name = _("team membership")
        verbose_name_plural = _("team memberships")
        constraints = [
            models.UniqueConstraint(fields=["team", "user"], name="one_membership_per_team"),
            models.CheckConstraint(condition=models.Q(role__in=TeamRole.values), name="membership_role_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.user} – {self.team} ({self.role})"


class ChatKind(models.TextChoices):
    """SPEC 10.4 (Contract): the group robots a team's channel posts to."""

    WECOM = "wecom", _("WeCom (企业微信)")
    DINGTALK = "dingtalk", _("DingTalk (钉钉)")
    FEISHU = "feishu", _("Feishu (飞书)")


class ChatChannel(models.Model):
    """A team's chat group robot (SPEC 10.4): the events of ``verbs`` about the team's work are posted there, in
    the channel's language, with a link back to Concord. DingTalk and Feishu robots with a secret get signed
    requests."""

    team = models.ForeignKey(Team, verbose_name=_("team"), on_delete=models.CASCADE, related_name="chat_channels")
    kind = models.CharField(_("platform"), max_length=10, choices=ChatKind.choices)
    name = models.CharField(_("name"), max_length=100, blank=True)
    webhook_url = models.URLField(_("webhook URL"), max_length=500)
    secret = models.CharField(_("signing secret"), max_length=200, blank=True)
    verbs = models.JSONField(_("events"), default=list, blank=True)
    language = models.CharField(
        _("language of the messages"), max_length=10, choices=settings.LANGUAGES, default="zh-hans"
    )
    active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["team", "pk"]
        verbose_name = _("chat channel")
        verbose_name_plural = _("chat channels")
        constraints = [
            models.CheckConstraint(condition=models.Q(kind__in=ChatKind.values), name="chat_channel_kind_valid")
        ]

    def __str__(self) -> str:
        return self.name or f"{self.get_kind_display()} #{self.pk}"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class ChatDelivery(models.Model):
    """One event for one channel, delivered at most once (the unique key) and retried with backoff."""

    channel = models.ForeignKey(
        ChatChannel, verbose_name=_("channel"), on_delete=models.CASCADE, related_name="deliveries"
    )
    event = models.CharField(_("event"), max_length=200)
    verb = models.CharField(_("kind"), max_length=40)
    message = models.CharField(_("message"), max_length=80)
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    url = models.CharField(_("link"), max_length=500, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    next_attempt_at = models.DateTimeField(_("next attempt at"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("chat delivery")
        verbose_name_plural = _("chat deliveries")
        constraints = [models.UniqueConstraint(fields=["channel", "event"], name="one_delivery_per_event_and_channel")]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="chat_delivery_due_idx")]

    def __str__(self) -> str:
        return f"{self.event} → {self.channel_id} ({self.status})"


class ChatAttempt(models.Model):
    """The log of one attempt to post a delivery: what the platform answered, or why it could not."""

    delivery = models.ForeignKey(ChatDelivery, on_delete=models.CASCADE, related_name="attempt_log")
    at = models.DateTimeField(_("when"), auto_now_add=True)
    status_code = models.PositiveSmallIntegerField(_("HTTP status"), null=True, blank=True)
    ok = models.BooleanField(_("delivered"), default=False)
    error = models.CharField(_("error"), max_length=500, blank=True)
    worker = models.CharField(_("worker"), max_length=200, blank=True)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.delivery_id} {self.at} {self.status_code} {self.ok}"
