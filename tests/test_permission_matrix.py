"""The permission matrix: every URL of the site and the API, for every persona of SPEC 2.1, against SPEC 2's table.

The URL patterns are discovered from ``config.urls`` (walked recursively, DRF routers included with their list,
detail and ``@action`` routes; the ``.json`` format-suffix twins and the admin site's own patterns are left out:
the admin is checked once, through ``admin:index``). Every pattern must have a rule in :data:`RULES`, and every
rule must name a pattern that exists — otherwise ``test_every_url_pattern_has_a_rule`` fails naming them.

How to add a rule (one line in :data:`RULES`, keyed by the URL name as ``reverse()`` knows it)::

    "reviews:agenda_item_edit": {"GET": READ, "POST": WRITE},
    "portfolio": {"GET": EXEC_ONLY},
    "api-thing-list": {"GET": READ, "POST": WRITE},          # API names are the router's basename-suffix

Each method maps to an expectation: a dict persona → status, built from the profiles below
(``READ``, ``WRITE``, ``MANAGE``, ``ANYONE``, …) or with :func:`expect` for anything else. A persona whose
status is ``None`` is allowed to write; that write is *not* performed (the test checks only that forbidden
personas are refused and that nothing changed). Methods a rule does not name are exercised too and must answer
405 (for GET, POST, and for API routes PATCH and DELETE). URL arguments are filled with real ids of the task
force's objects by :func:`url_kwargs` (``pk`` is read by namespace or API basename: a new app or router basename
goes into ``PK_BY_NAMESPACE``/``PK_BY_BASENAME``, a new kind of object into ``build_world``); give a rule's odd
argument in :data:`KWARGS`, and a write that an empty body cannot reach the rights check with in :data:`BODIES`.

Anonymous visitors are checked as an eleventh persona: HTML pages redirect them to the login page, the API
answers 401. The outsider (lead of another team) must get 404 on the task force's objects, and no page or API
answer they get (streamed exports included) may carry the name of the task force's campaign or team, or the title
of one of its tasks, risks or action items.

Data: ``seed_demo``'s personas and objects (a small number of synthetic members), so the personas are exactly
SPEC 2.1's: the task force's budget is awaiting sign-off, so the approvers read the campaign (SPEC 2).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Mapping
from urllib.parse import urlencode

import pytest
from django.apps import apps
from django.core import serializers
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

pytestmark = pytest.mark.slow  # a site-wide sweep; `make test-fast` leaves it out

ANONYMOUS = "anonymous"
PERSONAS = ("admin", "lead", "deputy", "staff", "viewer", "finance", "marketing", "tech", "exec", "outsider")
# Sentinel: "the login redirect" on HTML pages, 401 on the API.
LOGIN = "login"

Expectation = Mapping[str, "int | str | None"]


def expect(
    allowed: set[str] | frozenset[str],
    *,
    status: int | None = 200,
    denied: int = 403,
    hidden: set[str] | frozenset[str] = frozenset({"outsider"}),
    anonymous: int | str = LOGIN,
) -> dict[str, int | str | None]:
    """Statuses per persona: ``status`` for the allowed (``None``: an allowed write, not performed), 404 for
    ``hidden`` (they must not learn the object exists), ``denied`` for the rest, ``anonymous`` for visitors."""
    table: dict[str, int | str | None] = {ANONYMOUS: anonymous}
    for persona in PERSONAS:
        if persona in allowed:
            table[persona] = status
        elif persona in hidden:
            table[persona] = 404
        else:
            table[persona] = denied
    return table


EVERYONE = frozenset(PERSONAS)
TEAM = frozenset({"lead", "deputy", "staff", "viewer"})
APPROVERS = frozenset({"finance", "marketing", "tech"})
# Campaign data of the task force: its team, the executive, the admin, and the approvers (its budget awaits them).
READERS = TEAM | APPROVERS | {"exec", "admin"}
WRITERS = frozenset({"admin", "lead", "deputy", "staff"})
MANAGERS = frozenset({"admin", "lead", "deputy"})
# Leads and deputies of any team (the outsider leads another team) import members (SPEC 2, member records).
IMPORTERS = frozenset({"admin", "lead", "deputy", "outsider"})

ANYONE = expect(EVERYONE)  # every logged-in persona reads it (their own, or a filtered list)
PUBLIC = expect(EVERYONE, anonymous=200)
READ = expect(READERS)  # the task force's campaign data
WRITE = expect(WRITERS, status=None)  # read + write
MANAGE = expect(MANAGERS, status=None)  # lead/deputy (edit and submit budgets, manage the team)
WRITE_FORM = expect(WRITERS)  # the GET of a write form
MANAGE_FORM = expect(MANAGERS)
ANY_WRITE = expect(EVERYONE, status=None)  # anyone may do it to their own things (mark own notification read)
OWN_ONLY = expect({"lead"}, hidden=EVERYONE - {"lead"})  # the lead's own notification: 404 for everyone else
OWN_WRITE = expect({"lead"}, status=None, hidden=EVERYONE - {"lead"})
# Signing as finance (BODIES): only the finance approver; other approvers and the admin may not sign that role.
SIGN = expect({"finance"}, status=None)
ADMIN_ONLY = expect({"admin"}, denied=403, hidden=frozenset())
ADMIN_WRITE = expect({"admin"}, status=None, hidden=frozenset())
IMPORT = expect(IMPORTERS, status=None, hidden=frozenset())
# A team's own page: its people, the executive and the admin (approvers read campaigns, not teams).
TEAM_PAGE = expect(TEAM | {"exec", "admin"}, hidden=APPROVERS | {"outsider"})
# SPEC 10.1 "Team roles": only the lead (or an admin) changes members; the deputy is refused (403).
TEAM_MANAGE = expect({"admin", "lead"}, status=None, hidden=APPROVERS | {"outsider"})
# Creating a campaign (or a budget, a series): the page needs the lead or deputy role in some team.
CREATE_FORM = expect(IMPORTERS, hidden=frozenset())
# Running a meeting (standup mode, publishing minutes, action items, retrospective): its chair or the campaign's
# lead (in the demo both are ``lead``); other readers 403, the outsider 404.
CHAIR_PAGE = expect({"lead"})
CHAIR = expect({"lead"}, status=None)
# Org-wide pages for the executive and the admin only (e.g. a portfolio); 403 for the rest.
OWN_COMMENT = expect({"staff"}, status=None)  # the world's comment is staff's: only its author edits or deletes it
EXEC_ONLY = expect({"exec", "admin"}, hidden=frozenset())
MEMBER_DATA = expect(EVERYONE)  # masked for all but admin; the outsider's list is empty of the task force's
# SPEC 10.6 phone lookup: an admin, or a lead, deputy or member of any team (the outsider leads another team and
# finds only its members); viewers and org-wide readers are refused. Without a number the API answers 400.
LOOKERS = frozenset({"admin", "lead", "deputy", "staff", "outsider"})
LOOKUP_PAGE = expect(LOOKERS, hidden=frozenset())
LOOKUP_WRITE = expect(LOOKERS, status=None, hidden=frozenset())
# A person's PIPL rights: erasure, restoring consent and the full export are an admin's; the outsider gets 404 for
# the task force's member. The admin's export GET writes to the audit ledger, so it is not performed here.
MEMBER_ADMIN_PAGE = expect({"admin"})
MEMBER_ADMIN_WRITE = expect({"admin"}, status=None)

RULES: dict[str, dict[str, Expectation]] = {
    # --- core and accounts ---------------------------------------------------------------------------------------
    "home": {"GET": ANYONE},
    "healthz": {"GET": PUBLIC},
    # Like healthz, no login: what decides is the client address (the test client is 127.0.0.1, allowed by default;
    # other addresses get 404: tests/core/test_metrics.py).
    "metrics": {"GET": PUBLIC},
    "favicon": {"GET": expect(EVERYONE, status=301, anonymous=301)},  # to the static icon
    "inbox": {"GET": ANYONE},
    "working_calendar": {"GET": ANYONE, "POST": ADMIN_WRITE},
    "notification_settings": {"GET": ANYONE, "POST": ANY_WRITE},
    "calendar_feed_page": {"GET": ANYONE, "POST": ANY_WRITE},
    "search": {"GET": ANYONE},
    "my_tasks": {"GET": ANYONE},
    "my_tasks_filter_save": {"POST": ANY_WRITE},
    "my_tasks_filter_delete": {"POST": OWN_WRITE},  # the lead's saved filters: 404 for everyone else
    # A forged or stale feed token: nobody (not even its pretended owner) gets anything but 404.
    "calendar_feed": {"GET": expect(frozenset(), hidden=EVERYONE, anonymous=404)},
    "working_calendar_delete": {"POST": ADMIN_WRITE},
    "notification_read": {"POST": OWN_WRITE},
    "notification_read_all": {"POST": ANY_WRITE},
    "unread_badge": {"GET": ANYONE},
    "profile": {"GET": ANYONE, "POST": ANY_WRITE},
    "set_language": {"POST": expect(EVERYONE, status=None, anonymous=302)},  # anonymous visitors too
    "login": {
        "GET": expect(EVERYONE, status=302, anonymous=200),  # logged in: sent on home
        "POST": expect(EVERYONE, status=None, anonymous=200),
    },
    "logout": {"POST": expect(EVERYONE, status=None, anonymous=302)},
    # OpenID Connect sign-in: 404 for everybody while OIDC_ISSUER is unset (tests/teams/test_oidc.py covers the rest).
    "oidc_authentication_init": {"GET": expect(frozenset(), hidden=EVERYONE, anonymous=404)},
    "oidc_authentication_callback": {"GET": expect(frozenset(), hidden=EVERYONE, anonymous=404)},
    "password_change": {"GET": ANYONE, "POST": ANY_WRITE},
    "password_change_done": {"GET": ANYONE},
    "admin:index": {
        "GET": expect({"admin"}, denied=302, hidden=frozenset(), anonymous=302),
        "POST": expect({"admin"}, denied=302, hidden=frozenset(), anonymous=302),
    },
    "schema": {"GET": PUBLIC},  # the API's description, no data
    "api-docs": {"GET": PUBLIC},
    # --- teams ----------------------------------------------------------------------------------------------------
    "teams:list": {"GET": ANYONE},
    "teams:detail": {"GET": TEAM_PAGE},
    "teams:chat": {"GET": TEAM_PAGE, "POST": TEAM_MANAGE},
    "teams:chat_channel_action": {"POST": TEAM_MANAGE},
    "teams:membership_add": {"POST": TEAM_MANAGE},
    "teams:membership_remove": {"POST": TEAM_MANAGE},
    # --- campaigns ------------------------------------------------------------------------------------------------
    "campaigns:list": {"GET": ANYONE},
    "campaigns:create": {"GET": CREATE_FORM, "POST": expect(IMPORTERS, status=None, hidden=frozenset())},
    "campaigns:detail": {"GET": READ},
    "campaigns:edit": {"GET": MANAGE_FORM, "POST": MANAGE},
    "campaigns:transition": {"POST": MANAGE},
    "campaigns:copy": {"GET": MANAGE_FORM, "POST": MANAGE},
    "campaigns:save_playbook": {"GET": MANAGE_FORM, "POST": MANAGE},
    "campaigns:plan": {"GET": READ},
    "campaigns:phase_add": {"POST": WRITE},
    "campaigns:phase_edit": {"GET": WRITE_FORM, "POST": WRITE},
    "campaigns:milestone_add": {"POST": WRITE},
    "campaigns:milestone_edit": {"GET": WRITE_FORM, "POST": WRITE},
    "campaigns:milestone_done": {"POST": WRITE},
    "campaigns:tasks": {"GET": READ},
    "campaigns:task_create": {"POST": WRITE},
    "campaigns:task_detail": {"GET": READ},
    "campaigns:task_update": {"POST": WRITE},
    "campaigns:task_delete": {"POST": WRITE},
    "campaigns:task_dependency_add": {"POST": WRITE},
    "campaigns:task_dependency_remove": {"POST": WRITE},
    "campaigns:task_comment_add": {"POST": WRITE},
    "campaigns:activity": {"GET": READ},
    "campaigns:task_comment_edit": {"POST": OWN_COMMENT},
    "campaigns:task_comment_delete": {"POST": OWN_COMMENT},
    "campaigns:task_watch": {"POST": expect(READERS, status=None)},
    "campaigns:task_attachment_add": {"POST": WRITE},
    "campaigns:task_attachment_delete": {"POST": OWN_COMMENT},  # the world's attachment is staff's too
    "campaigns:gantt": {"GET": READ},
    "campaigns:gantt_move": {"POST": WRITE},
    "campaigns:kpis": {"GET": READ},
    "campaigns:kpi_create": {"POST": WRITE},
    "campaigns:kpi_reading_record": {"POST": WRITE},
    "campaigns:channels": {"GET": READ},
    "campaigns:channel_create": {"POST": WRITE},
    "campaigns:channel_delete": {"POST": WRITE},
    "campaigns:summary": {"GET": READ},
    # SPEC 10.6: readers read the channel returns; lead/deputy/admin propose a re-balance (a draft budget revision).
    "campaigns:channel_returns": {"GET": READ},
    "campaigns:channel_returns_rebalance": {"POST": MANAGE},
    "campaigns:portfolio": {"GET": EXEC_ONLY},
    # --- budgets --------------------------------------------------------------------------------------------------
    "budgets:list": {"GET": ANYONE},
    "budgets:queue": {"GET": ANYONE},
    "budgets:detail": {"GET": READ},
    "budgets:export": {"GET": READ},
    "budgets:history": {"GET": READ},
    "budgets:create": {"GET": ANYONE, "POST": ANY_WRITE},
    # The budget is in review, so the editor sends its managers to the budget page.
    "budgets:edit": {"GET": expect(MANAGERS, status=302), "POST": MANAGE},
    "budgets:line_row": {"GET": MANAGE_FORM},
    "budgets:editor_summary": {"POST": MANAGE},
    "budgets:submit": {"POST": MANAGE},
    "budgets:withdraw": {"POST": MANAGE},
    "budgets:revise": {"POST": MANAGE},
    # The page refuses an approver of another role with a message on the budget page (302, nothing signed).
    "budgets:sign": {"POST": {**SIGN, "marketing": 302, "tech": 302}},
    "budgets:expense_add": {"POST": MANAGE},
    # --- risks ----------------------------------------------------------------------------------------------------
    "risks:list": {"GET": ANYONE},
    "risks:matrix": {"GET": ANYONE},
    "risks:create": {"GET": ANYONE, "POST": ANY_WRITE},
    "risks:export": {"GET": ANYONE},
    "risks:exposure": {"GET": READ},
    "risks:detail": {"GET": READ},
    "risks:edit": {"GET": WRITE_FORM, "POST": WRITE},
    "risks:acknowledge": {"POST": WRITE},
    "risks:review": {"POST": WRITE},
    # --- members --------------------------------------------------------------------------------------------------
    "members:list": {"GET": MEMBER_DATA},
    "members:export": {"GET": MEMBER_DATA},
    "members:import": {"GET": ANYONE},  # the page explains the format; uploading needs the role
    "members:import_upload": {"POST": IMPORT},
    "members:import_detail": {"GET": expect({"admin", "lead"}, hidden=EVERYONE - {"admin", "lead"})},
    "members:import_errors": {"GET": expect({"admin", "lead"}, hidden=EVERYONE - {"admin", "lead"})},
    "members:import_report": {"GET": expect({"admin", "lead"}, hidden=EVERYONE - {"admin", "lead"})},
    "members:import_recent": {"GET": ANYONE},  # each person's own recent imports
    "members:analytics": {"GET": ANYONE},
    "members:near_threshold_export": {"GET": ANYONE},
    "members:tiers": {"GET": ANYONE},
    "members:tier_rule_set_create": {"POST": expect({"admin"}, status=None, hidden=frozenset())},
    "members:benefits": {"GET": ANYONE},
    # SPEC 10.6: a member the task force brought in; points are recorded by its lead or deputy (or an admin).
    "members:detail": {"GET": READ},
    "members:points_add": {"POST": MANAGE},
    "members:lookup": {"GET": LOOKUP_PAGE, "POST": LOOKUP_WRITE},
    "members:member_erase": {"GET": MEMBER_ADMIN_PAGE, "POST": MEMBER_ADMIN_WRITE},
    "members:member_restore_consent": {"GET": MEMBER_ADMIN_PAGE, "POST": MEMBER_ADMIN_WRITE},
    "members:member_withdraw_consent": {"GET": MANAGE_FORM, "POST": MANAGE},  # the team's lead or deputy, or admin
    "members:member_data_export": {"GET": MEMBER_ADMIN_WRITE},
    # --- reviews --------------------------------------------------------------------------------------------------
    "reviews:list": {"GET": ANYONE},
    "reviews:series_create": {"GET": ANYONE, "POST": ANY_WRITE},
    "reviews:meeting": {"GET": READ},
    "reviews:status_update": {"POST": WRITE},
    "reviews:open": {"POST": WRITE},
    # The matrix's meeting has published minutes: standup mode sends its chair to the (read-only) meeting page.
    "reviews:run": {"GET": expect({"lead"}, status=302)},
    "reviews:agenda_add": {"POST": WRITE},
    "reviews:action_add": {"POST": WRITE},
    "reviews:publish": {"POST": MANAGE},
    "reviews:agenda_note": {"POST": CHAIR},
    "reviews:minutes_draft": {"POST": CHAIR},
    "reviews:attendance": {"POST": CHAIR},
    "reviews:agenda_move": {"POST": CHAIR},
    "reviews:action_to_task": {"POST": CHAIR},
    "reviews:retrospective": {"GET": CHAIR_PAGE, "POST": CHAIR},
    "reviews:retrospective_print": {"GET": READ},
    "reviews:minutes_print": {"GET": READ},
    # --- API (SPEC 9) ---------------------------------------------------------------------------------------------
    "api-root": {"GET": ANYONE},
    # DELETE revokes the presented token: a session alone presents none (401 for everyone, SPEC 10.1).
    "api-token": {
        "POST": expect(EVERYONE, status=None, anonymous=400),
        "DELETE": expect(frozenset(), denied=401, hidden=frozenset(), anonymous=401),
    },
    "api-me": {"GET": ANYONE, "PATCH": ANY_WRITE},
    "api-notification-settings": {"GET": ANYONE, "PATCH": ANY_WRITE},
    "api-my-tasks": {"GET": ANYONE},
    "api-search": {"GET": expect(EVERYONE, status=400)},  # without ?q= : "q" is required (a field error)
    "api-my-calendar": {"GET": ANYONE},
    "api-my-calendar-reset": {"POST": ANY_WRITE},
    "department-list": {"GET": ANYONE},
    "department-detail": {"GET": ANYONE},
    "team-list": {"GET": ANYONE},
    "team-detail": {"GET": TEAM_PAGE},
    "team-members": {"GET": TEAM_PAGE, "POST": TEAM_MANAGE},
    "team-member": {"PATCH": TEAM_MANAGE, "DELETE": TEAM_MANAGE},
    "team-chat-channels": {"GET": TEAM_PAGE, "POST": TEAM_MANAGE},
    "team-chat-channel": {"GET": TEAM_PAGE, "PATCH": TEAM_MANAGE, "DELETE": TEAM_MANAGE},
    "team-chat-channel-test": {"POST": TEAM_MANAGE},
    "team-chat-deliveries": {"GET": TEAM_PAGE},
    "notification-list": {"GET": ANYONE},
    "calendar-day-list": {"GET": ANYONE, "POST": ADMIN_WRITE},
    "calendar-day-detail": {"GET": ANYONE, "PATCH": ADMIN_WRITE, "DELETE": ADMIN_WRITE},
    "notification-detail": {"GET": OWN_ONLY},
    "notification-read": {"POST": OWN_WRITE},
    "notification-read-all": {"POST": ANY_WRITE},
    "campaign-list": {"GET": ANYONE, "POST": ANY_WRITE},
    "campaign-detail": {"GET": READ, "PATCH": MANAGE},
    # Copying reads the source; the copy's team must be one the requester leads or deputises. Approvers belong to
    # no team, so the task force is not a team they may name (400 on the field, its existence not confirmed).
    "campaign-copy": {"POST": {**MANAGE, **dict.fromkeys(APPROVERS, 400)}},
    "campaign-save-as-playbook": {"POST": MANAGE},
    "campaign-schedule": {"GET": READ},
    "campaign-transition": {"POST": MANAGE},
    "playbook-list": {"GET": ANYONE},
    "playbook-detail": {"GET": ANYONE},
    "phase-list": {"GET": ANYONE, "POST": ANY_WRITE},
    "phase-detail": {"GET": READ, "PATCH": WRITE, "DELETE": WRITE},
    "milestone-list": {"GET": ANYONE, "POST": ANY_WRITE},
    "milestone-detail": {"GET": READ, "PATCH": WRITE, "DELETE": WRITE},
    "task-list": {"GET": ANYONE, "POST": ANY_WRITE},
    "task-detail": {"GET": READ, "PATCH": WRITE, "DELETE": WRITE},
    "task-comments": {"GET": READ, "POST": WRITE},
    "task-activity": {"GET": READ},
    "campaign-activity": {"GET": READ},
    "campaign-channel-returns": {"GET": READ},
    "task-comment-detail": {"PATCH": OWN_COMMENT, "DELETE": OWN_COMMENT},
    "task-attachments": {"GET": READ, "POST": WRITE},
    "task-attachment-detail": {"DELETE": OWN_COMMENT},
    "task-attachment-download": {"GET": READ},
    "kpi-list": {"GET": ANYONE, "POST": ANY_WRITE},
    "kpi-detail": {"GET": READ, "PATCH": WRITE, "DELETE": WRITE},
    "kpi-readings": {"GET": READ, "POST": WRITE},
    "channel-list": {"GET": ANYONE, "POST": ANY_WRITE},
    "channel-detail": {"GET": READ, "PATCH": WRITE, "DELETE": WRITE},
    "budget-list": {"GET": ANYONE, "POST": ANY_WRITE},
    "budget-awaiting-my-signoff": {"GET": ANYONE},
    "budget-detail": {"GET": READ, "PATCH": MANAGE},
    "budget-diff": {"GET": READ},
    "budget-revise": {"POST": MANAGE},
    "budget-signoffs": {"POST": SIGN},
    "budget-submit": {"POST": MANAGE},
    "budget-withdraw": {"POST": MANAGE},
    "expense-list": {"GET": ANYONE, "POST": ANY_WRITE},
    "expense-detail": {"GET": READ},
    "risk-list": {"GET": ANYONE, "POST": ANY_WRITE},
    "risk-matrix": {"GET": ANYONE},
    "risk-detail": {"GET": READ, "PATCH": WRITE, "DELETE": WRITE},
    "risk-acknowledge": {"POST": WRITE},
    "risk-reviews": {"GET": READ, "POST": WRITE},
    "review-series-list": {"GET": ANYONE, "POST": ANY_WRITE},
    "review-series-detail": {"GET": READ, "PATCH": WRITE},
    "meeting-list": {"GET": ANYONE},
    "meeting-detail": {"GET": READ, "PATCH": CHAIR},
    "meeting-agenda-item": {"POST": CHAIR},
    "meeting-open": {"POST": WRITE},
    "meeting-publish": {"POST": CHAIR},
    "meeting-action-items": {"POST": CHAIR},
    "meeting-action-item-task": {"POST": WRITE},
    "meeting-retrospective": {"POST": CHAIR},
    "meeting-status-update": {"POST": WRITE},
    "tier-list": {"GET": ANYONE},
    "tier-detail": {"GET": ANYONE},
    "member-list": {"GET": MEMBER_DATA},
    "member-detail": {"GET": READ},  # a member the task force brought in
    "member-points": {"GET": READ, "POST": MANAGE},  # its points ledger (SPEC 10.6)
    "member-import-file": {"POST": IMPORT},
    "member-import-list": {"GET": ANYONE},
    "member-import-detail": {"GET": expect({"admin", "lead"}, hidden=EVERYONE - {"admin", "lead"})},
    "member-import-errors": {"GET": expect({"admin", "lead"}, hidden=EVERYONE - {"admin", "lead"})},
    "member-import-report": {"GET": expect({"admin", "lead"}, hidden=EVERYONE - {"admin", "lead"})},
    "member-lookup": {"GET": expect(LOOKERS, status=400, hidden=frozenset())},  # without ?phone=: a field error
    "member-erase": {"POST": MEMBER_ADMIN_WRITE},
    "member-restore-consent": {"POST": MEMBER_ADMIN_WRITE},
    "member-withdraw-consent": {"POST": MANAGE},
    "member-data-export": {"GET": MEMBER_ADMIN_WRITE},
}

# URL arguments a rule needs beyond what url_kwargs() finds (values are keys of the world dict).
KWARGS: dict[str, dict[str, str]] = {
    "teams:membership_remove": {"user_id": "staff_id"},
    "team-member": {"user": "staff_id"},
    "team-chat-channel": {"pk": "chat_channel"},
    "team-chat-channel-test": {"pk": "chat_channel"},
    "team-chat-deliveries": {"pk": "chat_channel"},
    "teams:chat_channel_action": {"channel_id": "chat_channel", "action": "chat_action"},
    "calendar-day-detail": {"date": "calendar_day"},
    "working_calendar_delete": {"day": "calendar_day"},
    "reviews:retrospective": {"pk": "retrospective"},
    "reviews:retrospective_print": {"pk": "retrospective"},
    "my_tasks_filter_delete": {"pk": "saved_filter"},
}

# A minimal write for rules where an empty one would be refused as invalid before anyone's rights are asked.
# Values may be a function of the world (the ids of build_world()).
SCORES = {f"{d}_score": 3 for d in ("goal", "efficiency", "innovation", "improvement")}
BODIES: dict[str, dict | Callable[[Mapping], dict]] = {
    "budget-signoffs": {"role": "finance", "decision": "approve"},
    "budgets:sign": {"role": "finance", "decision": "approve"},
    "campaign-copy": lambda w: {"code": "MX-COPY", "name": "Copy", "start_date": "2027-06-01", "team": w["team"]},
    "meeting-publish": {"minutes": "Minutes."},
    "meeting-action-items": lambda w: {"title": "Follow up", "owner": w["users"]["staff"]},
    "meeting-retrospective": SCORES,
}

# --- discovering the URL patterns ------------------------------------------------------------------------------


def _is_format_suffix(route: str) -> bool:
    return "(?P<format>" in route or "<drf_format_suffix:format>" in route


def iter_patterns(patterns=None, namespace: str = "", route: str = "") -> Iterator[tuple[str, str, URLPattern]]:
    """(name, route, pattern) of every URL pattern, names with their namespace (``campaigns:detail``)."""
    if patterns is None:
        patterns = get_resolver().url_patterns
    for entry in patterns:
        if isinstance(entry, URLResolver):
            ns = namespace
            if entry.namespace:
                ns = f"{namespace}:{entry.namespace}" if namespace else entry.namespace
            yield from iter_patterns(entry.url_patterns, ns, route + str(entry.pattern))
            continue
        full = route + str(entry.pattern)
        if _is_format_suffix(full):
            continue
        name = f"{namespace}:{entry.name}" if namespace and entry.name else (entry.name or "")
        yield name, full, entry


def discovered() -> dict[str, str]:
    """URL name → route, admin site collapsed to ``admin:index``. Unnamed patterns are named by their route."""
    found: dict[str, str] = {}
    for name, route, _pattern in iter_patterns():
        if route.startswith("admin/"):
            continue
        found[name or f"<unnamed {route}>"] = route
    found["admin:index"] = "admin/"
    return found


def is_api(route: str) -> bool:
    return route.startswith("api/v1/")


# --- the world -------------------------------------------------------------------------------------------------


def build_world() -> dict[str, int | str]:
    """seed_demo's organisation and data (few members), plus an import job and a notification of the lead's."""
    from budgets.demo import seed_budgets
    from budgets.models import Budget, Expense
    from campaigns.demo import seed_campaigns
    from campaigns.models import Campaign, Playbook, TaskDependency
    from core.models import CalendarDay, Notification
    from members.demo import seed_members
    from members.models import ImportJob, Member, Tier
    from reviews.demo import seed_reviews
    from reviews.models import ActionItem, Meeting
    from risks.demo import seed_risks
    from teams.demo import seed_organisation
    from teams.models import ChatChannel, Department

    users = seed_organisation()
    seed_campaigns(users)
    seed_budgets(users)
    seed_risks(users)
    seed_members(users, total=20)
    seed_reviews(users)

    campaign = Campaign.objects.get(code="WD-2027")
    dependency = TaskDependency.objects.filter(successor__campaign=campaign).select_related("successor").first()
    meeting = Meeting.objects.filter(
        series__campaign=campaign, series__kind="standup", action_items__isnull=False
    ).first()
    budget = Budget.objects.filter(campaign=campaign).order_by("-version").first()
    lead = users["lead"]
    job = ImportJob.objects.create(uploaded_by=lead, filename="members.csv", file_format="csv", status="done")
    notification = Notification.objects.create(recipient=lead, verb="risk_alert", written_text="A risk turned red.")
    holiday = CalendarDay.objects.create(date="2027-02-10", kind="holiday", name="春节")
    from campaigns.models import TaskComment
    from dashboards.models import SavedTaskFilter

    comment = TaskComment.objects.create(task_id=dependency.successor_id, author=users["staff"], body="FAQ @lead")
    from django.core.files.base import ContentFile

    from campaigns.models import TaskAttachment

    attachment = TaskAttachment(task_id=dependency.successor_id, filename="faq.txt", size=3, content_type="text/plain",
                                uploaded_by=users["staff"])  # fmt: skip
    attachment.file.save("tasks/matrix/faq.txt", ContentFile(b"FAQ"), save=True)
    chat = ChatChannel.objects.create(team_id=campaign.team_id, kind="dingtalk", verbs=["risk_alert"],
                                      webhook_url="https://oapi.dingtalk.com/robot/send?access_token=matrix")  # fmt: skip
    return {
        "team": campaign.team_id,
        "campaign": campaign.pk,
        "phase": campaign.phases.first().pk,
        "milestone": campaign.milestones.first().pk,
        "task": dependency.successor_id,
        "comment": comment.pk,
        "attachment": attachment.pk,
        "feed_token": "forged-token",
        "saved_filter": SavedTaskFilter.objects.create(user=lead, name="Late", query="status=todo").pk,
        "predecessor": dependency.predecessor_id,
        "kpi": campaign.kpis.first().pk,
        "channel": campaign.channels.first().pk,
        "budget": budget.pk,
        "expense": Expense.objects.filter(line__budget__campaign__team_id=campaign.team_id).first().pk,
        "risk": campaign.risks.first().pk,
        "series": meeting.series_id,
        "meeting": meeting.pk,
        "agenda_key": meeting.agenda[0]["key"],
        "retrospective": Meeting.objects.filter(series__campaign=campaign, series__kind="retrospective").first().pk,
        "action_item": ActionItem.objects.filter(meeting=meeting).first().pk,
        "member": Member.objects.filter(source_campaign=campaign).order_by("pk").first().pk,
        "import_job": job.pk,
        "notification": notification.pk,
        "calendar_day": holiday.date,
        "chat_channel": chat.pk,
        "chat_action": "test",
        "tier": Tier.objects.order_by("pk").first().pk,
        "playbook": Playbook.objects.order_by("pk").first().pk,
        "department": Department.objects.order_by("pk").first().pk,
        "staff_id": users["staff"].pk,
        "fmt": "csv",
        "users": {name: user.pk for name, user in users.items()},  # type: ignore[dict-item]
    }


# ``pk`` means a different object in each app (HTML: by namespace; API: by router basename).
PK_BY_NAMESPACE = {
    "teams": "team",
    "campaigns": "campaign",
    "budgets": "budget",
    "risks": "risk",
    "members": "import_job",
    "reviews": "meeting",
    "": "notification",
}
PK_BY_BASENAME = {
    "department": "department",
    "team": "team",
    "notification": "notification",
    "campaign": "campaign",
    "playbook": "playbook",
    "phase": "phase",
    "milestone": "milestone",
    "task": "task",
    "kpi": "kpi",
    "channel": "channel",
    "budget": "budget",
    "expense": "expense",
    "risk": "risk",
    "review-series": "series",
    "meeting": "meeting",
    "tier": "tier",
    "member-import": "import_job",
    "member": "member",
}
KWARG_OBJECT = {
    "phase_id": "phase",
    "milestone_id": "milestone",
    "task_pk": "task",
    "predecessor_pk": "predecessor",
    "kpi_pk": "kpi",
    "channel_pk": "channel",
    "campaign_pk": "campaign",
    "team_pk": "team",
    "item_pk": "action_item",
    "action_pk": "action_item",
    "key": "agenda_key",
    "item_key": "agenda_key",
    "fmt": "fmt",
    "comment_pk": "comment",
    "attachment_pk": "attachment",
    "token": "feed_token",
    "member_pk": "member",
}


def url_kwargs(name: str, pattern: URLPattern, route: str, world: Mapping) -> dict[str, object]:
    wanted = set(pattern.pattern.converters) | set(re.findall(r"\(\?P<(\w+)>", str(pattern.pattern)))
    extra = KWARGS.get(name, {})
    values: dict[str, object] = {}
    for kwarg in wanted:
        if kwarg in extra:
            values[kwarg] = world[extra[kwarg]]
        elif kwarg in KWARG_OBJECT:
            values[kwarg] = world[KWARG_OBJECT[kwarg]]
        elif kwarg == "pk" and is_api(route):
            basenames = [b for b in PK_BY_BASENAME if name.startswith(b + "-")]
            assert basenames, f"{name}: which object is its pk? Add its router basename to PK_BY_BASENAME"
            values[kwarg] = world[PK_BY_BASENAME[max(basenames, key=len)]]
        elif kwarg == "pk":
            namespace = name.split(":")[0] if ":" in name else ""
            assert namespace in PK_BY_NAMESPACE, f"{name}: which object is its pk? Add {namespace!r} to PK_BY_NAMESPACE"
            values[kwarg] = world[PK_BY_NAMESPACE[namespace]]
        else:
            raise AssertionError(f"{name}: no value for URL argument {kwarg!r}; add it to KWARGS")
    return values


# --- "nothing changed" -----------------------------------------------------------------------------------------

SNAPSHOT_APPS = ("core", "teams", "campaigns", "budgets", "risks", "members", "reviews", "auth")
# Changed by logging in, not by the requests under test; and the campaign's stored health, a cache that any page
# showing health fills in when it is out of date (campaigns.health), which is a read, not a change of data.
VOLATILE_FIELDS = {"last_login", "health", "health_rank", "projected_end", "slip_days", "health_reasons", "health_on"}


def snapshot() -> dict[str, list]:
    state = {}
    for app in SNAPSHOT_APPS:
        for model in apps.get_app_config(app).get_models():
            rows = json.loads(serializers.serialize("json", model._default_manager.order_by("pk")))
            for row in rows:
                for volatile in VOLATILE_FIELDS:
                    row["fields"].pop(volatile, None)
            state[model._meta.label] = rows
    return state


# --- the tests -------------------------------------------------------------------------------------------------


def test_every_url_pattern_has_a_rule():
    found = discovered()
    missing = sorted(name for name in found if name not in RULES)
    stale = sorted(name for name in RULES if name not in found)
    assert not missing, (
        "URL patterns without a rule in tests/test_permission_matrix.py RULES (add one line each, see the "
        f"module docstring): {', '.join(f'{n} ({found[n]})' for n in missing)}"
    )
    assert not stale, f"RULES name URL patterns that no longer exist: {', '.join(stale)}"


def unlisted_method(rule: Mapping[str, Expectation], persona: str) -> int | str:
    """405 — after the login redirect (or 401) for visitors, when the URL is for logged-in people at all."""
    if persona == ANONYMOUS and any(table[ANONYMOUS] == LOGIN for table in rule.values()):
        return LOGIN
    return 405


def request(client: Client, method: str, url: str, api: bool, body: dict):
    if method == "GET":
        return client.get(url, HTTP_ACCEPT="application/json") if api else client.get(url)
    if api:
        return client.generic(method, url, data=json.dumps(body), content_type="application/json")
    return client.generic(method, url, data=urlencode(body), content_type="application/x-www-form-urlencoded")


@pytest.mark.django_db
@pytest.mark.parametrize("persona", (*PERSONAS, ANONYMOUS))
def test_permission_matrix(persona):
    from teams.models import User

    world = build_world()
    client = Client()
    if persona != ANONYMOUS:
        client.force_login(User.objects.get(username=persona))
    from campaigns.models import Campaign, Task
    from reviews.models import ActionItem
    from risks.models import Risk

    # Names only the task force's rows carry: its campaign, team, a task, a risk, an action item (the campaign's
    # code is also the help text's example of a code, so it is not one of them).
    leak_markers = [
        *Campaign.objects.filter(pk=world["campaign"]).values_list("name", "team__name").get(),
        Task.objects.get(pk=world["task"]).title,
        Risk.objects.get(pk=world["risk"]).title,
        ActionItem.objects.get(pk=world["action_item"]).title,
    ]
    before = snapshot()
    patterns = {name: (route, pattern) for name, route, pattern in iter_patterns()}
    problems: list[str] = []
    for name, rule in RULES.items():
        if name == "admin:index":
            url, route, api = reverse("admin:index"), "admin/", False
        else:
            route, pattern = patterns[name]
            api = is_api(route)
            url = reverse(name, kwargs=url_kwargs(name, pattern, route, world))
        methods = ("GET", "POST", "PATCH", "DELETE") if api else ("GET", "POST")
        for method in methods:
            table = rule.get(method)
            wanted = table[persona] if table is not None else unlisted_method(rule, persona)
            if wanted is None:
                continue  # an allowed write: not performed here
            body = BODIES.get(name, {})
            response = request(client, method, url, api, body(world) if callable(body) else body)
            if wanted == LOGIN:
                if api:
                    ok = response.status_code == 401
                else:
                    ok = response.status_code == 302 and response["Location"].startswith(reverse("login"))
                wanted_text = "401" if api else "302 to the login page"
            else:
                ok = response.status_code == wanted
                wanted_text = str(wanted)
            if not ok:
                problems.append(f"{method} {url} ({name}): {persona} got {response.status_code}, want {wanted_text}")
            elif persona == "outsider" and response.status_code == 200:
                raw = b"".join(response.streaming_content) if response.streaming else response.content
                body = raw.decode("utf-8", "replace")
                leaked = [marker for marker in leak_markers if marker in body]
                if leaked:
                    problems.append(f"{method} {url} ({name}): the outsider sees {leaked}")
    assert not problems, f"{len(problems)} mismatches for {persona}:\n" + "\n".join(problems)
    assert snapshot() == before, f"refused requests by {persona} changed data"
