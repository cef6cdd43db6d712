"""Serializer pieces every app's API shares: the largest id a filter accepts, and related fields whose errors name
the kind of thing and never tell "hidden" from "missing"."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

# The largest primary key the database can hold; beyond it a filter would overflow instead of matching nothing.
MAX_ID = 2**63 - 1

# One message for "does not exist" and "exists but is not yours", so ids of other teams' rows reveal nothing.
# DRF fills in ``{pk_value}`` and ``{data_type}`` with str.format.
RELATED_ERRORS: dict[str, dict[str, Any]] = {
    "team": {
        "does_not_exist": _("No team with id {pk_value} is available to you."),
        "incorrect_type": _("Give the team's id as an integer."),
    },
    "user": {
        "does_not_exist": _("No active user has id {pk_value}."),
        "incorrect_type": _("Give the user's id as an integer."),
    },
    "department": {
        "does_not_exist": _("No department has id {pk_value}."),
        "incorrect_type": _("Give the department's id as an integer."),
    },
    "playbook": {
        "does_not_exist": _("No playbook has id {pk_value}."),
        "incorrect_type": _("Give the playbook's id as an integer."),
    },
    "campaign": {
        "does_not_exist": _("No campaign with id {pk_value} is available to you."),
        "incorrect_type": _("Give the campaign's id as an integer."),
    },
    "phase": {
        "does_not_exist": _("No phase with id {pk_value} is available to you."),
        "incorrect_type": _("Give the phase's id as an integer."),
    },
    "task": {
        "does_not_exist": _("No task with id {pk_value} is available to you."),
        "incorrect_type": _("Give the task's id as an integer."),
    },
}


def related_field(kind: str, **kwargs: Any) -> serializers.PrimaryKeyRelatedField:
    """A primary-key field whose errors name the kind of thing and never tell "hidden" from "missing"."""
    # With many=True DRF hands the messages to both the list and each item.
    return serializers.PrimaryKeyRelatedField(error_messages=dict(RELATED_ERRORS[kind]), **kwargs)
