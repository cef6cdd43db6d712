"""The phone lookup and a person's PIPL rights in the API (SPEC 10.6); the rules live in members.lookup and
members.rights, shared with the pages.

* ``GET members/lookup/?phone=`` — the one member with exactly this number (masked as usual), 404 if none the
  requester may see, 400 for a partial number, 429 past ``MEMBER_LOOKUP_RATE``; audited.
* ``POST members/{id}/erase/`` — admin; ``POST members/{id}/restore-consent/`` — admin;
  ``POST members/{id}/withdraw-consent/`` — the team's lead or deputy, or an admin; ``GET members/{id}/export/``
  — admin, everything held about the member as JSON. A member the requester may not see is 404, one they may
  see but not act on 403.
"""

from __future__ import annotations

from typing import Any

from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from .. import rights
from ..lookup import MemberLookupThrottle, can_lookup, member_lookup
from ..permissions import can_view_pii
from .serializers import MemberSerializer

LOOKUP_REFUSED = gettext_lazy("Only an administrator or a lead, deputy or member of a team looks members up by phone.")


class MemberLookupView(APIView):
    """Customer service: the member with exactly this phone number, among those the requester may see."""

    throttle_classes = [MemberLookupThrottle]

    def check_permissions(self, request: Request) -> None:
        super().check_permissions(request)
        # Only for the method the view has: any other is 405 for everyone (DRF checks that after this).
        if request.method in ("GET", "HEAD") and not can_lookup(request.user):
            raise PermissionDenied(LOOKUP_REFUSED)

    @extend_schema(
        operation_id="v1_members_lookup",
        parameters=[
            OpenApiParameter(
                "phone",
                OpenApiTypes.STR,
                required=True,
                description="The complete number: 11 digits for a mobile, area code and number for a landline, "
                "or + and the country code. Spaces, dashes and a +86 prefix are ignored.",
            )
        ],
        responses={
            200: MemberSerializer,
            400: OpenApiResponse(description="No number, or only part of one (field error on phone)."),
            403: OpenApiResponse(description="Not a team member, deputy, lead or admin."),
            404: OpenApiResponse(description="No member you may see has this number."),
            409: OpenApiResponse(description="Several members share this number: `members` lists them, masked."),
            429: OpenApiResponse(description="Too many lookups (MEMBER_LOOKUP_RATE)."),
        },
    )
    def get(self, request: Request) -> Response:
        result = member_lookup(actor=request.user, phone=request.query_params.get("phone", ""), via="api")
        context = {"request": request, "pii": can_view_pii(request.user)}
        if not result.members:
            raise Http404(_("No member you can see has this phone number."))
        if result.member is None:
            return Response(
                {
                    "detail": _("%(count)d members share this phone number: ask for the member number.")
                    % {"count": len(result.members)},
                    "members": MemberSerializer(result.members, many=True, context=context).data,
                },
                status=409,
            )
        return Response(MemberSerializer(result.member, context=context).data)


MEMBER_STATE = inline_serializer(
    "MemberPrivacyState",
    fields={
        "id": serializers.IntegerField(),
        "external_id": serializers.CharField(),
        "consent": serializers.BooleanField(),
        "consent_at": serializers.DateField(allow_null=True),
        "erased_at": serializers.DateTimeField(allow_null=True),
    },
)
RIGHTS_RESPONSES = {
    200: MEMBER_STATE,
    403: OpenApiResponse(description="You may see the member but not do this."),
    404: OpenApiResponse(description="No such member that you may see."),
    409: OpenApiResponse(description="Already done (erased, no consent to withdraw, consent already given)."),
}


def _state(member: Any) -> dict[str, Any]:
    return {
        "id": member.pk,
        "external_id": member.external_id,
        "consent": member.consent,
        "consent_at": member.consent_at,
        "erased_at": member.erased_at,
    }


class MemberEraseView(APIView):
    """Admin: erase the person's name, phone number and tags and withdraw consent; tiers and counts stay."""

    @extend_schema(operation_id="v1_members_erase", request=None, responses=RIGHTS_RESPONSES)
    def post(self, request: Request, pk: int) -> Response:
        member = rights.member_erase(actor=request.user, member=rights.member_for(request.user, pk))
        return Response(_state(member))


class MemberWithdrawConsentView(APIView):
    """The team's lead or deputy, or an admin: the person withdrew consent (no more targeting exports)."""

    @extend_schema(operation_id="v1_members_withdraw_consent", request=None, responses=RIGHTS_RESPONSES)
    def post(self, request: Request, pk: int) -> Response:
        member = rights.member_withdraw_consent(actor=request.user, member=rights.member_for(request.user, pk))
        return Response(_state(member))


class MemberRestoreConsentView(APIView):
    """Admin: the person gave consent again; an erased member is imported again from the next upload."""

    @extend_schema(operation_id="v1_members_restore_consent", request=None, responses=RIGHTS_RESPONSES)
    def post(self, request: Request, pk: int) -> Response:
        member = rights.member_restore_consent(actor=request.user, member=rights.member_for(request.user, pk))
        return Response(_state(member))


class MemberDataExportView(APIView):
    """Admin: everything held about one member, unmasked (it is the person's own data); audited."""

    @extend_schema(
        operation_id="v1_members_data_export",
        responses={
            200: OpenApiResponse(
                OpenApiTypes.OBJECT, description="member, tier_history, points, redemptions, consent_history, audit"
            ),
            403: OpenApiResponse(description="Only an administrator."),
            404: OpenApiResponse(description="No such member."),
        },
    )
    def get(self, request: Request, pk: int) -> Response:
        return Response(rights.member_data_export(actor=request.user, member=rights.member_for(request.user, pk)))
