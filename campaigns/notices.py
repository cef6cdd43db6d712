"""The campaigns app's notification messages (SPEC 10.3/10.4: stored as key + parameters, written when read)."""

from django.utils.translation import gettext_lazy as _

from core.messages import message
from core.models import NotificationVerb

MENTIONED = message(
    "campaigns.mentioned", NotificationVerb.MENTIONED, _("%(author)s mentioned you on the task “%(task)s”.")
)
COMMENT_ADDED = message(
    "campaigns.comment_added", NotificationVerb.COMMENT_ADDED, _("%(author)s commented on the task “%(task)s”.")
)
