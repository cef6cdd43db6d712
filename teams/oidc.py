"""Sign-in with the company's OpenID Connect provider (SPEC 10.5), through mozilla-django-oidc.

Configured in config/settings.py ("Company sign-in: OpenID Connect") and active only when ``OIDC_ISSUER`` is set;
the two views below answer 404 otherwise. The flow is the authorization-code flow with PKCE:

- ``/oidc/authenticate/`` (the login page's "Sign in with …" button) sends the browser to the provider, keeping
  ``?next=``; ``/oidc/callback/`` (the redirect URI registered at the provider) takes the code back, and the
  backend exchanges it at the token endpoint, checks the RS256 ID token against the provider's JWKS (signature,
  issuer, audience, expiry, nonce) and reads the userinfo endpoint.
- The account is created on first sign-in with ``directory="oidc"``, an unusable local password, the username from
  ``OIDC_USERNAME_CLAIM`` (``preferred_username``), names and email from the claims and the department named by
  ``OIDC_DEPARTMENT_CLAIM`` (teams.directory.department_for); all of it follows the claims at every sign-in (an
  unknown department leaves the current one). A username that a local or LDAP account already has is refused, never
  taken over; so is an account deactivated here. The provider refuses its own disabled users.
- The provider's endpoints are discovered from ``<OIDC_ISSUER>/.well-known/openid-configuration`` at the first
  sign-in — never at start-up — and kept for an hour; the ``OIDC_OP_*_ENDPOINT`` settings override them.
- Whatever goes wrong (consent refused, provider down, a refused account, an expired or replayed sign-in) ends on the
  login page with a message saying what happened, never an error page.

``PermissionsOnlyBackend`` takes ModelBackend's place when ``LOCAL_LOGIN=0``: permission checks, no passwords.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import requests
from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import SuspiciousOperation, ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView

from .directory import department_for
from .models import Directory, User

logger = logging.getLogger(__name__)

BACKEND = "teams.oidc.ConcordOIDCBackend"
DISCOVERY_TTL_SECONDS = 3600
# Where the reason of a failed sign-in waits for the login page (a code: the page says it in the reader's language).
ERROR_SESSION_KEY = "oidc_login_error"

# What the login page says after a failed sign-in, by code.
ERRORS = {
    "denied": _("Sign-in was cancelled at %(provider)s: Concord was not allowed to use your account."),
    "unavailable": _("%(provider)s could not be reached. Try again in a few minutes."),
    "failed": _("%(provider)s did not confirm your sign-in. Please try again."),
    "expired": _("This sign-in took too long or was already used. Please start again."),
    "taken": _(
        "A Concord account that does not come from %(provider)s already uses your username. "
        "Ask an administrator to sort it out."
    ),
    "inactive": _("Your Concord account is deactivated. Ask an administrator to reactivate it."),
    "no_username": _("%(provider)s did not send a usable username. Ask an administrator to check the set-up."),
}


def provider_name() -> str:
    """The provider's name as the login page shows it (``OIDC_PROVIDER_NAME``, else "your company account")."""
    return settings.OIDC_PROVIDER_NAME or str(_("your company account"))


def enabled() -> bool:
    """Whether OpenID Connect sign-in is configured."""
    return bool(settings.OIDC_ISSUER)


def password_login_enabled() -> bool:
    """Whether the login page takes a password at all: local passwords (``LOCAL_LOGIN``) or LDAP's."""
    return bool(settings.LOCAL_LOGIN or getattr(settings, "LDAP_SERVER_URI", ""))


def error_message(code: str) -> str:
    """The login page's sentence for a failed sign-in's code."""
    return str(ERRORS.get(code, ERRORS["failed"])) % {"provider": provider_name()}


class ProviderUnavailable(Exception):
    """The provider did not answer (or answered nonsense) in time."""


class SignInRefused(Exception):
    """The provider vouched for the person, but Concord will not sign them in; ``code`` is a key of ERRORS."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


# --- Discovery ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Endpoints:
    """The provider's endpoints that the code flow uses."""

    authorization: str
    token: str
    userinfo: str
    jwks: str


_discovered: dict[str, tuple[float, dict[str, Any]]] = {}
_discovery_lock = threading.Lock()


def discovery_document(issuer: str) -> dict[str, Any]:
    """``<issuer>/.well-known/openid-configuration``, fetched with a timeout and kept for an hour per process.
    A failure is not kept: the next sign-in asks again. Raises ProviderUnavailable."""
    now = time.monotonic()
    with _discovery_lock:
        cached = _discovered.get(issuer)
        if cached and now - cached[0] < DISCOVERY_TTL_SECONDS:
            return cached[1]
    url = f"{issuer}/.well-known/openid-configuration"
    try:
        response = requests.get(url, timeout=settings.OIDC_TIMEOUT)
        response.raise_for_status()
        document = response.json()
    except (requests.RequestException, ValueError) as error:
        logger.warning("OIDC discovery at %s failed: %s", url, error)
        raise ProviderUnavailable(str(error)) from error
    if not isinstance(document, dict) or str(document.get("issuer", "")).rstrip("/") != issuer:
        logger.warning("OIDC discovery at %s names another issuer: %r", url, getattr(document, "get", dict)("issuer"))
        raise ProviderUnavailable("the discovery document names another issuer")
    with _discovery_lock:
        _discovered[issuer] = (now, document)
    return document


def forget_discovery() -> None:
    """Drop the kept discovery documents (tests; a provider that moved its endpoints)."""
    with _discovery_lock:
        _discovered.clear()


def endpoints() -> Endpoints:
    """The endpoints: each from its ``OIDC_OP_*_ENDPOINT`` setting when set, else from discovery."""
    names = {
        "authorization": ("OIDC_OP_AUTHORIZATION_ENDPOINT", "authorization_endpoint"),
        "token": ("OIDC_OP_TOKEN_ENDPOINT", "token_endpoint"),
        "userinfo": ("OIDC_OP_USER_ENDPOINT", "userinfo_endpoint"),
        "jwks": ("OIDC_OP_JWKS_ENDPOINT", "jwks_uri"),
    }
    found = {key: getattr(settings, setting, "") for key, (setting, _field) in names.items()}
    if not all(found.values()):
        document = discovery_document(settings.OIDC_ISSUER)
        for key, (_setting, field) in names.items():
            found[key] = found[key] or document.get(field) or ""
        if not all(isinstance(value, str) and value for value in found.values()):
            raise ProviderUnavailable("the discovery document lacks an endpoint")
    return Endpoints(**found)


# --- Authentication backends ----------------------------------------------------------------------------------------


class ConcordOIDCBackend(OIDCAuthenticationBackend):
    """mozilla-django-oidc's backend with Concord's rules (see the module docstring). It answers only on the callback
    URL, never for a username and password, and builds nothing from the network until a sign-in needs it: Django
    makes a backend for every request of a signed-in user (``get_user``)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:  # no network here, unlike the parent
        self.UserModel = User
        self.OIDC_RP_CLIENT_ID = settings.OIDC_CLIENT_ID
        self.OIDC_RP_CLIENT_SECRET = settings.OIDC_CLIENT_SECRET
        self.OIDC_RP_SIGN_ALGO = "RS256"
        self.OIDC_RP_IDP_SIGN_KEY = None
        self.OIDC_OP_TOKEN_ENDPOINT = self.OIDC_OP_USER_ENDPOINT = self.OIDC_OP_JWKS_ENDPOINT = ""

    def authenticate(self, request: HttpRequest | None, nonce: Any = None, code_verifier: Any = None, **kwargs: Any):
        """The user the provider's code stands for, or None when this is not an OIDC callback. Raises
        ProviderUnavailable, SignInRefused or SuspiciousOperation (a token that does not check out)."""
        if request is None or kwargs or not enabled() or nonce is None:
            return None
        if request.path != reverse("oidc_authentication_callback"):
            return None
        found = endpoints()
        self.OIDC_OP_TOKEN_ENDPOINT, self.OIDC_OP_USER_ENDPOINT, self.OIDC_OP_JWKS_ENDPOINT = (
            found.token,
            found.userinfo,
            found.jwks,
        )
        try:
            return super().authenticate(request, nonce=nonce, code_verifier=code_verifier)
        except requests.RequestException as error:
            logger.warning("OIDC sign-in: the provider's token, key or userinfo endpoint failed: %s", error)
            raise ProviderUnavailable(str(error)) from error

    def verify_token(self, token: str, **kwargs: Any) -> dict[str, Any]:
        """The parent checks the signature (RS256, the JWKS key), expiry and nonce; this adds issuer and audience."""
        payload = super().verify_token(token, **kwargs)
        audience = payload.get("aud")
        audiences = audience if isinstance(audience, list) else [audience]
        if str(payload.get("iss", "")).rstrip("/") != settings.OIDC_ISSUER:
            raise SuspiciousOperation("ID token from another issuer")
        if settings.OIDC_CLIENT_ID not in audiences:
            raise SuspiciousOperation("ID token for another client")
        return payload

    def get_or_create_user(self, access_token: str, id_token: str, payload: dict[str, Any]) -> User:
        """The account for these claims (ID token, then userinfo): created or updated. Raises SignInRefused."""
        userinfo = self.get_userinfo(access_token, id_token, payload)
        if not isinstance(userinfo, dict) or str(userinfo.get("sub")) != str(payload.get("sub")):
            raise SuspiciousOperation("userinfo is for another subject than the ID token")
        claims = {**payload, **userinfo}
        username = claims.get(settings.OIDC_USERNAME_CLAIM)
        if not isinstance(username, str) or not username.strip():
            raise SignInRefused("no_username")
        username = username.strip()
        try:
            UnicodeUsernameValidator()(username)
        except ValidationError:
            raise SignInRefused("no_username") from None
        if len(username) > User._meta.get_field("username").max_length:
            raise SignInRefused("no_username")
        with transaction.atomic():
            user = User.objects.select_for_update().filter(username__iexact=username).first()
            if user is not None and user.directory != Directory.OIDC:
                logger.warning(
                    "OIDC sign-in refused for %r: an account from directory %r has that username",
                    username,
                    user.directory,
                )
                raise SignInRefused("taken")
            if user is not None and not user.is_active:
                raise SignInRefused("inactive")
            if user is None:
                user = User(username=username, directory=Directory.OIDC)
                user.set_unusable_password()
            self._apply_claims(user, claims)
            user.save()
        return user

    @staticmethod
    def _apply_claims(user: User, claims: dict[str, Any]) -> None:
        """Names, email and department from the claims (absent claims leave the field as it is)."""

        def text(name: str, limit: int) -> str | None:
            value = claims.get(name)
            return value.strip()[:limit] if isinstance(value, str) else None

        for field, claim in (("first_name", "given_name"), ("last_name", "family_name"), ("email", "email")):
            value = text(claim, User._meta.get_field(field).max_length)
            if value is not None:
                setattr(user, field, value)
        display_name = text("name", User._meta.get_field("display_name").max_length)
        if display_name is not None:
            user.display_name = display_name
        department = department_for(claims.get(settings.OIDC_DEPARTMENT_CLAIM))
        if department is not None:
            user.department = department

    def get_user(self, user_id: Any) -> User | None:
        """The signed-in user of a session, or None once the account is deactivated (as ModelBackend does)."""
        user = super().get_user(user_id)
        return user if user is not None and user.is_active else None


class PermissionsOnlyBackend(ModelBackend):
    """ModelBackend without passwords, in its place when ``LOCAL_LOGIN=0``: permissions (``has_perm``) still come
    from the database, but no local password opens an account."""

    def authenticate(self, request: Any, username: Any = None, password: Any = None, **kwargs: Any) -> None:
        """Never: local passwords are turned off."""
        return None


# --- Views ----------------------------------------------------------------------------------------------------------


def _back_to_login(request: HttpRequest, code: str, next_url: str | None) -> HttpResponse:
    """The login page, which then says what went wrong (keeping where the person was going)."""
    request.session[ERROR_SESSION_KEY] = code
    url = reverse("login")
    if next_url:
        url += "?" + urlencode({"next": next_url})
    return HttpResponseRedirect(url)


class SignInView(OIDCAuthenticationRequestView):
    """The "Sign in with …" button: to the provider's authorization endpoint, with state, nonce and PKCE."""

    def __init__(self, **kwargs: Any) -> None:  # the endpoint is discovered per request
        super(OIDCAuthenticationRequestView, self).__init__(**kwargs)
        self.OIDC_RP_CLIENT_ID = settings.OIDC_CLIENT_ID
        self.OIDC_OP_AUTH_ENDPOINT = ""

    def get(self, request: HttpRequest) -> HttpResponse:
        """Redirect to the provider, or back to the login page when it cannot be reached."""
        if not enabled():
            raise Http404
        try:
            self.OIDC_OP_AUTH_ENDPOINT = endpoints().authorization
        except ProviderUnavailable:
            return _back_to_login(request, "unavailable", request.GET.get("next"))
        return super().get(request)


class CallbackView(OIDCAuthenticationCallbackView):
    """The redirect URI: signs the person in, or returns to the login page saying why not."""

    def get(self, request: HttpRequest) -> HttpResponse:
        """Finish the sign-in the provider's code stands for."""
        if not enabled():
            raise Http404
        state = request.GET.get("state")
        if not request.GET.get("error") and state and state not in request.session.get("oidc_states", {}):
            # A state this browser's session never issued, or one already used: a stale, replayed or forged callback.
            return self._failure("expired")
        try:
            return super().get(request)
        except SignInRefused as refusal:
            return self._failure(refusal.code)
        except ProviderUnavailable:
            return self._failure("unavailable")
        except SuspiciousOperation as error:  # an ID token that did not check out
            logger.warning("OIDC sign-in failed a check: %s", error)
            return self._failure("failed")

    def login_failure(self) -> HttpResponse:
        """mozilla-django-oidc's failure: the provider's error (consent refused…), or no user."""
        error = self.request.GET.get("error", "")
        if error == "access_denied":
            return self._failure("denied")
        if error:
            logger.warning("OIDC provider answered %s: %s", error, self.request.GET.get("error_description", ""))
        return self._failure("failed")

    def _failure(self, code: str) -> HttpResponse:
        return _back_to_login(self.request, code, self.request.session.get("oidc_login_next"))


# Always routed (config/urls.py includes them under oidc/); both answer 404 while OIDC_ISSUER is unset.
urlpatterns = [
    path("authenticate/", SignInView.as_view(), name="oidc_authentication_init"),
    path("callback/", CallbackView.as_view(), name="oidc_authentication_callback"),
]
