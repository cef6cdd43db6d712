"""Login (with lock-out), team pages and membership editing, the profile and the language switch."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import LoginView
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_GET, require_POST

from core.errors import ApplicationError
from core.permissions import Access, parse_pk
from core.security import lockout_message
from core.web import apply_service_errors, safe_next

from . import oidc
from .forms import ChatChannelForm, MembershipForm, ProfileForm
from .models import User
from .permissions import get_team_for_user
from .selectors import chat_channels, team_list, team_members
from .services import (
    can_manage_members,
    chat_channel_delete,
    chat_channel_save,
    chat_channel_test,
    membership_remove,
    membership_set,
)

DEMO_ACCOUNTS = (
    ("lead", _lazy("Team lead of the Women's Day task force")),
    ("deputy", _lazy("Deputy lead (tech)")),
    ("staff", _lazy("Team member (customer service)")),
    ("service", _lazy("Customer service")),
    ("viewer", _lazy("Read-only viewer (data analytics)")),
    ("finance", _lazy("Finance approver")),
    ("finance2", _lazy("Second finance approver")),
    ("marketing", _lazy("Marketing approver")),
    ("tech", _lazy("Tech approver")),
    ("dual", _lazy("Finance and tech approver")),
    ("exec", _lazy("Executive: reads everything")),
    ("admin", _lazy("Administrator")),
    ("outsider", _lazy("Lead of another team")),
)


def _login_context(request: HttpRequest) -> dict:
    """What every rendering of the login page needs: which ways to sign in it offers (the password form unless
    ``LOCAL_LOGIN=0`` without LDAP; "Sign in with …" when OpenID Connect is set up), why the last company sign-in
    failed (said once), and the demo accounts in demo mode."""
    context: dict = {"password_login": oidc.password_login_enabled(), "oidc_login": oidc.enabled()}
    if context["oidc_login"]:
        context["oidc_provider"] = oidc.provider_name()
    code = request.session.pop(oidc.ERROR_SESSION_KEY, None)
    if isinstance(code, str):
        context["sign_in_error"] = oidc.error_message(code)
    if settings.DEMO_MODE and context["password_login"]:
        context["demo_accounts"] = DEMO_ACCOUNTS
        context["demo_password"] = "concord-demo"
    return context


class ConcordLoginView(LoginView):
    """Django's login view with the company sign-in button, and no password check when passwords are off."""

    redirect_authenticated_user = True

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(_login_context(self.request))
        return context

    def post(self, request, *args, **kwargs):
        """Check the password — unless password sign-in is turned off (``LOCAL_LOGIN=0``): then refuse it, 403."""
        if not oidc.password_login_enabled():
            context = self.get_context_data(form=self.get_form_class()(request))
            context["sign_in_error"] = _("Signing in with a password is turned off here.")
            return self.render_to_response(context, status=403)
        return super().post(request, *args, **kwargs)


def login_locked_out(request: HttpRequest, original_response=None, credentials=None) -> HttpResponse:
    """django-axes' lock-out answer (AXES_LOCKOUT_CALLABLE): the login page again, with why, as 429
    (the API token endpoint gets the reason as JSON)."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": lockout_message()}, status=429)
    from django.contrib.auth.forms import AuthenticationForm

    username = (credentials or {}).get("username") or request.POST.get("username", "")
    form = AuthenticationForm(request, initial={"username": username})
    next_url = request.POST.get("next") or request.GET.get("next", "")
    context = {"form": form, "locked_out": lockout_message(), "next": next_url, **_login_context(request)}
    return render(request, "registration/login.html", context, status=429)


@login_required
@require_GET
def team_index(request: HttpRequest) -> HttpResponse:
    return render(request, "teams/team_list.html", {"teams": team_list(user=request.user)})


@login_required
@require_GET
def team_detail(request: HttpRequest, pk: int) -> HttpResponse:
    team = get_team_for_user(request.user, pk)
    return render(
        request,
        "teams/team_detail.html",
        {
            "team": team,
            "memberships": team_members(team=team),
            "subgroups": team.subgroups.all(),
            "can_manage": can_manage_members(request.user, team),
            "form": MembershipForm(),
        },
    )


@login_required
@require_POST
def membership_add(request: HttpRequest, pk: int) -> HttpResponse:
    team = get_team_for_user(request.user, pk, need=Access.MANAGE)
    if not can_manage_members(request.user, team):
        raise PermissionDenied(_("Only the team's lead or an administrator can change its members."))
    form = MembershipForm(request.POST)
    if form.is_valid():
        try:
            membership_set(
                team=team, user=form.cleaned_data["username"], role=form.cleaned_data["role"], actor=request.user
            )
        except ApplicationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("Team membership saved."))
            return HttpResponseRedirect(reverse("teams:detail", args=[team.pk]))
    return render(
        request,
        "teams/team_detail.html",
        {
            "team": team,
            "memberships": team_members(team=team),
            "subgroups": team.subgroups.all(),
            "can_manage": True,
            "form": form,
        },
        status=400,
    )


@login_required
@require_POST
def membership_delete(request: HttpRequest, pk: int, user_id: int) -> HttpResponse:
    team = get_team_for_user(request.user, pk, need=Access.MANAGE)
    if not can_manage_members(request.user, team):
        raise PermissionDenied(_("Only the team's lead or an administrator can change its members."))
    member = team.memberships.filter(user_id=parse_pk(user_id)).select_related("user").first()
    if member is None:
        messages.error(request, _("This person is not a member of the team."))
    else:
        try:
            membership_remove(team=team, user=member.user, actor=request.user)
        except ApplicationError as exc:
            messages.error(request, str(exc.message))
        else:
            messages.success(request, _("%(name)s was removed from the team.") % {"name": member.user})
    return HttpResponseRedirect(reverse("teams:detail", args=[team.pk]))


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    form = ProfileForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        form.save()
        translation.activate(form.instance.language)
        messages.success(request, _("Your profile was saved."))
        response = HttpResponseRedirect(reverse("profile"))
        response.set_cookie(settings.LANGUAGE_COOKIE_NAME, form.instance.language, samesite="Lax")
        return response
    return render(request, "teams/profile.html", {"form": form}, status=400 if form.errors else 200)


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Switch the interface language; for a logged-in user the choice is stored on their profile."""
    language = request.POST.get("language", "")
    supported = {code for code, _name in settings.LANGUAGES}
    target = safe_next(request, reverse("home"))
    response = HttpResponseRedirect(target)
    if language not in supported:
        messages.error(request, _("That language is not available."))
        return response
    if request.user.is_authenticated:
        User.objects.filter(pk=request.user.pk).update(language=language)
    response.set_cookie(settings.LANGUAGE_COOKIE_NAME, language, samesite="Lax", max_age=365 * 24 * 3600)
    return response


# --- Team chat channels (SPEC 10.4) -----------------------------------------------------------------------------


def _chat_page(request: HttpRequest, team, form, status: int = 200) -> HttpResponse:
    channels = list(chat_channels(team=team))
    return render(
        request,
        "teams/team_chat.html",
        {"team": team, "channels": channels, "can_manage": can_manage_members(request.user, team), "form": form},
        status=status,
    )


@login_required
def team_chat(request: HttpRequest, pk: int) -> HttpResponse:
    """The team's chat channels with their recent deliveries; the lead (or an admin) adds, tests and removes."""
    team = get_team_for_user(request.user, pk)
    if request.method != "POST":
        return _chat_page(request, team, ChatChannelForm())
    if not can_manage_members(request.user, team):
        raise PermissionDenied(_("Only the team's lead or an administrator can change its chat channels."))
    form = ChatChannelForm(request.POST)
    if form.is_valid():
        try:
            chat_channel_save(team=team, actor=request.user, data=dict(form.cleaned_data))
        except ApplicationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("Chat channel added. Send a test message to check it."))
            return HttpResponseRedirect(reverse("teams:chat", args=[team.pk]))
    return _chat_page(request, team, form, status=400)


@login_required
@require_POST
def chat_channel_action(request: HttpRequest, pk: int, channel_id: int, action: str) -> HttpResponse:
    team = get_team_for_user(request.user, pk)
    channel = team.chat_channels.filter(pk=parse_pk(channel_id)).first()
    if channel is None:
        raise Http404(_("Not found."))
    if not can_manage_members(request.user, team):
        raise PermissionDenied(_("Only the team's lead or an administrator can change its chat channels."))
    if action == "test":
        chat_channel_test(team=team, actor=request.user, channel=channel)
        messages.success(request, _("Test message queued; its delivery shows below in a moment."))
    elif action == "toggle":
        chat_channel_save(team=team, actor=request.user, data={"active": not channel.active}, channel=channel)
        messages.success(request, _("Channel resumed.") if not channel.active else _("Channel paused."))
    elif action == "delete":
        chat_channel_delete(team=team, actor=request.user, channel=channel)
        messages.success(request, _("Chat channel removed."))
    else:
        raise Http404(_("Not found."))
    return HttpResponseRedirect(reverse("teams:chat", args=[team.pk]))
