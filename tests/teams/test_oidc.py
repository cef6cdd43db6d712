"""Company sign-in with OpenID Connect (SPEC 10.5, issue 19) against a real provider run locally, and LOCAL_LOGIN.

The provider is django-oauth-toolkit with OIDC on (tests/oidc_provider/), started once for this module as a second
Django process on a free port with its own SQLite file, RSA signing key, client application and users (one of them
disabled). Each sign-in is the whole authorization-code flow: Concord's test client asks for /oidc/authenticate/, an
httpx "browser" follows the redirect to the provider, signs in on its login form and approves, and the provider's
redirect back to /oidc/callback/ goes to Concord's test client, whose backend then calls the provider's token, JWKS
and userinfo endpoints for real. Skips without django-oauth-toolkit — fails under REQUIRE_SERVICES=1.
"""

from __future__ import annotations

import importlib.util
import json
import os
import socket
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlencode, urljoin, urlsplit

import httpx
import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from knox.models import AuthToken
from rest_framework.test import APIClient

from teams import oidc
from teams.directory import deactivate
from teams.models import Directory, User
from tests.conftest import need_service
from tests.factories import DepartmentFactory, UserFactory
from tests.oidc_provider.serve import CLIENT_ID, CLIENT_SECRET, PASSWORD

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
LOGIN = "/accounts/login/"
TOKEN = "/api/v1/auth/token/"
START = "/oidc/authenticate/"
CALLBACK = "http://testserver/oidc/callback/"
PROVIDER_NAME = "Test SSO"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Provider:
    """The running test provider."""

    issuer: str
    database: Path

    def update_user(self, username: str, *, email: str, first_name: str, group: str) -> None:
        """Change a person at the provider (as its administrators would)."""
        with sqlite3.connect(self.database, timeout=10) as db:
            db.execute(
                "UPDATE auth_user SET email = ?, first_name = ? WHERE username = ?", (email, first_name, username)
            )
            db.execute(
                "UPDATE auth_user_groups SET group_id = (SELECT id FROM auth_group WHERE name = ?) "
                "WHERE user_id = (SELECT id FROM auth_user WHERE username = ?)",
                (group, username),
            )


@pytest.fixture(scope="module")
def provider(tmp_path_factory):
    need_service(
        importlib.util.find_spec("oauth2_provider") is not None,
        "django-oauth-toolkit (requirements-dev.txt), the test OpenID Connect provider",
    )
    folder = tmp_path_factory.mktemp("oidc-provider")
    port = _free_port()
    log = (folder / "provider.log").open("w")
    env = {key: value for key, value in os.environ.items() if key != "DJANGO_SETTINGS_MODULE"}
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.oidc_provider.serve", "--port", str(port), "--folder", str(folder)]
        + ["--redirect-uri", CALLBACK],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    issuer = f"http://127.0.0.1:{port}/o"
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                pytest.fail(f"the test provider exited: {(folder / 'provider.log').read_text()[-3000:]}")
            try:
                if httpx.get(f"{issuer}/.well-known/openid-configuration", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"the test provider did not start: {(folder / 'provider.log').read_text()[-3000:]}")
            time.sleep(0.2)
        yield Provider(issuer=issuer, database=folder / "provider.sqlite3")
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


@pytest.fixture
def departments():
    return {
        "marketing": DepartmentFactory(code="marketing", name="市场部", name_en="Marketing"),
        "finance": DepartmentFactory(code="finance", name="财务部", name_en="Finance"),
    }


def _configure(settings, issuer: str) -> None:
    settings.OIDC_ISSUER = issuer
    settings.OIDC_CLIENT_ID = CLIENT_ID
    settings.OIDC_CLIENT_SECRET = CLIENT_SECRET
    settings.OIDC_PROVIDER_NAME = PROVIDER_NAME
    if oidc.BACKEND not in settings.AUTHENTICATION_BACKENDS:
        settings.AUTHENTICATION_BACKENDS = [*settings.AUTHENTICATION_BACKENDS, oidc.BACKEND]
    oidc.forget_discovery()


@pytest.fixture
def configured(settings, provider, departments):
    """Concord set up to sign in with the test provider (as OIDC_ISSUER etc. in the environment would)."""
    _configure(settings, provider.issuer)
    yield provider
    oidc.forget_discovery()


class _Inputs(HTMLParser):
    """The hidden inputs (and the CSRF token) of a page's forms."""

    def __init__(self) -> None:
        super().__init__()
        self.fields: dict[str, str] = {}

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "input" and attributes.get("type") == "hidden" and attributes.get("name"):
            self.fields[attributes["name"]] = attributes.get("value") or ""


def _hidden_fields(html: str) -> dict[str, str]:
    parser = _Inputs()
    parser.feed(html)
    return parser.fields


@dataclass
class SignIn:
    """How a sign-in went: Concord's answer to the callback, or the provider's refusal at its login form."""

    response: object = None
    refused_by_provider: bool = False
    callback_url: str = ""


def sign_in(client: Client, username: str, *, approve: bool = True, next_url: str = "") -> SignIn:
    """The whole authorization-code flow, as a person in a browser would go through it."""
    start = client.get(START + (f"?{urlencode({'next': next_url})}" if next_url else ""))
    assert start.status_code == 302, start
    authorize = start["Location"]
    with httpx.Client(timeout=10) as browser:
        answer = browser.get(authorize)
        assert answer.status_code == 302, answer.text[:500]  # not signed in at the provider: to its login form
        login_url = urljoin(authorize, answer.headers["location"])
        form = browser.get(login_url)
        fields = _hidden_fields(form.text)
        answer = browser.post(login_url, data={**fields, "username": username, "password": PASSWORD})
        if answer.status_code != 302:
            assert answer.status_code == 200 and "Wrong username or password" in answer.text
            return SignIn(refused_by_provider=True)
        consent = browser.get(urljoin(login_url, answer.headers["location"]))
        assert consent.status_code == 200 and "authorizationForm" in consent.text, consent.text[:500]
        fields = _hidden_fields(consent.text)
        if approve:
            fields["allow"] = "Authorize"
        answer = browser.post(authorize, data=fields)
        assert answer.status_code == 302, answer.text[:500]
        callback = answer.headers["location"]
    assert callback.startswith(CALLBACK), callback
    parts = urlsplit(callback)
    return SignIn(response=client.get(f"{parts.path}?{parts.query}"), callback_url=callback)


def _signed_in_as(client: Client) -> User | None:
    user_id = client.session.get("_auth_user_id")
    return User.objects.get(pk=user_id) if user_id else None


def _login_page_says(client: Client, response) -> str:
    """Follow a redirect to the login page and return its text (asserting it is the login page, not an error)."""
    assert response.status_code == 302, response
    assert response["Location"].startswith(LOGIN), response["Location"]
    page = client.get(response["Location"])
    assert page.status_code == 200
    return page.content.decode()


# --- the flow ---------------------------------------------------------------------------------------------------------


def test_first_sign_in_creates_the_account_from_the_claims(configured, departments):
    client = Client()
    result = sign_in(client, "alice", next_url="/inbox/")
    assert result.response.status_code == 302
    assert result.response["Location"] == "/inbox/"  # ?next= kept through the provider
    alice = User.objects.get(username="alice")
    assert alice.directory == Directory.OIDC
    assert alice.department == departments["marketing"]
    assert (alice.first_name, alice.last_name, alice.display_name) == ("Alice", "Wang", "Alice Wang")
    assert alice.email == "alice@example.com"
    assert not alice.has_usable_password()
    assert _signed_in_as(client) == alice
    assert client.session["_auth_user_backend"] == oidc.BACKEND
    assert client.get("/inbox/").status_code == 200  # the session holds on the next request


def test_every_sign_in_updates_the_account(configured, departments):
    client = Client()
    assert sign_in(client, "bob").response.status_code == 302
    bob = User.objects.get(username="bob")
    assert bob.department == departments["marketing"]
    configured.update_user("bob", email="bob.li@example.com", first_name="Robert", group="finance")
    client.post("/accounts/logout/")
    assert sign_in(client, "bob").response.status_code == 302
    assert User.objects.filter(username__iexact="bob").count() == 1
    bob.refresh_from_db()
    assert (bob.email, bob.first_name, bob.department) == ("bob.li@example.com", "Robert", departments["finance"])
    assert _signed_in_as(client) == bob


def test_a_callback_cannot_be_replayed(configured):
    client = Client()
    result = sign_in(client, "grace")
    assert result.response.status_code == 302
    client.post("/accounts/logout/")
    parts = urlsplit(result.callback_url)
    text = _login_page_says(client, client.get(f"{parts.path}?{parts.query}"))
    assert "already used" in text
    assert _signed_in_as(client) is None


# --- who may not sign in ----------------------------------------------------------------------------------------------


def test_a_user_disabled_at_the_provider_cannot_sign_in(configured):
    client = Client()
    result = sign_in(client, "dave")
    assert result.refused_by_provider
    assert not User.objects.filter(username="dave").exists()
    assert _signed_in_as(client) is None


def test_an_account_deactivated_here_cannot_sign_in_and_its_tokens_stop(configured):
    client = Client()
    assert sign_in(client, "erin").response.status_code == 302
    erin = User.objects.get(username="erin")
    _instance, token = AuthToken.objects.create(user=erin)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert api.get("/api/v1/notifications/").status_code == 200

    assert deactivate(erin)
    assert api.get("/api/v1/notifications/").status_code == 401  # tokens revoked
    assert client.get("/inbox/").status_code == 302  # the session is over

    result = sign_in(client, "erin")
    text = _login_page_says(client, result.response)
    assert "Your Concord account is deactivated" in text
    assert _signed_in_as(client) is None
    erin.refresh_from_db()
    assert not erin.is_active


def test_a_local_account_with_the_same_username_is_never_taken_over(configured):
    local = UserFactory(username="Carol", email="carol@concord.local", display_name="Local Carol")
    client = Client()
    result = sign_in(client, "carol")
    text = _login_page_says(client, result.response)
    assert "already uses your username" in text
    assert _signed_in_as(client) is None
    assert list(User.objects.filter(username__iexact="carol")) == [local]
    local.refresh_from_db()
    assert (local.directory, local.email, local.display_name) == (Directory.LOCAL, "carol@concord.local", "Local Carol")
    assert local.check_password("pw-for-tests")


def test_refused_consent_returns_to_the_login_page_with_a_message(configured):
    client = Client()
    result = sign_in(client, "frank", approve=False, next_url="/teams/")
    assert "error=access_denied" in result.callback_url
    assert result.response["Location"] == f"{LOGIN}?{urlencode({'next': '/teams/'})}"
    text = _login_page_says(client, result.response)
    assert f"Sign-in was cancelled at {PROVIDER_NAME}" in text
    assert not User.objects.filter(username="frank").exists()
    assert _signed_in_as(client) is None
    # Said once: the next visit to the login page is clean.
    assert "Sign-in was cancelled" not in client.get(LOGIN).content.decode()


# --- a provider that is down ------------------------------------------------------------------------------------------


def test_a_provider_that_is_down_gives_a_message_not_an_error(settings, departments):
    _configure(settings, f"http://127.0.0.1:{_free_port()}/o")  # nothing listens there
    client = Client()
    response = client.get(START + "?next=/inbox/")
    assert response["Location"] == f"{LOGIN}?{urlencode({'next': '/inbox/'})}"
    text = _login_page_says(client, response)
    assert f"{PROVIDER_NAME} could not be reached" in text
    assert 'data-testid="password-login"' in text  # the password form is still there


def test_a_token_endpoint_that_fails_mid_sign_in_gives_a_message(configured, settings):
    # Discovery works; the token endpoint (set by hand) does not answer.
    settings.OIDC_OP_TOKEN_ENDPOINT = f"http://127.0.0.1:{_free_port()}/token/"
    client = Client()
    result = sign_in(client, "grace")
    text = _login_page_says(client, result.response)
    assert f"{PROVIDER_NAME} could not be reached" in text
    assert _signed_in_as(client) is None


# --- the login page and LOCAL_LOGIN -----------------------------------------------------------------------------------


def test_the_button_is_there_only_when_configured(client, settings):
    settings.OIDC_ISSUER = ""
    html = client.get(LOGIN + "?next=/teams/").content.decode()
    assert 'data-testid="oidc-login"' not in html
    assert client.get(START).status_code == 404
    assert client.get("/oidc/callback/?code=x&state=y").status_code == 404

    _configure(settings, "https://sso.example.com/realms/corp")  # the page itself asks the provider nothing
    html = client.get(LOGIN + "?next=/teams/").content.decode()
    assert 'data-testid="oidc-login"' in html
    assert f"Sign in with {PROVIDER_NAME}" in html
    assert f'href="{START}?next=/teams/"' in html
    assert 'data-testid="password-login"' in html
    settings.OIDC_PROVIDER_NAME = ""
    assert "Sign in with your company account" in client.get(LOGIN).content.decode()


def _local_login(settings, on: bool) -> None:
    """LOCAL_LOGIN as config/settings.py sets it (test_settings_wire_the_backends_from_the_environment checks that)."""
    model, permissions_only = "django.contrib.auth.backends.ModelBackend", "teams.oidc.PermissionsOnlyBackend"
    settings.LOCAL_LOGIN = on
    settings.AUTHENTICATION_BACKENDS = [
        (model if on else permissions_only) if b in (model, permissions_only) else b
        for b in settings.AUTHENTICATION_BACKENDS
    ]


def test_local_login_0_turns_passwords_off(client, settings):
    user = UserFactory(username="alice")
    _local_login(settings, True)  # first: the same requests work with local passwords on
    assert 'name="password"' in client.get(LOGIN).content.decode()
    assert APIClient().post(TOKEN, {"username": "alice", "password": "pw-for-tests"}).status_code == 200
    assert client.post(LOGIN, {"username": "alice", "password": "pw-for-tests"}).status_code == 302
    client.post("/accounts/logout/")

    _local_login(settings, False)
    html = client.get(LOGIN).content.decode()
    assert 'name="password"' not in html
    assert "no company sign-in is set up" in html  # nor OIDC: the page says so
    refused = client.post(LOGIN, {"username": "alice", "password": "pw-for-tests"})
    assert refused.status_code == 403
    assert "Signing in with a password is turned off here." in refused.content.decode()
    assert _signed_in_as(client) is None
    api = APIClient().post(TOKEN, {"username": "alice", "password": "pw-for-tests"})
    assert api.status_code == 403
    assert api.json()["detail"] == "Signing in with a password is turned off here."
    assert AuthToken.objects.filter(user=user).count() == 1  # the one issued while passwords were on

    # Nothing else checks a local password either (the admin's login form, a script calling authenticate()) ...
    from django.contrib.auth import authenticate

    assert authenticate(client.get(LOGIN).wsgi_request, username="alice", password="pw-for-tests") is None
    # ... while permissions still come from the database.
    user.user_permissions.add(Permission.objects.get(codename="view_pii", content_type__app_label="members"))
    assert User.objects.get(pk=user.pk).has_perm("members.view_pii")

    _configure(settings, "https://sso.example.com/realms/corp")
    html = client.get(LOGIN).content.decode()
    assert 'data-testid="oidc-login"' in html and 'name="password"' not in html
    # LDAP passwords are not local ones: with LDAP on, the form stays for them.
    settings.LDAP_SERVER_URI = "ldap://127.0.0.1:9"
    assert 'name="password"' in client.get(LOGIN).content.decode()


def _settings_from_environment(**environ: str) -> dict:
    """config/settings.py run in a fresh interpreter with this environment: its sign-in settings."""
    code = (
        "import json; from config import settings as s; "
        "print(json.dumps({'backends': s.AUTHENTICATION_BACKENDS, 'local': s.LOCAL_LOGIN, 'issuer': s.OIDC_ISSUER}))"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OIDC_", "LDAP_")) and k != "LOCAL_LOGIN"}
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env={**env, **environ}, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_settings_wire_the_backends_from_the_environment():
    plain = _settings_from_environment()
    assert plain["backends"] == ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
    assert plain["local"] is True and plain["issuer"] == ""

    company = _settings_from_environment(
        OIDC_ISSUER="https://sso.example.com/realms/corp/", OIDC_CLIENT_ID="concord", OIDC_CLIENT_SECRET="s3cret",
        LOCAL_LOGIN="0",
    )  # fmt: skip
    assert company["issuer"] == "https://sso.example.com/realms/corp"
    assert company["local"] is False
    assert company["backends"][0] == "axes.backends.AxesStandaloneBackend"  # still first
    assert oidc.BACKEND in company["backends"]
    assert "django.contrib.auth.backends.ModelBackend" not in company["backends"]
    assert "teams.oidc.PermissionsOnlyBackend" in company["backends"]


def test_an_issuer_without_client_credentials_is_a_configuration_error():
    code = "import config.settings"
    env = {k: v for k, v in os.environ.items() if not k.startswith("OIDC_")}
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**env, "OIDC_ISSUER": "https://sso.example.com"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "OIDC_CLIENT_ID and OIDC_CLIENT_SECRET must be set" in result.stderr


def test_discovery_is_fetched_once_and_checked(configured, settings):
    document = oidc.discovery_document(configured.issuer)
    assert document["issuer"] == configured.issuer
    assert oidc.discovery_document(configured.issuer) is document  # kept
    found = oidc.endpoints()
    assert found.token == f"{configured.issuer}/token/" and found.jwks.endswith("/jwks.json")
    settings.OIDC_OP_AUTHORIZATION_ENDPOINT = "https://elsewhere.example/authorize"
    assert oidc.endpoints().authorization == "https://elsewhere.example/authorize"
    # The same provider reached under another name says its issuer is 127.0.0.1's: refused.
    with pytest.raises(oidc.ProviderUnavailable, match="another issuer"):
        oidc.discovery_document(configured.issuer.replace("127.0.0.1", "localhost"))


def test_id_tokens_are_checked_for_signature_issuer_and_audience(configured):
    """Tokens signed here with the provider's own key (so the JWKS check passes) but wrong in one way each."""
    import jwt
    from django.core.exceptions import SuspiciousOperation
    from jwcrypto.jwk import JWK

    pem = (configured.database.parent / "signing-key.pem").read_bytes()
    kid = JWK.from_pem(pem).thumbprint()
    now = int(time.time())
    good = {"iss": configured.issuer, "aud": CLIENT_ID, "sub": "1", "nonce": "n", "iat": now, "exp": now + 300}

    def token(key=pem, algorithm="RS256", **changes):
        return jwt.encode({**good, **changes}, key, algorithm=algorithm, headers={"kid": kid})

    backend = oidc.ConcordOIDCBackend()
    backend.OIDC_OP_JWKS_ENDPOINT = oidc.endpoints().jwks
    assert backend.verify_token(token(), nonce="n")["sub"] == "1"
    assert backend.verify_token(token(aud=["other", CLIENT_ID]), nonce="n")["sub"] == "1"
    for bad in (
        token(aud="another-client"),
        token(iss="https://impostor.example"),
        token(exp=now - 60),
        token(key=CLIENT_SECRET * 2, algorithm="HS256"),  # an HMAC-signed token: not the RS256 asked for
    ):
        with pytest.raises((SuspiciousOperation, jwt.PyJWTError)):
            backend.verify_token(bad, nonce="n")
    with pytest.raises(SuspiciousOperation):
        backend.verify_token(token(), nonce="another")
