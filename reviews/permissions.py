"""Who may see and change review series and meetings: the campaign's rule (SPEC 2), reached through the
campaign. Running a meeting (open, minutes, action items) is further limited to its chair or the campaign's
lead by reviews.agenda."""

from __future__ import annotations

from campaigns.permissions import approver_scope
from core.permissions import TeamScopedPolicy

series_policy = TeamScopedPolicy(team_path="campaign__team_id", approver_scope=approver_scope("campaign__"))
meeting_policy = TeamScopedPolicy(
    team_path="series__campaign__team_id", approver_scope=approver_scope("series__campaign__")
)
action_item_policy = TeamScopedPolicy(
    team_path="meeting__series__campaign__team_id", approver_scope=approver_scope("meeting__series__campaign__")
)
