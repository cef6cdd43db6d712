"""The pages of the phone lookup and a person's PIPL rights (SPEC 10.6); the rules are members.lookup's and
members.rights', the same as the API's.

* ``/members/lookup/`` — customer service types a number (POSTed, so it stays out of addresses, browser history
  and access logs) and sees the member masked as usual, or "no member with this number".
* ``/members/<id>/erase/``, ``withdraw-consent/``, ``restore-consent/`` — a confirmation page (GET) whose form
  needs its box ticked; the POST does it. The member page offers them through ``members/_privacy_actions.html``.
* ``/members/<id>/export/`` — an admin downloads everything held about the member as JSON (audited).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import NoReverseMatch, path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from core.errors import ApplicationError
from core.web import apply_service_errors, safe_next

from . import rights
from .lookup import MAX_MATCHES, MemberLookupThrottle, can_lookup, member_lookup
from .models import Member
from .permissions import can_view_pii
from .privacy import mask_name, mask_phone

JSON_ESCAPES = {ord("<"): "\\u003C", ord(">"): "\\u003E", ord("&"): "\\u0026"}


class LookupForm(forms.Form):
    phone = forms.CharField(
        label=gettext_lazy("Phone number"),
        max_length=40,
        help_text=gettext_lazy("The complete number, e.g. 138 1234 5678 or +86 138 1234 5678."),
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off", "autofocus": True}),
    )


class ConfirmForm(forms.Form):
    confirm = forms.BooleanField(label=gettext_lazy("I have checked that this is the right member."), required=True)

    def __init__(self, *args: Any, label: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if label:
            self.fields["confirm"].label = label


def _shown(member: Member, pii: bool) -> Member:
    member.shown_name = member.name if pii else mask_name(member.name)
    member.shown_phone = member.phone if pii else mask_phone(member.phone)
    return member


def member_page_url(member: Member) -> str:
    """The member's own page if the site has one, else the member list filtered to it."""
    try:
        return reverse("members:detail", args=[member.pk])
    except NoReverseMatch:
        return reverse("members:list") + f"?external_id={member.external_id}"


# --- Lookup ----------------------------------------------------------------------------------------------------


def _lookup_page(request: HttpRequest, form: LookupForm, *, result: Any = None, status: int = 200) -> HttpResponse:
    pii = can_view_pii(request.user)
    members = [_shown(m, pii) for m in result.members] if result is not None else []
    return render(
        request,
        "members/lookup.html",
        {
            "form": form,
            "searched": result is not None,
            "members": members,
            "several": len(members) > 1,
            "max_matches": MAX_MATCHES,
            "pii": pii,
            "active_tab": "lookup",
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def lookup(request: HttpRequest) -> HttpResponse:
    """A search box for one complete phone number; the answer is the member (masked as usual) or "none"."""
    if not can_lookup(request.user):
        raise PermissionDenied(
            _("Only an administrator or a lead, deputy or member of a team looks members up by phone.")
        )
    if request.method == "GET":
        return _lookup_page(request, LookupForm())
    form = LookupForm(request.POST)
    if not form.is_valid():
        return _lookup_page(request, form, status=400)
    if not MemberLookupThrottle().allow_request(request, None):
        form.add_error(None, _("Too many lookups in a short time. Wait a minute and try again."))
        return _lookup_page(request, form, status=429)
    try:
        result = member_lookup(actor=request.user, phone=form.cleaned_data["phone"], via="web")
    except ApplicationError as exc:
        apply_service_errors(form, exc)
        return _lookup_page(request, form, status=400)
    return _lookup_page(request, LookupForm(), result=result)


# --- Erase and consent -----------------------------------------------------------------------------------------


ACTIONS: dict[str, dict[str, Any]] = {
    "erase": {
        "title": gettext_lazy("Erase this member's personal data"),
        "explain": gettext_lazy(
            "The name, phone number and tags are replaced and consent is withdrawn, at the person's request "
            "(PIPL). Tier, fee, dates, points and redemptions stay, so counts and analytics do not change. Later "
            "imports leave this external id out until an administrator restores consent. This cannot be undone."
        ),
        "confirm": gettext_lazy("I understand that the name, phone number and tags are erased for good."),
        "button": gettext_lazy("Erase personal data"),
        "done": gettext_lazy("The member's personal data was erased."),
        "danger": True,
    },
    "withdraw": {
        "title": gettext_lazy("Withdraw this member's consent"),
        "explain": gettext_lazy(
            "The person withdrew their consent: the member is left out of the targeting exports (the export with "
            "personal data and the near-threshold segment). The record itself stays, and later imports do not "
            "give the consent back: only an administrator can restore it."
        ),
        "confirm": gettext_lazy("The person asked to withdraw their consent."),
        "button": gettext_lazy("Withdraw consent"),
        "done": gettext_lazy("Consent withdrawn: the member is left out of targeting exports."),
        "danger": True,
    },
    "restore": {
        "title": gettext_lazy("Restore this member's consent"),
        "explain": gettext_lazy(
            "The person gave their consent again, from today, and imports may change it again. An erased member "
            "is imported again: the next import of this external id fills in the name and phone number."
        ),
        "confirm": gettext_lazy("The person gave their consent again."),
        "button": gettext_lazy("Restore consent"),
        "done": gettext_lazy("Consent restored."),
        "danger": False,
    },
}
SERVICES: dict[str, Callable[..., Member]] = {
    "erase": rights.member_erase,
    "withdraw": rights.member_withdraw_consent,
    "restore": rights.member_restore_consent,
}


def _allowed(action: str, user: Any, member: Member) -> bool:
    if action == "withdraw":
        return rights.can_withdraw_consent(user, member)
    return rights.is_admin(user)


def _rights_action(request: HttpRequest, member_pk: int, action: str) -> HttpResponse:
    member = rights.member_for(request.user, member_pk)  # 404 for a member the user may not see
    if not _allowed(action, request.user, member):
        raise PermissionDenied(_("Only an administrator, or for consent the team's lead or deputy, may do this."))
    texts = ACTIONS[action]
    back = safe_next(request, member_page_url(member), target=request.POST.get("next") or request.GET.get("next") or "")
    form = ConfirmForm(request.POST or None, label=texts["confirm"])
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                SERVICES[action](actor=request.user, member=member)
            except ApplicationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, str(texts["done"]))
                return HttpResponseRedirect(back)
        status = 400
    pii = can_view_pii(request.user)
    return render(
        request,
        "members/privacy_confirm.html",
        {"member": _shown(member, pii), "form": form, "texts": texts, "action": action, "back": back},
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def member_erase(request: HttpRequest, member_pk: int) -> HttpResponse:
    """Admin: confirm, then erase the person's name, phone number and tags."""
    return _rights_action(request, member_pk, "erase")


@login_required
@require_http_methods(["GET", "POST"])
def member_withdraw_consent(request: HttpRequest, member_pk: int) -> HttpResponse:
    """The team's lead or deputy, or an admin: confirm, then record that the person withdrew consent."""
    return _rights_action(request, member_pk, "withdraw")


@login_required
@require_http_methods(["GET", "POST"])
def member_restore_consent(request: HttpRequest, member_pk: int) -> HttpResponse:
    """Admin: confirm, then record that the person gave consent again."""
    return _rights_action(request, member_pk, "restore")


@login_required
@require_GET
def member_data_export(request: HttpRequest, member_pk: int) -> HttpResponse:
    """Admin: everything held about the member, unmasked, as a JSON download; written to the audit ledger."""
    member = rights.member_for(request.user, member_pk)
    data = rights.member_data_export(actor=request.user, member=member)
    # < > & as JSON escapes (as json_script writes them): the same JSON, never markup if something sniffs it.
    body = json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2).translate(JSON_ESCAPES)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="member-{member.pk}.json"'
    response["Cache-Control"] = "no-store"
    return response


urlpatterns = [
    path("lookup/", lookup, name="lookup"),
    path("<int:member_pk>/erase/", member_erase, name="member_erase"),
    path("<int:member_pk>/withdraw-consent/", member_withdraw_consent, name="member_withdraw_consent"),
    path("<int:member_pk>/restore-consent/", member_restore_consent, name="member_restore_consent"),
    path("<int:member_pk>/export/", member_data_export, name="member_data_export"),
]
