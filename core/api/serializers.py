from __future__ import annotations

from rest_framework import serializers

from core.models import Notification


class NotificationSerializer(serializers.ModelSerializer):
    read = serializers.BooleanField(read_only=True)

    class Meta:
        model = Notification
        fields = ["id", "verb", "text", "url", "read", "read_at", "created_at", "object_type", "object_id"]
        read_only_fields = fields


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField()
    password = serializers.CharField(style={"input_type": "password"}, trim_whitespace=False)


class TokenResponseSerializer(serializers.Serializer):
    token = serializers.CharField()


class ReadAllResponseSerializer(serializers.Serializer):
    marked = serializers.IntegerField()
