"""The admin site for the kernel: the audit ledger (read-only), notifications, and the working calendar."""

from __future__ import annotations

from django.contrib import admin

from .models import AuditEntry, CalendarDay, Notification
from .services.calendar import calendar_day_delete, calendar_days_set


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """Read-only: the ledger is append-only, and editing it here would break the chain by design."""

    list_display = ["seq", "created_at", "actor_username", "action", "object_type", "object_id"]
    list_filter = ["action", "object_type"]
    search_fields = ["actor_username", "action", "object_id"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["recipient", "verb", "created_at", "read_at", "email_sent_at"]
    list_filter = ["verb"]
    search_fields = ["recipient__username", "written_text"]
    raw_id_fields = ["recipient"]


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    """Entries go through the calendar service, so that the affected meetings move and their chairs hear of it."""

    list_display = ["date", "kind", "name", "updated_by", "updated_at"]
    list_filter = ["kind"]
    date_hierarchy = "date"
    search_fields = ["name"]
    fields = ["date", "kind", "name"]

    def save_model(self, request, obj, form, change) -> None:
        if change and "date" in form.changed_data:
            old = CalendarDay.objects.get(pk=obj.pk)
            calendar_day_delete(actor=request.user, day=old)
        [saved] = calendar_days_set(actor=request.user, start=obj.date, kind=obj.kind, name=obj.name)
        obj.pk = saved.pk

    def delete_model(self, request, obj) -> None:
        calendar_day_delete(actor=request.user, day=obj)

    def delete_queryset(self, request, queryset) -> None:
        for day in queryset:
            calendar_day_delete(actor=request.user, day=day)
