"""Writes on team memberships: who may add, change or remove members, and the rule that a team keeps a lead."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from core.errors import ApplicationError, Conflict, NotAllowed
from core.permissions import forget_principal, principal_for
from core.roles import TeamRole
from core.services.audit import audit_record
from core.services.notifications import notify

from . import notices
from .models import ChatChannel, ChatDelivery, ChatKind, Team, TeamMembership, User


def _lead_count(team: Team) -> int:
    return team.memberships.filter(role=TeamRole.LEAD).count()


def can_manage_members(actor: Any, team: Team) -> bool:
    """SPEC 10.1 "Team roles": only the team's lead (a functional group: also its task force's lead) or an admin
    adds, removes or changes members. A deputy manages the campaign work, not the people."""
    principal = principal_for(actor)
    if principal.is_admin:
        return True
    return principal.team_roles.get(team.pk) == TeamRole.LEAD or (
        team.parent_id is not None and principal.team_roles.get(team.parent_id) == TeamRole.LEAD
    )


def _require_manager(actor: Any, team: Team) -> None:
    if not can_manage_members(actor, team):
        raise NotAllowed(_("Only the team's lead or an administrator can change its members."))


@transaction.atomic
def membership_set(*, team: Team, user: User, role: str, actor: Any) -> TeamMembership:
    """Add ``user`` to ``team`` with ``role``, or change their role. A team never loses its last lead.

    A functional group's members must belong to its task force first.
    """
    _require_manager(actor, team)
    if role not in TeamRole.values:
        raise ApplicationError(errors={"role": _("Choose one of: lead, deputy, member, viewer.")})
    if not user.is_active:
        raise ApplicationError(errors={"user": _("This account is deactivated.")})
    Team.objects.select_for_update().filter(pk=team.pk).first()
    if team.parent_id and not TeamMembership.objects.filter(team_id=team.parent_id, user=user).exists():
        raise ApplicationError(
            errors={"user": _("Add this person to the task force %(team)s first.") % {"team": team.parent.name}}
        )
    membership = TeamMembership.objects.filter(team=team, user=user).first()
    before = membership.role if membership else None
    if membership and membership.role == TeamRole.LEAD and role != TeamRole.LEAD and _lead_count(team) <= 1:
        raise Conflict(_("The team needs at least one lead. Make someone else lead first."))
    if membership is None:
        membership = TeamMembership.objects.create(team=team, user=user, role=role)
    elif membership.role != role:
        membership.role = role
        membership.save(update_fields=["role"])
    else:
        return membership
    audit_record(
        actor=actor,
        action="team.membership_set",
        obj=team,
        before={"user": user.username, "role": before},
        after={"user": user.username, "role": role},
    )
    notify(
        recipients=[user],
        message=notices.MEMBERSHIP_SET,
        params={"role": TeamRole(role).label, "team": team.name},
        url=f"/teams/{team.pk}/",
        obj=team,
    )
    forget_principal(user)
    return membership


@transaction.atomic
def membership_remove(*, team: Team, user: User, actor: Any) -> None:
    """Remove ``user`` from ``team`` (and its functional groups). A team never loses its last lead."""
    _require_manager(actor, team)
    Team.objects.select_for_update().filter(pk=team.pk).first()
    membership = TeamMembership.objects.filter(team=team, user=user).first()
    if membership is None:
        raise ApplicationError(errors={"user": _("This person is not a member of the team.")})
    if membership.role == TeamRole.LEAD and _lead_count(team) <= 1:
        raise Conflict(_("The team needs at least one lead. Make someone else lead first."))
    TeamMembership.objects.filter(team__parent=team, user=user).delete()
    membership.delete()
    audit_record(
        actor=actor,
        action="team.membership_removed",
        obj=team,
        before={"user": user.username, "role": membership.role},
        after=None,
    )
    forget_principal(user)


# --- Team chat channels (SPEC 10.4) ------------------------------------------------------------------------------


def _require_chat_manager(actor: Any, team: Team) -> None:
    if not can_manage_members(actor, team):
        raise NotAllowed(_("Only the team's lead or an administrator can change its chat channels."))


def _clean_channel(data: dict[str, Any], channel: ChatChannel | None) -> dict[str, Any]:
    from django.conf import settings

    from .chat import CHAT_VERBS, host_allowed

    errors: dict[str, str] = {}
    kind = data.get("kind", channel.kind if channel else None)
    if kind not in ChatKind.values:
        errors["kind"] = _("Choose WeCom, DingTalk or Feishu.")
    url = str(data.get("webhook_url", channel.webhook_url if channel else "") or "").strip()
    if not url:
        errors["webhook_url"] = _("Paste the robot's webhook URL from the group's settings.")
    elif len(url) > 500 or not host_allowed(url):
        errors["webhook_url"] = _(
            "The URL must start with https:// and point at the platform (%(hosts)s); ask an administrator to "
            "allow another host."
        ) % {"hosts": ", ".join(settings.CHAT_WEBHOOK_HOSTS)}
    verbs = data.get("verbs", channel.verbs if channel else [])
    if not isinstance(verbs, list | tuple) or not all(v in CHAT_VERBS for v in verbs):
        errors["verbs"] = _("Choose events from the list.")
    secret = data.get("secret")
    if secret is not None and len(str(secret)) > 200:
        errors["secret"] = _("The secret is at most 200 characters.")
    name = str(data.get("name", channel.name if channel else "") or "").strip()
    if len(name) > 100:
        errors["name"] = _("Keep the name to 100 characters.")
    language = data.get("language", channel.language if channel else "zh-hans")
    if language not in {code for code, _label in settings.LANGUAGES}:
        errors["language"] = _("Choose English or Simplified Chinese.")
    if errors:
        raise ApplicationError(errors=errors)
    cleaned = {"kind": kind, "webhook_url": url, "verbs": list(dict.fromkeys(verbs)), "name": name,
               "language": language, "active": bool(data.get("active", channel.active if channel else True))}  # fmt: skip
    if secret is not None:
        cleaned["secret"] = str(secret).strip()
    return cleaned


@transaction.atomic
def chat_channel_save(
    *, team: Team, actor: Any, data: dict[str, Any], channel: ChatChannel | None = None
) -> ChatChannel:
    """Create or change a channel (lead or admin). The secret is kept unless a new one is given."""
    _require_chat_manager(actor, team)
    cleaned = _clean_channel(data, channel)
    if channel is None:
        channel = ChatChannel.objects.create(team=team, created_by=actor, **cleaned)
        action = "team.chat_channel_created"
    else:
        for field, value in cleaned.items():
            setattr(channel, field, value)
        channel.save()
        action = "team.chat_channel_changed"
    after = {k: v for k, v in cleaned.items() if k not in ("secret", "webhook_url")}
    audit_record(actor=actor, action=action, obj=team, after={"channel": channel.pk, **after})
    return channel


@transaction.atomic
def chat_channel_delete(*, team: Team, actor: Any, channel: ChatChannel) -> None:
    """Remove a channel and its delivery log (lead or admin)."""
    _require_chat_manager(actor, team)
    audit_record(actor=actor, action="team.chat_channel_deleted", obj=team, before={"channel": channel.pk})
    channel.delete()


@transaction.atomic
def chat_channel_test(*, team: Team, actor: Any, channel: ChatChannel) -> ChatDelivery:
    """Queue a test message to the channel (a new event each time)."""
    import uuid

    from .chat import _enqueue

    _require_chat_manager(actor, team)
    delivery = ChatDelivery.objects.create(
        channel=channel,
        event=f"test:{uuid.uuid4()}",
        verb=notices.CHAT_TEST.verb,
        message=notices.CHAT_TEST.key,
        params={"team": team.name},
        url=f"/teams/{team.pk}/chat/",
    )
    transaction.on_commit(lambda: _enqueue(delivery.pk))
    return delivery
