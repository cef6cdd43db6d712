"""The kernel's API shapes: notifications (text written in the reader's language), tokens, calendar days."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from core.models import CalendarDay, CalendarDayKind, Notification


class NotificationSerializer(serializers.ModelSerializer):
    text = serializers.CharField(
        read_only=True, help_text=_("Written in the reader's current language whenever it is read (SPEC 10.4).")
    )
    read = serializers.BooleanField(read_only=True)
    resolved = serializers.BooleanField(
        read_only=True, help_text=_("True once the action the notification asked for no longer applies.")
    )

    class Meta:
        model = Notification
        fields = ["id", "verb", "text", "url", "read", "read_at", "resolved", "created_at", "object_type", "object_id"]
        read_only_fields = fields


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField()
    password = serializers.CharField(style={"input_type": "password"}, trim_whitespace=False)


class TokenResponseSerializer(serializers.Serializer):
    token = serializers.CharField(help_text=_("Send it as Authorization: Token <token>. Shown once; stored hashed."))
    expires_at = serializers.DateTimeField(help_text=_("After this the token answers 401; ask for a new one."))


class ReadAllResponseSerializer(serializers.Serializer):
    marked = serializers.IntegerField()


class CalendarDaySerializer(serializers.ModelSerializer):
    """One working-calendar entry (SPEC 10.4, Contract): ``date``, ``kind`` (holiday, workday), ``name``."""

    kind = serializers.ChoiceField(choices=CalendarDayKind.choices)
    name = serializers.CharField(max_length=100, allow_blank=True, required=False, default="")

    class Meta:
        model = CalendarDay
        fields = ["date", "kind", "name"]
        # Uniqueness is the service's business: a second entry for a date replaces the first.
        extra_kwargs = {"date": {"validators": []}}


class CalendarDayChangeSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=CalendarDayKind.choices, required=False)
    name = serializers.CharField(max_length=100, allow_blank=True, required=False)


class NotificationSettingsSerializer(serializers.Serializer):
    """For the schema: ``{"email": {verb: bool}, "chat": {verb: bool}, "digest": "off" | "daily"}``."""

    email = serializers.DictField(child=serializers.BooleanField(), required=False)
    chat = serializers.DictField(child=serializers.BooleanField(), required=False)
    digest = serializers.ChoiceField(choices=["off", "daily"], required=False)
