"""Hardening (SPEC 8 Security): login throttling on the login page and the token endpoint, the
Content-Security-Policy and the other security headers, and what production variables turn on."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from axes.models import AccessAttempt
from django.test import Client
from django.utils import timezone
from rest_framework.throttling import ScopedRateThrottle

from tests.config.test_settings import PRODUCTION, run_manage
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
TOKEN = "/api/v1/auth/token/"
PASSWORD = "pw-for-tests"
LOCKED = "Too many failed login attempts"


def fail(client: Client, username: str, times: int) -> None:
    """``times`` failed logins; the ones before the limit show the form again with Django's message."""
    for n in range(1, times + 1):
        response = client.post(LOGIN, {"username": username, "password": "wrong"})
        assert response.status_code == (429 if n >= 5 else 200)


def test_five_failures_lock_the_username_on_this_address_with_a_clear_message(client):
    UserFactory(username="alice")
    fail(client, "alice", 4)
    response = client.post(LOGIN, {"username": "alice", "password": "wrong"})  # the fifth failure locks
    assert response.status_code == 429
    html = response.content.decode()
    assert LOCKED in html and "15 minutes" in html
    assert 'name="username"' in html  # still the login page, not a bare text
    # Locked: the right password does not help now.
    locked = client.post(LOGIN, {"username": "alice", "password": PASSWORD})
    assert locked.status_code == 429
    assert LOCKED in locked.content.decode()
    assert client.get("/").status_code == 302  # not logged in


def test_the_lock_is_per_username_and_address(client):
    UserFactory(username="alice")
    UserFactory(username="bob")
    fail(client, "alice", 5)
    assert client.post(LOGIN, {"username": "bob", "password": PASSWORD}).status_code == 302
    elsewhere = Client(REMOTE_ADDR="198.51.100.20")
    assert elsewhere.post(LOGIN, {"username": "alice", "password": PASSWORD}).status_code == 302


def test_the_lock_ends_after_the_cool_off_and_a_success_resets_the_count(client):
    UserFactory(username="alice")
    fail(client, "alice", 5)
    assert client.post(LOGIN, {"username": "alice", "password": PASSWORD}).status_code == 429
    AccessAttempt.objects.update(attempt_time=timezone.now() - dt.timedelta(minutes=16))
    assert client.post(LOGIN, {"username": "alice", "password": PASSWORD}).status_code == 302
    client.post("/accounts/logout/")
    # The success reset the count: four more failures do not lock.
    fail(client, "alice", 4)
    assert client.post(LOGIN, {"username": "alice", "password": PASSWORD}).status_code == 302


def test_a_lower_limit_and_a_shorter_lock_are_honoured(client, settings):
    settings.AXES_FAILURE_LIMIT = 2
    settings.AXES_COOLOFF_TIME = dt.timedelta(minutes=1)
    UserFactory(username="alice")
    fail(client, "alice", 1)
    response = client.post(LOGIN, {"username": "alice", "password": "wrong"})
    assert response.status_code == 429
    assert "locked for 1 minute on" in response.content.decode()


def test_the_token_endpoint_counts_towards_the_same_lock_and_says_so():
    UserFactory(username="alice")
    api = Client()
    for _ in range(4):
        response = api.post(TOKEN, {"username": "alice", "password": "wrong"}, content_type="application/json")
        assert response.status_code == 400
    fifth = api.post(TOKEN, {"username": "alice", "password": "wrong"}, content_type="application/json")
    assert fifth.status_code == 429
    assert fifth["Content-Type"].startswith("application/json")
    assert LOCKED in fifth.json()["detail"]
    right = api.post(TOKEN, {"username": "alice", "password": PASSWORD}, content_type="application/json")
    assert right.status_code == 429
    assert "token" not in right.json()
    # The browser login from the same address is locked too.
    assert api.post(LOGIN, {"username": "alice", "password": PASSWORD}).status_code == 429


def test_the_token_endpoint_is_rate_limited_per_address(monkeypatch):
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {"auth": "3/minute"})
    UserFactory(username="alice")
    client = Client(REMOTE_ADDR="203.0.113.99")
    statuses = [
        client.post(TOKEN, {"username": f"user{n}", "password": "x"}, content_type="application/json").status_code
        for n in range(4)
    ]
    assert statuses == [400, 400, 400, 429]
    other = Client(REMOTE_ADDR="203.0.113.100")
    ok = other.post(TOKEN, {"username": "alice", "password": PASSWORD}, content_type="application/json")
    assert ok.status_code == 200 and ok.json()["token"]


def test_pages_carry_the_content_security_policy_and_the_security_headers(client):
    client.force_login(UserFactory(username="alice"))
    response = client.get("/")
    policy = response["Content-Security-Policy"]
    directives = {part.split()[0]: part.split()[1:] for part in policy.split("; ")}
    assert directives["default-src"] == ["'self'"]
    assert directives["script-src"][0] == "'self'" and "'unsafe-inline'" not in directives["script-src"]
    assert directives["style-src"][0] == "'self'" and "'unsafe-inline'" not in directives["style-src"]
    assert directives["img-src"] == ["'self'", "data:"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert "style-src-attr" not in directives
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    # The login page and the API too.
    assert Client().get(LOGIN)["Content-Security-Policy"] == policy
    assert client.get("/api/v1/me/")["Content-Security-Policy"] == policy


def test_only_the_gantt_page_allows_style_attributes(client):
    from campaigns.services import campaign_create
    from core.roles import TeamRole
    from tests.factories import MembershipFactory, TeamFactory

    lead = UserFactory(username="lead")
    team = TeamFactory()
    MembershipFactory(team=team, user=lead, role=TeamRole.LEAD)
    campaign = campaign_create(
        actor=lead, team=team, code="G-1", name="G", start_date=dt.date(2027, 1, 1), end_date=dt.date(2027, 2, 1)
    )
    client.force_login(lead)
    gantt = client.get(f"/campaigns/{campaign.pk}/timeline/")["Content-Security-Policy"]
    overview = client.get(f"/campaigns/{campaign.pk}/")["Content-Security-Policy"]
    assert "style-src-attr 'unsafe-inline'" in gantt
    assert gantt.replace("; style-src-attr 'unsafe-inline'", "") == overview
    assert "unsafe" not in overview


def test_report_only_mode(client, settings):
    settings.CSP_REPORT_ONLY = True
    response = Client().get(LOGIN)
    assert "Content-Security-Policy" not in response
    assert "default-src 'self'" in response["Content-Security-Policy-Report-Only"]


def test_swagger_ui_has_no_inline_script_or_style(client):
    client.force_login(UserFactory(username="alice"))
    html = client.get("/api/docs/").content.decode()
    assert "<style" not in html
    assert "<script>" not in html and "<script src=" in html
    script = client.get("/api/docs/?script=")
    assert script.status_code == 200 and "SwaggerUIBundle" in script.content.decode()


def production_settings(**extra: str) -> dict:
    code = (
        "import json; from django.conf import settings as s; print(json.dumps({k: str(getattr(s, k, None)) for k in "
        "['SESSION_COOKIE_SECURE', 'CSRF_COOKIE_SECURE', 'SECURE_SSL_REDIRECT', 'SECURE_HSTS_SECONDS', "
        "'SECURE_HSTS_INCLUDE_SUBDOMAINS', 'SECURE_PROXY_SSL_HEADER', 'AXES_FAILURE_LIMIT', 'AXES_COOLOFF_TIME', "
        "'CSP_REPORT_ONLY']} | {'NUM_PROXIES': str(s.REST_FRAMEWORK.get('NUM_PROXIES')), "
        "'TOKEN_RATE': s.REST_FRAMEWORK['DEFAULT_THROTTLE_RATES']['auth']}))"
    )
    result = run_manage("shell", "-c", code, env={**PRODUCTION, **extra})
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_production_variables_turn_on_secure_cookies_hsts_and_the_throttle():
    values = production_settings()
    assert values["SESSION_COOKIE_SECURE"] == "True"
    assert values["CSRF_COOKIE_SECURE"] == "True"
    assert values["SECURE_SSL_REDIRECT"] == "True"
    assert values["SECURE_HSTS_SECONDS"] == "31536000"
    assert values["SECURE_HSTS_INCLUDE_SUBDOMAINS"] == "True"
    assert values["SECURE_PROXY_SSL_HEADER"] == "None"
    assert values["AXES_FAILURE_LIMIT"] == "5"
    assert values["AXES_COOLOFF_TIME"] == "0:15:00"
    assert values["TOKEN_RATE"] == "30/minute"
    assert values["NUM_PROXIES"] == "None"
    tuned = production_settings(
        LOGIN_FAILURE_LIMIT="8", LOGIN_LOCKOUT_MINUTES="30", API_TOKEN_THROTTLE_RATE="5/minute", BEHIND_TLS_PROXY="1"
    )
    assert tuned["AXES_FAILURE_LIMIT"] == "8"
    assert tuned["AXES_COOLOFF_TIME"] == "0:30:00"
    assert tuned["TOKEN_RATE"] == "5/minute"
    assert tuned["NUM_PROXIES"] == "1"
    assert tuned["SECURE_PROXY_SSL_HEADER"] == "('HTTP_X_FORWARDED_PROTO', 'https')"


def test_behind_the_proxy_the_lock_uses_the_address_the_proxy_saw(client, settings):
    settings.BEHIND_TLS_PROXY = True
    UserFactory(username="alice")
    # A client forging X-Forwarded-For gets its forged entry ignored: the proxy appends the real one last.
    for n in range(5):
        client.post(LOGIN, {"username": "alice", "password": "wrong"}, HTTP_X_FORWARDED_FOR=f"10.0.0.{n}, 192.0.2.7")
    locked = client.post(LOGIN, {"username": "alice", "password": PASSWORD}, HTTP_X_FORWARDED_FOR="192.0.2.7")
    assert locked.status_code == 429
    other = client.post(LOGIN, {"username": "alice", "password": PASSWORD}, HTTP_X_FORWARDED_FOR="192.0.2.8")
    assert other.status_code == 302


def test_a_malformed_throttle_rate_stops_start_up_with_its_name():
    result = run_manage("check", env={**PRODUCTION, "API_TOKEN_THROTTLE_RATE": "lots"})
    assert result.returncode != 0
    assert "API_TOKEN_THROTTLE_RATE" in result.stderr
