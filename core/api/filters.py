"""Query parameters of list endpoints, validated by a serializer (400 naming the parameter, never 500)."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers
from rest_framework.request import Request


def query_filters(serializer_class: type[serializers.Serializer], request: Request) -> dict[str, Any]:
    """Validated query parameters (400 naming the parameter when one is malformed); blank ones are ignored."""
    data = {key: value for key, value in request.query_params.items() if value.strip()}
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)
