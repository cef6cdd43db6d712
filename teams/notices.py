"""The teams app's notification messages (SPEC 10.4: stored as key + parameters, written when read)."""

from django.utils.translation import gettext_lazy as _

from core.messages import message
from core.models import NotificationVerb

MEMBERSHIP_SET = message(
    "teams.membership_set", NotificationVerb.TEAM_MEMBERSHIP, _("You are now %(role)s of the team %(team)s.")
)

# Posted by a channel's "send test message" button (not an inbox notification).
CHAT_TEST = message(
    "teams.chat_test",
    "chat_test",
    _("Test message from Concord: this channel will receive the events chosen for the team %(team)s."),
)
