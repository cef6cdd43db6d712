"""API token authentication: hashed, expiring tokens (django-rest-knox, SPEC 10.1) that speak the user's language.

Session users get their profile language from ``core.middleware.UserPreferencesMiddleware``; token clients are
authenticated only inside DRF, after the middleware ran, so without this their error messages would follow
``Accept-Language`` (or English) instead of the language stored on their profile.
"""

from __future__ import annotations

from django.conf import settings
from django.utils import timezone, translation
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.plumbing import build_bearer_security_scheme_object
from knox.auth import TokenAuthentication
from knox.signals import token_expired


class ProfileLanguageTokenAuthentication(TokenAuthentication):
    """``Authorization: Token <token>``; an expired, revoked or unknown token is 401."""

    def authenticate(self, request):
        result = super().authenticate(request)
        if result is not None:
            user = result[0]
            if user.language in {code for code, _name in settings.LANGUAGES}:
                translation.activate(user.language)
                request._request.LANGUAGE_CODE = user.language
        return result

    def _cleanup_token(self, auth_token) -> bool:
        """Is the presented token expired (then it is deleted and refused)? knox's own check also reads and
        deletes every other expired token of the user: one more query on every API request (issue 20). Those
        are deleted by the hourly ``core.delete_expired_tokens`` instead; they are refused either way."""
        if auth_token.expiry is not None and auth_token.expiry < timezone.now():
            username = auth_token.user.get_username()
            auth_token.delete()
            token_expired.send(sender=self.__class__, username=username, source="auth_token")
            return True
        return False


class ProfileLanguageTokenScheme(OpenApiAuthenticationExtension):
    """How the OpenAPI schema describes the token header."""

    target_class = "core.api.authentication.ProfileLanguageTokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return build_bearer_security_scheme_object(header_name="Authorization", token_prefix="Token")
