from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from core.models import Notification


class NotificationSerializer(serializers.ModelSerializer):
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
