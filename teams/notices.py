"""The teams app's notification messages (SPEC 10.4: stored as key + parameters, written when read)."""

from django.utils.translation import gettext_lazy as _

from core.messages import message
from core.models import NotificationVerb

MEMBERSHIP_SET = message(
    "teams.membership_set", NotificationVerb.TEAM_MEMBERSHIP, _("You are now %(role)s of the team %(team)s.")
)
