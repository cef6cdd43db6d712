"""Weekly standups and biweekly retrospectives (SPEC 7): series, meetings, status updates, action items,
and the log that makes reminders exactly-once."""

from __future__ import annotations

import zoneinfo

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from campaigns.models import Campaign, Task
from core.validators import TEXT_MAX_LENGTH, validate_date_in_bounds
from teams.models import validate_time_zone


class ReviewKind(models.TextChoices):
    """Series kinds (SPEC 7, Contract)."""

    STANDUP = "standup", _("Weekly standup")
    RETROSPECTIVE = "retrospective", _("Biweekly retrospective")
    CUSTOM = "custom", _("Custom interval")


class HolidayPolicy(models.TextChoices):
    """What happens when a meeting falls on a day off (SPEC 7, Contract)."""

    SKIP = "skip", _("Skip the meeting")
    NEXT_WORKDAY = "next_workday", _("Move to the next working day")


class ReviewSeries(models.Model):
    campaign = models.ForeignKey(
        Campaign, verbose_name=_("campaign"), on_delete=models.CASCADE, related_name="review_series"
    )
    kind = models.CharField(_("kind"), max_length=14, choices=ReviewKind.choices, default=ReviewKind.STANDUP)
    title = models.CharField(_("title"), max_length=150, blank=True)
    weekday = models.PositiveSmallIntegerField(_("weekday (0 = Monday)"), default=0)
    time = models.TimeField(_("time"))
    timezone = models.CharField(_("time zone"), max_length=64, default="Asia/Shanghai", validators=[validate_time_zone])
    interval_weeks = models.PositiveSmallIntegerField(_("every … weeks"), default=1)
    starts_on = models.DateField(
        _("first week"),
        help_text=_("Meetings are counted in weeks from this date."),
        validators=[validate_date_in_bounds],
    )
    chair = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("chair"), on_delete=models.PROTECT, related_name="+"
    )
    participants = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("participants"), related_name="review_series"
    )
    reminder_lead_hours = models.PositiveSmallIntegerField(_("reminder lead time (hours)"), default=24)
    holiday_policy = models.CharField(
        _("on days off"), max_length=12, choices=HolidayPolicy.choices, default=HolidayPolicy.NEXT_WORKDAY
    )
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["campaign", "kind", "id"]
        verbose_name = _("review series")
        verbose_name_plural = _("review series")
        constraints = [
            models.CheckConstraint(condition=Q(weekday__gte=0, weekday__lte=6), name="series_weekday_0_6"),
            models.CheckConstraint(
                condition=Q(interval_weeks__gte=1, interval_weeks__lte=12), name="series_interval_1_12"
            ),
            models.CheckConstraint(condition=Q(kind__in=ReviewKind.values), name="series_kind_valid"),
            models.CheckConstraint(condition=Q(holiday_policy__in=HolidayPolicy.values), name="series_policy_valid"),
        ]

    def __str__(self) -> str:
        return self.title or f"{self.campaign.code} {self.get_kind_display()}"


class MeetingStatus(models.TextChoices):
    """Meeting status (SPEC 7, Contract)."""

    SCHEDULED = "scheduled", _("Scheduled")
    HELD = "held", _("Held")
    CANCELLED = "cancelled", _("Cancelled")


class Meeting(models.Model):
    series = models.ForeignKey(
        ReviewSeries, verbose_name=_("series"), on_delete=models.CASCADE, related_name="meetings"
    )
    # The series' own date for this occurrence; scheduled_at may be moved off a holiday.
    nominal_date = models.DateField(_("nominal date"), validators=[validate_date_in_bounds])
    scheduled_at = models.DateTimeField(_("scheduled at"), db_index=True)
    status = models.CharField(
        _("status"), max_length=10, choices=MeetingStatus.choices, default=MeetingStatus.SCHEDULED
    )
    agenda = models.JSONField(_("agenda"), default=list, blank=True)
    minutes = models.TextField(_("minutes"), blank=True, max_length=TEXT_MAX_LENGTH)
    published_at = models.DateTimeField(_("minutes published at"), null=True, blank=True)
    attendees = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("attendees"), blank=True, related_name="+"
    )

    class Meta:
        ordering = ["scheduled_at", "id"]
        verbose_name = _("meeting")
        verbose_name_plural = _("meetings")
        constraints = [
            models.UniqueConstraint(fields=["series", "nominal_date"], name="one_meeting_per_series_occurrence"),
            models.CheckConstraint(condition=Q(status__in=MeetingStatus.values), name="meeting_status_valid"),
        ]

    def __str__(self) -> str:
        local = self.scheduled_at.astimezone(zoneinfo.ZoneInfo(self.series.timezone))
        return f"{self.series} {local:%Y-%m-%d %H:%M}"


class StatusUpdate(models.Model):
    """A participant's done / next / blockers before a meeting."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="status_updates")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    done = models.TextField(_("done"), blank=True, max_length=TEXT_MAX_LENGTH)
    next = models.TextField(_("next"), blank=True, max_length=TEXT_MAX_LENGTH)
    blockers = models.TextField(_("blockers"), blank=True, max_length=TEXT_MAX_LENGTH)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("status update")
        verbose_name_plural = _("status updates")
        constraints = [models.UniqueConstraint(fields=["meeting", "user"], name="one_status_update_per_person")]

    def __str__(self) -> str:
        return f"{self.meeting_id} {self.user_id}"


class ActionItem(models.Model):
    meeting = models.ForeignKey(
        Meeting, verbose_name=_("raised at"), on_delete=models.CASCADE, related_name="action_items"
    )
    title = models.CharField(_("title"), max_length=200)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("owner"), on_delete=models.PROTECT, related_name="+"
    )
    due_date = models.DateField(_("due date"), null=True, blank=True, validators=[validate_date_in_bounds])
    done = models.BooleanField(_("done"), default=False)
    task = models.ForeignKey(
        Task, verbose_name=_("task"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["done", "due_date", "id"]
        verbose_name = _("action item")
        verbose_name_plural = _("action items")

    def __str__(self) -> str:
        return self.title


class ReminderKind(models.TextChoices):
    MEETING = "meeting_reminder", _("Meeting reminder")
    STATUS_UPDATE = "status_update_reminder", _("Status update reminder")


class ReminderSent(models.Model):
    """Exactly once per (meeting, user, kind), by this constraint — not by timing."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=24, choices=ReminderKind.choices)
    run = models.UUIDField(help_text="The job run that sent it.")
    sent_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["meeting", "user", "kind"], name="one_reminder_per_meeting_user_kind")
        ]
        indexes = [models.Index(fields=["run"])]

    def __str__(self) -> str:
        return f"{self.meeting_id} {self.user_id} {self.kind}"


class Retrospective(models.Model):
    """The biweekly retrospective's scores and report (SPEC 7; the seed's template: goal attainment, resource
    efficiency, innovations, improvements; report: lessons, suggestions, responsibility assignment)."""

    meeting = models.OneToOneField(Meeting, on_delete=models.CASCADE, related_name="retrospective")
    goal_score = models.PositiveSmallIntegerField(_("goal attainment (1–5)"))
    goal_comment = models.TextField(_("goal attainment: comment"), blank=True, max_length=TEXT_MAX_LENGTH)
    efficiency_score = models.PositiveSmallIntegerField(_("resource efficiency (1–5)"))
    efficiency_comment = models.TextField(_("resource efficiency: comment"), blank=True, max_length=TEXT_MAX_LENGTH)
    innovation_score = models.PositiveSmallIntegerField(_("innovations (1–5)"))
    innovation_comment = models.TextField(_("innovations: comment"), blank=True, max_length=TEXT_MAX_LENGTH)
    improvement_score = models.PositiveSmallIntegerField(_("improvements (1–5)"))
    improvement_comment = models.TextField(_("improvements: comment"), blank=True, max_length=TEXT_MAX_LENGTH)
    lessons = models.TextField(_("lessons learned"), blank=True, max_length=TEXT_MAX_LENGTH)
    suggestions = models.TextField(_("suggestions"), blank=True, max_length=TEXT_MAX_LENGTH)
    responsibilities = models.TextField(_("responsibility assignment"), blank=True, max_length=TEXT_MAX_LENGTH)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("retrospective")
        verbose_name_plural = _("retrospectives")
        constraints = [
            models.CheckConstraint(
                condition=Q(goal_score__gte=1, goal_score__lte=5, efficiency_score__gte=1, efficiency_score__lte=5,
                            innovation_score__gte=1, innovation_score__lte=5, improvement_score__gte=1,
                            improvement_score__lte=5),
                name="retrospective_scores_1_5",
            )
        ]  # fmt: skip

    def __str__(self) -> str:
        return f"{self.meeting}"


class AgendaNote(models.Model):
    """The minutes of one agenda item (SPEC 7: per agenda item notes and decisions), kept as the chair writes them
    in standup mode; ``item_key`` is the agenda item's ``key``."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="agenda_notes")
    item_key = models.CharField(_("agenda item"), max_length=64)
    notes = models.TextField(_("notes"), blank=True, max_length=TEXT_MAX_LENGTH)
    decision = models.TextField(_("decision"), blank=True, max_length=TEXT_MAX_LENGTH)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("agenda item notes")
        verbose_name_plural = _("agenda item notes")
        constraints = [models.UniqueConstraint(fields=["meeting", "item_key"], name="one_note_per_agenda_item")]

    def __str__(self) -> str:
        return f"{self.meeting_id} {self.item_key}"
