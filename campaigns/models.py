"""Campaigns and their plans (SPEC 3, Contract names): phases, milestones, tasks with finish-to-start dependencies,
reach channels, KPIs with dated readings, and playbooks (reusable plan templates)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from core.validators import TEXT_MAX_LENGTH, validate_code, validate_date_in_bounds
from teams.models import Department, Team, validate_time_zone


class CampaignStatus(models.TextChoices):
    """Campaign lifecycle (SPEC 3, Contract)."""

    DRAFT = "draft", _("Draft")
    PLANNING = "planning", _("Planning")
    ACTIVE = "active", _("Active")
    CLOSING = "closing", _("Closing")
    CLOSED = "closed", _("Closed")
    CANCELLED = "cancelled", _("Cancelled")


# Allowed moves: forward one step, or cancel from any state before closed.
CAMPAIGN_TRANSITIONS: dict[str, frozenset[str]] = {
    CampaignStatus.DRAFT: frozenset({CampaignStatus.PLANNING, CampaignStatus.CANCELLED}),
    CampaignStatus.PLANNING: frozenset({CampaignStatus.ACTIVE, CampaignStatus.CANCELLED}),
    CampaignStatus.ACTIVE: frozenset({CampaignStatus.CLOSING, CampaignStatus.CANCELLED}),
    CampaignStatus.CLOSING: frozenset({CampaignStatus.CLOSED, CampaignStatus.CANCELLED}),
    CampaignStatus.CLOSED: frozenset(),
    CampaignStatus.CANCELLED: frozenset(),
}


class Health(models.TextChoices):
    """Phase health light (SPEC 3, Contract; the seed's 三色預警)."""

    GREEN = "green", _("On plan")
    YELLOW = "yellow", _("Needs attention")
    RED = "red", _("Urgent intervention")


class Playbook(models.Model):
    """A reusable campaign template: phases, milestones, tasks with relative offsets and dependencies,
    KPI set, channels, budget categories and a risk checklist (``definition``, see campaigns/playbooks.py)."""

    code = models.SlugField(_("code"), max_length=60, unique=True)
    name = models.CharField(_("name"), max_length=150)
    description = models.TextField(_("description"), blank=True, max_length=TEXT_MAX_LENGTH)
    builtin = models.BooleanField(_("built in"), default=False)
    # Issue 13: a saved playbook belongs to the team whose campaign it came from; only its people use it.
    # Built-in playbooks have no team and are offered to everyone.
    team = models.ForeignKey(
        "teams.Team",
        verbose_name=_("team"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="playbooks",
    )
    definition = models.JSONField(_("definition"), default=dict)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-builtin", "name"]
        verbose_name = _("playbook")
        verbose_name_plural = _("playbooks")

    def __str__(self) -> str:
        return self.name

    @property
    def duration_days(self) -> int:
        phases = self.definition.get("phases", [])
        return max((p["offset"] + p["duration"] for p in phases), default=1)


class Campaign(models.Model):
    code = models.CharField(_("code"), max_length=40, unique=True, validators=[validate_code])
    name = models.CharField(_("name"), max_length=200)
    objective = models.TextField(
        _("objective"), blank=True, help_text=_("The SMART goal of the campaign."), max_length=TEXT_MAX_LENGTH
    )
    team = models.ForeignKey(Team, verbose_name=_("team"), on_delete=models.PROTECT, related_name="campaigns")
    lead = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("lead"), on_delete=models.PROTECT, related_name="led_campaigns"
    )
    departments = models.ManyToManyField(Department, verbose_name=_("participating departments"), blank=True)
    start_date = models.DateField(_("start date"), validators=[validate_date_in_bounds])
    end_date = models.DateField(_("end date"), validators=[validate_date_in_bounds])
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    time_zone = models.CharField(
        _("time zone"), max_length=64, default="Asia/Shanghai", validators=[validate_time_zone]
    )
    status = models.CharField(_("status"), max_length=12, choices=CampaignStatus.choices, default=CampaignStatus.DRAFT)
    playbook = models.ForeignKey(
        Playbook, verbose_name=_("created from playbook"), null=True, blank=True, on_delete=models.SET_NULL
    )
    copied_from = models.ForeignKey(
        "self", verbose_name=_("copied from"), null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    # Health (SPEC 10.2) as campaigns.health decides it, stored so that lists can filter and sort by it. It holds
    # for the day ``health_on`` (the campaign's "today" when it was worked out); the services that change what it
    # depends on clear ``health_on``, and readers (campaigns.health.fresh_health) work out again any campaign
    # whose ``health_on`` is empty or before its today. Never read these columns without going through it.
    health = models.CharField(_("health"), max_length=6, choices=Health.choices, default=Health.GREEN, editable=False)
    health_rank = models.PositiveSmallIntegerField(default=1, editable=False)
    projected_end = models.DateField(_("projected end"), null=True, blank=True, editable=False)
    slip_days = models.IntegerField(_("slip (days)"), default=0, editable=False)
    health_reasons = models.JSONField(default=list, blank=True, editable=False)
    health_on = models.DateField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-start_date", "code"]
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        constraints = [
            models.CheckConstraint(condition=Q(end_date__gte=F("start_date")), name="campaign_ends_after_start"),
            models.CheckConstraint(condition=Q(status__in=CampaignStatus.values), name="campaign_status_valid"),
        ]
        indexes = [
            models.Index(fields=["team", "status"]),
            models.Index(fields=["start_date"]),
            models.Index(fields=["health_rank", "code"], name="campaign_health_rank"),
            models.Index(fields=["health", "code"], name="campaign_health"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def audit_scope(self) -> str:
        """The ledger lists entries about the campaign under its own scope (core.services.audit)."""
        return f"campaign:{self.pk}"

    def can_move_to(self, status: str) -> bool:
        return status in CAMPAIGN_TRANSITIONS.get(self.status, frozenset())

    @property
    def allowed_transitions(self) -> list[str]:
        order = CampaignStatus.values
        return sorted(CAMPAIGN_TRANSITIONS.get(self.status, frozenset()), key=order.index)


class Phase(models.Model):
    campaign = models.ForeignKey(Campaign, verbose_name=_("campaign"), on_delete=models.CASCADE, related_name="phases")
    name = models.CharField(_("name"), max_length=150)
    order = models.PositiveSmallIntegerField(_("order"), default=1)
    start_date = models.DateField(_("start date"), validators=[validate_date_in_bounds])
    end_date = models.DateField(_("end date"), validators=[validate_date_in_bounds])

    class Meta:
        ordering = ["campaign", "order", "start_date"]
        verbose_name = _("phase")
        verbose_name_plural = _("phases")
        constraints = [
            models.CheckConstraint(condition=Q(end_date__gte=F("start_date")), name="phase_ends_after_start"),
        ]

    def __str__(self) -> str:
        return self.name


class Milestone(models.Model):
    """A key checkpoint (關鍵節點) with its deliverable (交付物)."""

    campaign = models.ForeignKey(
        Campaign, verbose_name=_("campaign"), on_delete=models.CASCADE, related_name="milestones"
    )
    phase = models.ForeignKey(Phase, verbose_name=_("phase"), on_delete=models.CASCADE, related_name="milestones")
    name = models.CharField(_("name"), max_length=200)
    due_date = models.DateField(_("due date"), validators=[validate_date_in_bounds])
    deliverable = models.CharField(_("deliverable"), max_length=300, blank=True)
    done = models.BooleanField(_("done"), default=False)
    done_on = models.DateField(_("done on"), null=True, blank=True, validators=[validate_date_in_bounds])

    class Meta:
        ordering = ["due_date", "id"]
        verbose_name = _("milestone")
        verbose_name_plural = _("milestones")
        indexes = [models.Index(fields=["campaign", "due_date"])]

    def __str__(self) -> str:
        return self.name

    def is_overdue(self, today: dt.date) -> bool:
        return not self.done and self.due_date < today


class TaskStatus(models.TextChoices):
    TODO = "todo", _("To do")
    IN_PROGRESS = "in_progress", _("In progress")
    BLOCKED = "blocked", _("Blocked")
    DONE = "done", _("Done")


class Task(models.Model):
    campaign = models.ForeignKey(Campaign, verbose_name=_("campaign"), on_delete=models.CASCADE, related_name="tasks")
    phase = models.ForeignKey(
        Phase, verbose_name=_("phase"), null=True, blank=True, on_delete=models.SET_NULL, related_name="tasks"
    )
    title = models.CharField(_("title"), max_length=200)
    # SPEC 10.3: Markdown, shown through core.markdown (parsed, then sanitised).
    description = models.TextField(_("description"), blank=True, max_length=20_000)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="campaign_tasks",
    )
    department = models.ForeignKey(
        Department, verbose_name=_("department"), null=True, blank=True, on_delete=models.SET_NULL
    )
    start_date = models.DateField(_("start date"), validators=[validate_date_in_bounds])
    due_date = models.DateField(_("due date"), validators=[validate_date_in_bounds])
    status = models.CharField(_("status"), max_length=12, choices=TaskStatus.choices, default=TaskStatus.TODO)
    progress = models.PositiveSmallIntegerField(
        _("progress %"), default=0, validators=[MinValueValidator(0), MaxValueValidator(100)]
    )
    depends_on = models.ManyToManyField(
        "self",
        verbose_name=_("depends on"),
        symmetrical=False,
        through="TaskDependency",
        through_fields=("successor", "predecessor"),
        related_name="dependents",
        blank=True,
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["start_date", "due_date", "id"]
        verbose_name = _("task")
        verbose_name_plural = _("tasks")
        constraints = [
            models.CheckConstraint(condition=Q(due_date__gte=F("start_date")), name="task_due_after_start"),
            models.CheckConstraint(condition=Q(progress__gte=0, progress__lte=100), name="task_progress_0_100"),
            models.CheckConstraint(condition=Q(status__in=TaskStatus.values), name="task_status_valid"),
        ]
        indexes = [models.Index(fields=["campaign", "due_date"]), models.Index(fields=["owner", "status"])]

    def __str__(self) -> str:
        return self.title

    @property
    def duration_days(self) -> int:
        return (self.due_date - self.start_date).days + 1

    def is_late(self, today: dt.date) -> bool:
        return self.status != TaskStatus.DONE and self.due_date < today


class TaskDependency(models.Model):
    """Finish-to-start: ``successor`` may start only after ``predecessor`` finishes."""

    predecessor = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="successor_links")
    successor = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="predecessor_links")

    class Meta:
        verbose_name = _("task dependency")
        verbose_name_plural = _("task dependencies")
        constraints = [
            models.UniqueConstraint(fields=["predecessor", "successor"], name="one_dependency_per_pair"),
            models.CheckConstraint(condition=~Q(predecessor=F("successor")), name="task_not_own_dependency"),
        ]

    def __str__(self) -> str:
        return f"{self.predecessor_id} → {self.successor_id}"


COMMENT_MAX_LENGTH = 20_000


class TaskComment(models.Model):
    """A comment on a task (SPEC 10.3): Markdown, editable by its author for 15 minutes, deletable by them."""

    task = models.ForeignKey(Task, verbose_name=_("task"), on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("author"), on_delete=models.PROTECT, related_name="task_comments"
    )
    body = models.TextField(_("comment"), max_length=COMMENT_MAX_LENGTH)
    created_at = models.DateTimeField(_("written at"), auto_now_add=True)
    edited_at = models.DateTimeField(_("edited at"), null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("comment")
        verbose_name_plural = _("comments")
        indexes = [
            models.Index(fields=["task", "created_at"]),
            # Search lists the newest matching comments first: walking this index it stops after a few.
            models.Index(fields=["-created_at", "-id"], name="comment_newest"),
        ]
        constraints = [models.CheckConstraint(condition=~Q(body=""), name="comment_not_empty")]

    def __str__(self) -> str:
        return f"{self.task_id}: {self.body[:40]}"


class TaskWatcher(models.Model):
    """Someone who hears about a task's comments: its owner and commenters automatically, or by choice."""

    task = models.ForeignKey(Task, verbose_name=_("task"), on_delete=models.CASCADE, related_name="watcher_links")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="watched_tasks"
    )
    created_at = models.DateTimeField(_("since"), auto_now_add=True)

    class Meta:
        verbose_name = _("watcher")
        verbose_name_plural = _("watchers")
        constraints = [models.UniqueConstraint(fields=["task", "user"], name="one_watch_per_task_and_user")]

    def __str__(self) -> str:
        return f"{self.user_id} watches {self.task_id}"


def _attachment_storage():
    from django.core.files.storage import storages

    return storages["attachments"]


class TaskAttachment(models.Model):
    """A file attached to a task (SPEC 10.3), stored through the ``attachments`` storage under a generated name;
    ``filename`` is the cleaned original name, shown and used for downloads."""

    task = models.ForeignKey(Task, verbose_name=_("task"), on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(_("file"), storage=_attachment_storage, max_length=300)
    filename = models.CharField(_("file name"), max_length=200)
    size = models.PositiveBigIntegerField(_("size in bytes"))
    content_type = models.CharField(_("content type"), max_length=100)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("uploaded by"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        constraints = [models.CheckConstraint(condition=Q(size__gt=0), name="attachment_not_empty")]

    def __str__(self) -> str:
        return self.filename

    @property
    def is_image(self) -> bool:
        return self.content_type in PREVIEW_TYPES

    @property
    def download_url(self) -> str:
        """Where it is downloaded through the task's access rules (the API route, which a session also opens)."""
        return f"/api/v1/tasks/{self.task_id}/attachments/{self.pk}/download/"


# Shown inline (previews); every other type is downloaded as application/octet-stream. No SVG: it can hold script.
PREVIEW_TYPES = {"image/png", "image/jpeg", "image/gif", "image/webp"}


class ChannelType(models.TextChoices):
    """Channel types (SPEC 3, Contract)."""

    APP_PUSH = "app_push", _("App push")
    SMS = "sms", _("SMS")
    SOCIAL = "social", _("Social media")
    SEARCH = "search", _("Search")
    ECOMMERCE = "ecommerce", _("E-commerce")
    CONTENT = "content", _("Content")
    LIVE = "live", _("Live streaming")
    OFFLINE_STORE = "offline_store", _("Offline stores")
    PARTNER = "partner", _("Partner")


class Channel(models.Model):
    campaign = models.ForeignKey(
        Campaign, verbose_name=_("campaign"), on_delete=models.CASCADE, related_name="channels"
    )
    type = models.CharField(_("type"), max_length=20, choices=ChannelType.choices)
    name = models.CharField(_("name"), max_length=150)
    reach_target = models.PositiveBigIntegerField(_("reach target"), null=True, blank=True)
    conversion_target = models.DecimalField(
        _("conversion target %"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(100))],
    )
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        ordering = ["campaign", "type", "name"]
        verbose_name = _("channel")
        verbose_name_plural = _("channels")
        constraints = [
            models.UniqueConstraint(fields=["campaign", "name"], name="channel_name_unique_per_campaign"),
            models.CheckConstraint(condition=Q(type__in=ChannelType.values), name="channel_type_valid"),
        ]

    def __str__(self) -> str:
        return self.name


class KpiKind(models.TextChoices):
    CONVERSION_RATE = "conversion_rate", _("Conversion rate")
    CAC = "cac", _("Customer acquisition cost")
    ROI = "roi", _("Return on investment")
    ARPU = "arpu", _("Average revenue per user")
    MEMBER_CONVERSION = "member_conversion", _("Member conversion rate")
    REDEMPTION_RATE = "redemption_rate", _("Benefit redemption rate")
    NPS = "nps", _("Net promoter score")
    COUNT = "count", _("Count")
    OTHER = "other", _("Other")


class KpiDirection(models.TextChoices):
    HIGHER = "higher", _("Higher is better")
    LOWER = "lower", _("Lower is better")


# A KPI whose latest actual deviates from its forecast by more than this is flagged (seed: 偏差超過15%).
KPI_DEVIATION_LIMIT = Decimal("0.15")


class Kpi(models.Model):
    campaign = models.ForeignKey(Campaign, verbose_name=_("campaign"), on_delete=models.CASCADE, related_name="kpis")
    name = models.CharField(_("name"), max_length=150)
    kind = models.CharField(_("kind"), max_length=20, choices=KpiKind.choices, default=KpiKind.OTHER)
    unit = models.CharField(_("unit"), max_length=20, blank=True)
    direction = models.CharField(
        _("direction"), max_length=6, choices=KpiDirection.choices, default=KpiDirection.HIGHER
    )
    baseline = models.DecimalField(_("baseline"), max_digits=16, decimal_places=4, null=True, blank=True)
    target = models.DecimalField(_("target"), max_digits=16, decimal_places=4)

    class Meta:
        ordering = ["campaign", "id"]
        verbose_name = _("KPI")
        verbose_name_plural = _("KPIs")
        constraints = [models.UniqueConstraint(fields=["campaign", "name"], name="kpi_name_unique_per_campaign")]

    def __str__(self) -> str:
        return self.name


class KpiReading(models.Model):
    """A dated actual value and/or forecast of a KPI."""

    kpi = models.ForeignKey(Kpi, verbose_name=_("KPI"), on_delete=models.CASCADE, related_name="readings")
    date = models.DateField(_("date"), validators=[validate_date_in_bounds])
    actual = models.DecimalField(_("actual"), max_digits=16, decimal_places=4, null=True, blank=True)
    forecast = models.DecimalField(_("forecast"), max_digits=16, decimal_places=4, null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), null=True, blank=True, on_delete=models.SET_NULL
    )

    class Meta:
        ordering = ["kpi", "date"]
        verbose_name = _("KPI reading")
        verbose_name_plural = _("KPI readings")
        constraints = [
            models.UniqueConstraint(fields=["kpi", "date"], name="one_reading_per_kpi_and_date"),
            models.CheckConstraint(
                condition=Q(actual__isnull=False) | Q(forecast__isnull=False), name="reading_has_a_value"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kpi_id} {self.date}"
