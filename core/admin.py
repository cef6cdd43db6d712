from __future__ import annotations

from django.contrib import admin

from .models import AuditEntry, Notification


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
