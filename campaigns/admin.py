"""Django admin for campaigns, their plans (phases, milestones, tasks), channels, KPIs and playbooks."""

from __future__ import annotations

from django.contrib import admin

from .models import Campaign, Channel, Kpi, KpiReading, Milestone, Phase, Playbook, Task, TaskDependency


class PhaseInline(admin.TabularInline):
    model = Phase
    extra = 0


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "team", "lead", "status", "start_date", "end_date"]
    list_filter = ["status", "team"]
    search_fields = ["code", "name"]
    list_select_related = ["team", "lead"]
    autocomplete_fields = ["lead", "team"]
    inlines = [PhaseInline]


@admin.register(Task)
class TaskAdmin(admin.ModelAdmin):
    list_display = ["title", "campaign", "phase", "owner", "start_date", "due_date", "status", "progress"]
    list_filter = ["status", "campaign"]
    search_fields = ["title"]
    list_select_related = ["campaign", "phase", "owner"]
    raw_id_fields = ["campaign", "phase", "owner"]


@admin.register(Milestone)
class MilestoneAdmin(admin.ModelAdmin):
    list_display = ["name", "campaign", "phase", "due_date", "done"]
    list_filter = ["done", "campaign"]
    raw_id_fields = ["campaign", "phase"]


class KpiReadingInline(admin.TabularInline):
    model = KpiReading
    extra = 0
    raw_id_fields = ["recorded_by"]


@admin.register(Kpi)
class KpiAdmin(admin.ModelAdmin):
    list_display = ["name", "campaign", "kind", "target", "direction"]
    list_filter = ["kind"]
    raw_id_fields = ["campaign"]
    inlines = [KpiReadingInline]


@admin.register(Channel)
class ChannelAdmin(admin.ModelAdmin):
    list_display = ["name", "campaign", "type", "reach_target", "conversion_target"]
    list_filter = ["type"]
    raw_id_fields = ["campaign"]


@admin.register(Playbook)
class PlaybookAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "builtin", "created_by", "created_at"]


admin.site.register(TaskDependency)
