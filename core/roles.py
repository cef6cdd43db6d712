"""Role names (SPEC 2, Contract). Stored values must not change."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class OrgRole(models.TextChoices):
    """Organisation-wide roles, held by a user independently of teams (Django groups of these names)."""

    ADMIN = "admin", _("Administrator")
    EXECUTIVE = "executive", _("Executive")
    FINANCE_APPROVER = "finance_approver", _("Finance approver")
    MARKETING_APPROVER = "marketing_approver", _("Marketing approver")
    TECH_APPROVER = "tech_approver", _("Tech approver")


APPROVER_ROLES = frozenset({OrgRole.FINANCE_APPROVER, OrgRole.MARKETING_APPROVER, OrgRole.TECH_APPROVER})


class TeamRole(models.TextChoices):
    """A user's role within one team."""

    LEAD = "lead", _("Lead")
    DEPUTY = "deputy", _("Deputy lead")
    MEMBER = "member", _("Member")
    VIEWER = "viewer", _("Viewer")
