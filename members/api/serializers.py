"""Membership API shapes (SPEC 9). Names and phones leave the server masked unless the requester holds
``members.view_pii``; the view decides that once per request and passes it in the serializer context."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.api.fields import MAX_ID
from core.validators import ApiDateField

from ..models import (
    AgeBand,
    ImportJob,
    ImportRowError,
    ImportStatus,
    Member,
    PointsEntry,
    PointsReason,
    Tier,
    TierChangeCause,
    TierCode,
)
from ..points import MAX_DELTA, RECORDED_REASONS
from ..privacy import mask_name, mask_phone

# The largest primary key the database can hold; beyond it a filter would overflow instead of matching nothing.
ERRORS_SHOWN = 1000


class TierSerializer(serializers.ModelSerializer):
    # The same codes as a member's ``tier``; declared with the bare codes as labels so that the schema names
    # this choice set once as CodeEnum (the labelled set is TierEnum) instead of warning about two names for
    # one set. Project settings (ENUM_NAME_OVERRIDES) could name them both; they are not this app's to edit.
    code = serializers.ChoiceField(choices=[(code, code) for code in TierCode.values], read_only=True)

    class Meta:
        model = Tier
        fields = ["id", "code", "name", "min_annual_fee", "rank"]
        read_only_fields = fields


class MemberFilterSerializer(serializers.Serializer):
    tier = serializers.ChoiceField(choices=TierCode.choices, required=False, help_text=_("Only this tier (code)."))
    campaign = serializers.IntegerField(
        required=False, min_value=1, max_value=MAX_ID, help_text=_("Only members this campaign (id) brought in.")
    )
    channel = serializers.IntegerField(
        required=False, min_value=1, max_value=MAX_ID, help_text=_("Only members this channel (id) brought in.")
    )
    external_id = serializers.CharField(required=False, max_length=64, help_text=_("Exactly this external id."))
    consent = serializers.BooleanField(
        required=False,
        allow_null=True,
        default=None,
        help_text=_("Only members who gave (true) or did not give (false) consent."),
    )
    search = serializers.CharField(
        required=False,
        max_length=100,
        help_text=_("Part of the external id; name and phone too for holders of members.view_pii."),
    )


class MemberSerializer(serializers.ModelSerializer):
    """A member. ``name`` and ``phone`` are masked (張* · 138****5678) unless the requester may see them."""

    name = serializers.SerializerMethodField()
    phone = serializers.SerializerMethodField()
    # Blank when the import gave none: the schema says so (schemathesis found "" outside the enum).
    age_band = serializers.ChoiceField(
        choices=[("", _("not given")), *AgeBand.choices], read_only=True, help_text=_("Empty when not known.")
    )
    points = serializers.IntegerField(read_only=True, help_text=_("The points balance (never below 0)."))

    class Meta:
        model = Member
        fields = [
            "id",
            "external_id",
            "name",
            "phone",
            "age_band",
            "annual_fee",
            "tier",
            "consent",
            "consent_at",
            "joined_at",
            "source_campaign",
            "source_channel",
            "points",
        ]
        read_only_fields = fields

    def _pii(self) -> bool:
        return bool(self.context.get("pii"))

    def get_name(self, member: Member) -> str:
        return member.name if self._pii() else mask_name(member.name)

    def get_phone(self, member: Member) -> str:
        return member.phone if self._pii() else mask_phone(member.phone)


# SPEC 10.6 names a tier change's fields ``from``, ``to``, ``at`` and ``cause``; ``from`` is a Python keyword, so
# the class is built from a dict.
TierHistorySerializer = type(
    "TierHistorySerializer",
    (serializers.Serializer,),
    {
        "__doc__": "One change of a member's tier, newest first: from which tier to which, when, and why.",
        "from": serializers.ChoiceField(
            source="from_tier", choices=[("", _("none (new member)")), *TierCode.choices], read_only=True,
            help_text=_("Empty for the tier a new member started in."),
        ),
        "to": serializers.ChoiceField(source="to_tier", choices=TierCode.choices, read_only=True),
        "at": serializers.DateTimeField(source="changed_at", read_only=True),
        "cause": serializers.ChoiceField(choices=TierChangeCause.choices, read_only=True),
    },
)  # fmt: skip

TIER_HISTORY_SHOWN = 50


class MemberDetailSerializer(MemberSerializer):
    """One member (SPEC 10.6): as in the list, plus the last 50 tier changes with their causes. ``joined_at`` is
    the day the member joined in their source campaign's time zone; ``points`` is the balance."""

    tier_history = serializers.SerializerMethodField()

    class Meta(MemberSerializer.Meta):
        fields = [*MemberSerializer.Meta.fields, "tier_history"]
        read_only_fields = fields

    @extend_schema_field(TierHistorySerializer(many=True))
    def get_tier_history(self, member: Member) -> list[dict[str, Any]]:
        changes = member.tier_changes.order_by("-changed_at", "-id")[:TIER_HISTORY_SHOWN]
        return TierHistorySerializer(changes, many=True).data


class PointsEntrySerializer(serializers.ModelSerializer):
    """One line of a member's points ledger; entries are never edited."""

    reason = serializers.ChoiceField(choices=PointsReason.choices, read_only=True)
    created_by = serializers.SerializerMethodField()

    class Meta:
        model = PointsEntry
        fields = ["id", "delta", "reason", "note", "benefit", "created_at", "expires_at", "created_by"]
        read_only_fields = fields

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_created_by(self, entry: PointsEntry) -> str | None:
        """Who recorded it; empty for the daily expiry."""
        return str(entry.created_by) if entry.created_by_id else None


class PointsRecordedSerializer(PointsEntrySerializer):
    """The entry just recorded, with the member's balance after it."""

    balance = serializers.IntegerField(read_only=True)

    class Meta(PointsEntrySerializer.Meta):
        fields = [*PointsEntrySerializer.Meta.fields, "balance"]
        read_only_fields = fields


class PointsRecordSerializer(serializers.Serializer):
    """A new ledger entry. ``delta`` is signed: positive to earn, negative to redeem; an adjustment either way.
    To redeem a benefit, give ``reason`` ``redeem`` and the ``benefit`` (its id): its price in points is taken."""

    delta = serializers.IntegerField(
        required=False, min_value=-MAX_DELTA, max_value=MAX_DELTA,
        help_text=_("Points: positive to earn, negative to redeem. May be left out when redeeming a benefit."),
    )  # fmt: skip
    reason = serializers.ChoiceField(
        choices=[(r, PointsReason(r).label) for r in RECORDED_REASONS],
        help_text=_("earn, redeem or adjust (points expire on their own)."),
    )
    note = serializers.CharField(required=False, allow_blank=True, max_length=300)
    expires_at = ApiDateField(
        required=False, help_text=_("Last day the points earned are valid; by default 31 December of next year.")
    )
    benefit = serializers.IntegerField(
        required=False, min_value=1, max_value=MAX_ID,
        help_text=_("A benefit of the member's tier with a price in points (reason redeem)."),
    )  # fmt: skip


class ImportUploadSerializer(serializers.Serializer):
    campaign = serializers.IntegerField(
        required=False,
        min_value=1,
        help_text=_(
            "The id of the campaign the upload is for: one whose team you lead or deputise (admins may omit it). "
            "Rows without source_campaign are attributed to it."
        ),
    )
    file = serializers.FileField(help_text=_("A .csv (UTF-8, UTF-8 with BOM or GBK) or .xlsx file with a header row."))
    dry_run = serializers.BooleanField(
        required=False,
        default=False,
        help_text=_(
            "1: validate every row and report created/updated/errors as the import would, writing no member "
            "(the job is kept, marked as a dry run)."
        ),
    )


class ImportRowErrorSerializer(serializers.ModelSerializer):
    """One bad field of a refused row (SPEC 10.6): ``row`` 1 is the first data row (line 2 in Excel); ``field`` is
    null when the row is refused as a whole (empty, or a quote never closed)."""

    field = serializers.SerializerMethodField()

    class Meta:
        model = ImportRowError
        fields = ["row", "field", "message"]
        read_only_fields = fields

    def get_field(self, error: ImportRowError) -> str | None:
        return error.field or None


class UploaderSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    display_name = serializers.CharField()


class ImportJobSerializer(serializers.ModelSerializer):
    """An import and its progress. ``errors`` holds the first 1,000 bad fields (one entry per bad field of a
    refused row; row 1 = first data row); ``error_count`` counts the refused rows and ``bad_fields`` their bad
    fields, all of them; ``errors.csv`` lists the kept ones, and ``report_url`` gives the refused rows as uploaded
    with an ``error`` column, in the upload's format and encoding, to fix and upload again. A ``dry_run`` job
    counts what it would create and update and writes no member."""

    status = serializers.ChoiceField(choices=ImportStatus.choices, read_only=True)
    percent = serializers.IntegerField(read_only=True, help_text=_("0–100; 100 once the import is done."))
    errors = serializers.SerializerMethodField()
    errors_url = serializers.SerializerMethodField()
    report_url = serializers.SerializerMethodField()
    uploaded_by = serializers.SerializerMethodField()

    class Meta:
        model = ImportJob
        fields = [
            "id",
            "filename",
            "campaign",
            "status",
            "percent",
            "total_rows",
            "processed",
            "created",
            "updated",
            "error_count",
            "bad_fields",
            "errors",
            "errors_url",
            "report_url",
            "dry_run",
            "message",
            "uploaded_by",
            "created_at",
            "started_at",
            "finished_at",
        ]
        read_only_fields = fields

    @extend_schema_field(ImportRowErrorSerializer(many=True))
    def get_errors(self, job: ImportJob) -> list[dict[str, Any]]:
        rows = getattr(job, "first_errors", None)
        if rows is None:
            rows = ImportRowError.objects.filter(job=job).order_by("row", "id")[:ERRORS_SHOWN]
        return ImportRowErrorSerializer(rows, many=True).data

    def get_errors_url(self, job: ImportJob) -> str:
        """Where the full error report (CSV) is."""
        request = self.context.get("request")
        path = reverse("member-import-errors", args=[job.pk])
        return request.build_absolute_uri(path) if request is not None else path

    def get_report_url(self, job: ImportJob) -> str:
        """Where the fixable error report (the refused rows as uploaded, plus an ``error`` column) is."""
        request = self.context.get("request")
        path = reverse("member-import-report", args=[job.pk])
        return request.build_absolute_uri(path) if request is not None else path

    @extend_schema_field(UploaderSerializer)
    def get_uploaded_by(self, job: ImportJob) -> dict[str, Any]:
        user = job.uploaded_by
        return {"id": user.pk, "username": user.username, "display_name": str(user)}
