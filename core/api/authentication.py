"""Token authentication that speaks the user's language.

Session users get their profile language from ``core.middleware.UserPreferencesMiddleware``; token clients are
authenticated only inside DRF, after the middleware ran, so without this their error messages would follow
``Accept-Language`` (or English) instead of the language stored on their profile.
"""

from __future__ import annotations

from django.conf import settings
from django.utils import translation
from rest_framework.authentication import TokenAuthentication


class ProfileLanguageTokenAuthentication(TokenAuthentication):
    def authenticate(self, request):
        result = super().authenticate(request)
        if result is not None:
            user = result[0]
            if user.language in {code for code, _name in settings.LANGUAGES}:
                translation.activate(user.language)
                request._request.LANGUAGE_CODE = user.language
        return result
