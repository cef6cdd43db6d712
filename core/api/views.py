"""The kernel's API: API tokens (issue on POST, revoke on DELETE) and the notification inbox (list, read, read
all)."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from knox.models import AuthToken
from rest_framework import mixins, status, viewsets
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from core.errors import NotAllowed
from core.models import CalendarDay
from core.permissions import principal_for
from core.security import is_locked_out, lockout_message
from core.selectors import notification_list
from core.services.calendar import calendar_day_delete, calendar_days_set
from core.services.notifications import (
    notification_mark_read,
    notification_settings_as_dict,
    notification_settings_for,
    notification_settings_save,
)

from .authentication import ProfileLanguageTokenAuthentication
from .serializers import (
    CalendarDayChangeSerializer,
    CalendarDaySerializer,
    NotificationSerializer,
    NotificationSettingsSerializer,
    ReadAllResponseSerializer,
    TokenRequestSerializer,
    TokenResponseSerializer,
)


class TokenView(APIView):
    """Exchange a username and password for an API token (send it as ``Authorization: Token <token>``).

    Tokens are stored hashed and expire after ``API_TOKEN_TTL_HOURS``; ``DELETE`` revokes the presented one, and a
    password change or deactivation revokes all of a user's (SPEC 10.1)."""

    permission_classes = [AllowAny]
    # Per client address (API_TOKEN_THROTTLE_RATE); failed passwords also count towards the login lock-out.
    # The throttle counts in the cache, which fails open when Redis does not answer (core/resilience.py).
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "auth"

    def get_authenticators(self):
        # Issuing needs no credentials; revoking needs the token being revoked.
        return [ProfileLanguageTokenAuthentication()] if getattr(self, "_deleting", False) else []

    def initialize_request(self, request, *args, **kwargs):
        self._deleting = request.method == "DELETE"
        return super().initialize_request(request, *args, **kwargs)

    def get_permissions(self):
        if getattr(self, "_deleting", False):
            return [IsAuthenticated()]
        return super().get_permissions()

    def get_throttles(self):
        return [] if getattr(self, "_deleting", False) else super().get_throttles()

    @extend_schema(
        request=TokenRequestSerializer,
        responses={
            200: TokenResponseSerializer,
            403: OpenApiResponse(description="Password sign-in is turned off (LOCAL_LOGIN=0)."),
            429: OpenApiResponse(description="Too many failed logins."),
        },
    )
    def post(self, request: Request) -> Response:
        if not (settings.LOCAL_LOGIN or getattr(settings, "LDAP_SERVER_URI", "")):
            # LOCAL_LOGIN=0 without LDAP: no password can be checked here (SPEC 10.5), so none is even looked at.
            return Response(
                {"detail": _("Signing in with a password is turned off here.")}, status=status.HTTP_403_FORBIDDEN
            )
        username = request.data.get("username") if hasattr(request.data, "get") else None
        username = username if isinstance(username, str) else ""
        if is_locked_out(request._request, username):
            return Response({"detail": lockout_message()}, status=status.HTTP_429_TOO_MANY_REQUESTS)
        serializer = AuthTokenSerializer(data=request.data, context={"request": request._request})
        if not serializer.is_valid():
            if is_locked_out(request._request, username):  # this failure was the last one allowed
                return Response({"detail": lockout_message()}, status=status.HTTP_429_TOO_MANY_REQUESTS)
            serializer.is_valid(raise_exception=True)
        instance, token = AuthToken.objects.create(user=serializer.validated_data["user"])
        return Response(TokenResponseSerializer({"token": token, "expires_at": instance.expiry}).data)

    @extend_schema(
        request=None,
        responses={204: None, 401: OpenApiResponse(description="No token, or an expired or revoked one.")},
    )
    def delete(self, request: Request) -> Response:
        """Revoke the token this request is authenticated with."""
        if isinstance(request.auth, AuthToken):
            request.auth.delete()
        return Response(status=status.HTTP_204_NO_CONTENT)


class NotificationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The requester's own notifications, newest first. ``?read=false`` lists only unread ones."""

    serializer_class = NotificationSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return notification_list(user=None).none()
        qs = notification_list(user=self.request.user)
        read = self.request.query_params.get("read")
        if read is not None:
            value = read.strip().lower()
            if value in ("false", "0", "no"):
                qs = qs.filter(read_at__isnull=True)
            elif value in ("true", "1", "yes"):
                qs = qs.filter(read_at__isnull=False)
            else:
                from rest_framework.exceptions import ValidationError

                raise ValidationError({"read": [_("Use true or false.")]})
        return qs

    @extend_schema(parameters=[OpenApiParameter("read", bool, description="Filter by read state")])
    def list(self, request: Request, *args, **kwargs) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(request=None, responses=NotificationSerializer)
    @action(detail=True, methods=["post"])
    def read(self, request: Request, pk: str | None = None) -> Response:
        notification = self.get_object()
        notification_mark_read(user=request.user, notification_ids=[notification.pk])
        notification.refresh_from_db()
        return Response(NotificationSerializer(notification).data)

    @extend_schema(request=None, responses=ReadAllResponseSerializer)
    @action(detail=False, methods=["post"], url_path="read-all")
    def read_all(self, request: Request) -> Response:
        return Response({"marked": notification_mark_read(user=request.user)})


class CalendarDayViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """The working calendar's entries (SPEC 10.4): everyone reads; administrators write. An entry overrides the
    packaged statutory calendar for its date; a change moves the affected future meetings. ``?year=`` filters."""

    serializer_class = CalendarDaySerializer
    lookup_field = "date"
    lookup_value_regex = r"\d{4}-\d{2}-\d{2}"
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self):
        qs = CalendarDay.objects.order_by("date")
        if self.action == "list" and "year" in self.request.query_params:
            year = self.request.query_params["year"]
            if not (year.isdigit() and 1900 <= int(year) <= 2999):
                raise ValidationError({"year": [_("Give a year such as 2027.")]})
            qs = qs.filter(date__year=int(year))
        return qs

    def get_object(self):
        try:
            day = dt.date.fromisoformat(self.kwargs["date"])
        except ValueError:
            raise NotFound() from None
        return get_object_or_404(CalendarDay, date=day)

    def _require_admin(self) -> None:
        if not principal_for(self.request.user).is_admin:
            raise NotAllowed(_("Only an administrator can change the working calendar."))

    @extend_schema(parameters=[OpenApiParameter("year", int, description="Only the entries of this year.")])
    def list(self, request: Request, *args, **kwargs) -> Response:
        return super().list(request, *args, **kwargs)

    def create(self, request: Request, *args, **kwargs) -> Response:
        self._require_admin()
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        [day] = calendar_days_set(actor=request.user, start=serializer.validated_data["date"],
                                  kind=serializer.validated_data["kind"], name=serializer.validated_data["name"])  # fmt: skip
        return Response(self.get_serializer(day).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=CalendarDayChangeSerializer)
    def partial_update(self, request: Request, *args, **kwargs) -> Response:
        self._require_admin()
        day = self.get_object()
        serializer = CalendarDayChangeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        [day] = calendar_days_set(actor=request.user, start=day.date, kind=data.get("kind", day.kind),
                                  name=data.get("name", day.name))  # fmt: skip
        return Response(self.get_serializer(day).data)

    def update(self, request: Request, *args, **kwargs) -> Response:
        return self.partial_update(request, *args, **kwargs)

    def destroy(self, request: Request, *args, **kwargs) -> Response:
        self._require_admin()
        calendar_day_delete(actor=request.user, day=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


class NotificationSettingsView(APIView):
    """``GET/PATCH me/notification-settings/`` (SPEC 10.4): per kind, email and chat on or off, and the daily
    digest. The inbox always receives everything."""

    @extend_schema(responses=NotificationSettingsSerializer)
    def get(self, request: Request) -> Response:
        return Response(notification_settings_as_dict(notification_settings_for(request.user)))

    @extend_schema(request=NotificationSettingsSerializer, responses=NotificationSettingsSerializer)
    def patch(self, request: Request) -> Response:
        if not isinstance(request.data, dict):
            raise ValidationError({"detail": [_("Send a JSON object.")]})
        saved = notification_settings_save(user=request.user, changes=request.data)
        return Response(notification_settings_as_dict(saved))
