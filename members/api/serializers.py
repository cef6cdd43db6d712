"""Membership API shapes (SPEC 9). Names and phones leave the server masked unless the requester holds
``members.view_pii``; the view decides that once per request and passes it in the serializer context."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.api.fields import MAX_ID

from ..models import AgeBand, ImportJob, ImportRowError, ImportStatus, Member, Tier, TierCode
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
        ]
        read_only_fields = fields

    def _pii(self) -> bool:
        return bool(self.context.get("pii"))

    def get_name(self, member: Member) -> str:
        return member.name if self._pii() else mask_name(member.name)

    def get_phone(self, member: Member) -> str:
        return member.phone if self._pii() else mask_phone(member.phone)


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


class ImportRowErrorSerializer(serializers.ModelSerializer):
    class Meta:
        model = ImportRowError
        fields = ["row", "message"]
        read_only_fields = fields


class UploaderSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    display_name = serializers.CharField()


class ImportJobSerializer(serializers.ModelSerializer):
    """An import and its progress. ``errors`` holds the first 1,000 refused rows (1 = first data row);
    ``error_count`` counts them all, and ``errors.csv`` lists them all."""

    status = serializers.ChoiceField(choices=ImportStatus.choices, read_only=True)
    percent = serializers.IntegerField(read_only=True, help_text=_("0–100; 100 once the import is done."))
    errors = serializers.SerializerMethodField()
    errors_url = serializers.SerializerMethodField()
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
            "errors",
            "errors_url",
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

    @extend_schema_field(UploaderSerializer)
    def get_uploaded_by(self, job: ImportJob) -> dict[str, Any]:
        user = job.uploaded_by
        return {"id": user.pk, "username": user.username, "display_name": str(user)}
