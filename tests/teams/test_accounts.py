"""Login, logout, password change, language switch and profile — the pages every user meets first."""

from __future__ import annotations

import pytest

from tests.factories import UserFactory, message_for

pytestmark = pytest.mark.django_db


def test_pages_need_login(client):
    for path in ("/", "/inbox/", "/teams/", "/profile/"):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"].startswith("/accounts/login/?next="), path


def test_login_and_logout(client):
    UserFactory(username="alice")
    response = client.post("/accounts/login/", {"username": "alice", "password": "pw-for-tests"})
    assert response.status_code == 302
    assert client.get("/").status_code == 200
    assert client.get("/accounts/logout/").status_code == 405  # logout is POST only
    assert client.post("/accounts/logout/").status_code == 302
    assert client.get("/").status_code == 302


def test_wrong_password_shows_a_message(client):
    UserFactory(username="alice")
    response = client.post("/accounts/login/", {"username": "alice", "password": "wrong"})
    assert response.status_code == 200
    assert "Please enter a correct username and password" in response.content.decode()


def test_demo_accounts_are_listed_only_in_demo_mode(client, settings):
    settings.DEMO_MODE = False
    assert "concord-demo" not in client.get("/accounts/login/").content.decode()
    settings.DEMO_MODE = True
    html = client.get("/accounts/login/").content.decode()
    assert "concord-demo" in html
    assert "<code>outsider</code>" in html


def test_password_change(client):
    user = UserFactory(username="alice")
    client.force_login(user)
    bad = client.post("/accounts/password_change/", {"old_password": "x", "new_password1": "a", "new_password2": "b"})
    assert bad.status_code == 200
    assert "Your old password was entered incorrectly" in bad.content.decode()
    good = client.post(
        "/accounts/password_change/",
        {"old_password": "pw-for-tests", "new_password1": "Campaign-2027!", "new_password2": "Campaign-2027!"},
    )
    assert good.status_code == 302
    user.refresh_from_db()
    assert user.check_password("Campaign-2027!")


def test_language_switch_is_stored_on_the_profile_and_used_next_time(client):
    user = UserFactory(username="alice")
    client.force_login(user)
    response = client.post("/language/", {"language": "zh-hans", "next": "/teams/"})
    assert response.status_code == 302
    assert response["Location"] == "/teams/"
    user.refresh_from_db()
    assert user.language == "zh-hans"
    client.cookies.clear()
    client.force_login(user)
    assert 'lang="zh-hans"' in client.get("/").content.decode()


def test_language_switch_refuses_unknown_languages_and_foreign_redirects(client):
    user = UserFactory(username="alice")
    client.force_login(user)
    response = client.post("/language/", {"language": "xx", "next": "https://evil.example/"})
    assert response["Location"] == "/"
    user.refresh_from_db()
    assert user.language == "en"


def test_anonymous_visitors_can_switch_language_on_the_login_page(client):
    response = client.post("/language/", {"language": "zh-hans", "next": "/accounts/login/"})
    assert response.status_code == 302
    assert 'lang="zh-hans"' in client.get("/accounts/login/").content.decode()


def test_profile_form_reports_bad_time_zone(client):
    user = UserFactory(username="alice")
    client.force_login(user)
    response = client.post(
        "/profile/", {"display_name": "A", "email": "a@example.com", "language": "en", "time_zone": "Nowhere/City"}
    )
    assert response.status_code == 400
    assert "is not a known time zone" in response.content.decode()
    user.refresh_from_db()
    assert user.time_zone == "Asia/Shanghai"


def test_error_pages_are_styled(client, settings):
    user = UserFactory(username="alice")
    client.force_login(user)
    html = client.get("/teams/999999/").content.decode()
    assert "Page not found" in html
    assert "bootstrap.min.css" in html


def test_home_query_count_is_constant(client, cast, django_assert_max_num_queries):
    from tests.factories import MembershipFactory, TeamFactory

    client.force_login(cast.lead)
    for i in range(15):
        MembershipFactory(team=TeamFactory(code=f"extra-{i}"), user=cast.lead)
    # The home lists tasks, alerts, sign-offs, meetings and action items too (one query each; tests/core/test_home.py
    # shows the count stays the same with 10x the data).
    with django_assert_max_num_queries(14):
        assert client.get("/").status_code == 200
    with django_assert_max_num_queries(8):
        assert client.get("/teams/").status_code == 200


def test_times_are_shown_in_the_users_own_time_zone(client):
    import datetime as dt

    import time_machine

    from core.models import NotificationVerb
    from core.services.notifications import notify

    user = UserFactory(username="alice", time_zone="Europe/London")
    with time_machine.travel(dt.datetime(2027, 3, 8, 1, 30, tzinfo=dt.UTC), tick=False):
        notify(recipients=[user], message=message_for(NotificationVerb.RISK_ALERT, "x"), email=False)
    client.force_login(user)
    assert 'datetime="2027-03-08T01:30:00+00:00"' in client.get("/inbox/").content.decode()
    user.time_zone = "Asia/Shanghai"
    user.save()
    assert 'datetime="2027-03-08T09:30:00+08:00"' in client.get("/inbox/").content.decode()


def test_login_form_keeps_djangos_widget_attributes(client):
    html = client.get("/accounts/login/").content.decode()
    assert 'autocapitalize="none"' in html
    assert "autofocus" in html
    assert 'maxlength="150"' in html
