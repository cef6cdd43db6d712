"""The budgets app's notification messages (SPEC 10.4: stored as key + parameters, written when read)."""

from django.utils.translation import gettext_lazy as _

from core.messages import message
from core.models import NotificationVerb

SUBMITTED = message(
    "budgets.submitted", NotificationVerb.BUDGET_SUBMITTED, _("Budget %(budget)s (%(total)s) awaits your sign-off.")
)
APPROVED = message(
    "budgets.approved",
    NotificationVerb.BUDGET_APPROVED,
    _("Budget %(budget)s was approved by finance, marketing and tech."),
)
REJECTED = message(
    "budgets.rejected",
    NotificationVerb.BUDGET_REJECTED,
    _("Budget %(budget)s was rejected; revise it to start a new round."),
)
REMINDER = message(
    "budgets.reminder",
    NotificationVerb.BUDGET_REMINDER,
    _("Reminder: budget %(budget)s still awaits your sign-off (%(roles)s)."),
)
LINE_WARNING = message(
    "budgets.line_warning",
    NotificationVerb.BUDGET_OVERSPEND,
    _("Budget line %(line)s of %(budget)s has used %(pct)s%% (%(spent)s of %(amount)s)."),
)
LINE_OVERSPENT = message(
    "budgets.line_overspent",
    NotificationVerb.BUDGET_OVERSPEND,
    _("Budget line %(line)s of %(budget)s is overspent: %(spent)s of %(amount)s (%(pct)s%%)."),
)
