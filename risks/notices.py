"""The risks app's notification messages (SPEC 10.4: stored as key + parameters, written when read)."""

from django.utils.translation import gettext_lazy as _

from core.messages import message
from core.models import NotificationVerb

from .models import AlertLevel

ALERT_MESSAGES = {
    AlertLevel.BLUE: message(
        "risks.alert.blue",
        NotificationVerb.RISK_ALERT,
        _("Blue alert on risk “%(risk)s” (%(campaign)s): expected %(date)s — start the contingency plan."),
        date="date",
    ),
    AlertLevel.YELLOW: message(
        "risks.alert.yellow",
        NotificationVerb.RISK_ALERT,
        _("Yellow alert on risk “%(risk)s” (%(campaign)s): expected %(date)s — start the emergency response."),
        date="date",
    ),
    AlertLevel.RED: message(
        "risks.alert.red",
        NotificationVerb.RISK_ALERT,
        _("Red alert on risk “%(risk)s” (%(campaign)s): urgent intervention needed."),
    ),
}
ESCALATED = message(
    "risks.alert.escalated",
    NotificationVerb.RISK_ALERT,
    _(
        "Escalated: the %(level)s alert on risk “%(risk)s” (%(campaign)s) has not been acknowledged "
        "by %(owner)s for 24 hours."
    ),
)
