"""A campaign's activity (SPEC 10.3): who changed what, before → after, when — read from the audit ledger, which
records every write to the campaign, its phases, milestones, tasks, dependencies, KPIs, channels and risks (and
the comments and attachments on tasks). Reads only; the caller has checked the campaign or task is readable."""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from core.models import AuditEntry

from .models import Campaign, Task

OBJECT_LABELS = {
    "campaigns.campaign": _("campaign"),
    "campaigns.phase": _("phase"),
    "campaigns.milestone": _("milestone"),
    "campaigns.task": _("task"),
    "campaigns.kpi": _("KPI"),
    "campaigns.channel": _("channel"),
    "campaigns.playbook": _("playbook"),
    "risks.risk": _("risk"),
}
VERB_LABELS = {
    "created": _("created"),
    "updated": _("changed"),
    "deleted": _("deleted"),
    "transitioned": _("moved"),
    "transition": _("moved"),
    "copied": _("copied"),
    "comment_added": _("commented on"),
    "comment_edited": _("edited a comment on"),
    "comment_deleted": _("deleted a comment on"),
    "attachment_added": _("attached a file to"),
    "attachment_deleted": _("removed a file from"),
    "dependency_removed": _("removed a dependency of"),
    "acknowledged": _("acknowledged the alert of"),
    "reviewed": _("reviewed"),
}
PEOPLE_FIELDS = {"owner", "lead", "chair"}  # ids of users: shown by name
HIDDEN_FIELDS = {"comment"}  # a comment's id says nothing to a reader (the API keeps it)


def field_value(object_type: str, field: str, value: Any) -> Any:
    """A stored value as people read it: a choice's label in the reader's language (``open`` → "Open")."""
    try:
        choices = dict(apps.get_model(object_type)._meta.get_field(field).flatchoices or ())
    except (LookupError, ValueError, FieldDoesNotExist, AttributeError):
        return value
    return str(choices.get(value, value)) if value is not None else None


def field_label(object_type: str, field: str) -> str:
    """The field's verbose name in the reader's language (the model named by the entry), else the raw name."""
    try:
        model = apps.get_model(object_type)  # a label stored in the ledger, whichever app it names
        return str(getattr(model._meta.get_field(field), "verbose_name", field))  # a reverse relation has none
    except (LookupError, ValueError, FieldDoesNotExist):
        return field


def campaign_activity(*, campaign: Campaign) -> QuerySet[AuditEntry]:
    """Every ledger entry about the campaign and what is in it, newest first (index ``audit_scope_newest``)."""
    return AuditEntry.objects.filter(scope=f"campaign:{campaign.pk}").select_related("actor").order_by("-seq")


def task_activity(*, task: Task) -> QuerySet[AuditEntry]:
    """The ledger entries about one task (its fields, dependencies, comments, attachments), newest first."""
    return (
        AuditEntry.objects.filter(object_type="campaigns.task", object_id=str(task.pk))
        .select_related("actor")
        .order_by("-seq")
    )


def entry_changes(entry: AuditEntry) -> dict[str, list[Any]]:
    """``{"field": [before, after]}`` for the fields the entry records (SPEC 10.3)."""
    before = entry.before if isinstance(entry.before, dict) else {}
    after = entry.after if isinstance(entry.after, dict) else {}
    changes = {}
    for field in [*before, *(k for k in after if k not in before)]:
        old, new = before.get(field), after.get(field)
        if old != new:
            changes[field] = [old, new]
    return changes


def entry_summary(entry: AuditEntry) -> str:
    """A short sentence's verb and object: "changed task", "commented on task"."""
    verb = entry.action.rpartition(".")[2]
    return f"{VERB_LABELS.get(verb, verb.replace('_', ' '))} {OBJECT_LABELS.get(entry.object_type, entry.object_type)}"


def entry_title(entry: AuditEntry) -> str:
    """The object's name as the entry recorded it, when it did (title or name), else ``#id``."""
    for side in (entry.after, entry.before):
        if isinstance(side, dict):
            for key in ("title", "name", "code"):
                if side.get(key):
                    return str(side[key])
    return f"#{entry.object_id}"
