"""The page cache (core/pagecache.py): a logged-in GET answered again without its queries, and never once anything
it read has been written — by the ORM, raw SQL, ``copy_rows``, another transaction's commit — or the credential
behind it is gone; what is never kept (other sessions, POSTs, pages that wrote, one-time messages, HTMX partials
mixed with full pages); the versions in a real Redis."""

from __future__ import annotations

import threading

import pytest
from django.conf import settings
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from knox.models import AuthToken

from core import pagecache
from core.bulk import copy_rows
from risks.models import Risk
from tests.factories import RiskFactory

pytestmark = pytest.mark.django_db

CSRF = "a" * 32  # a browser's CSRF cookie (a page is only kept for a browser that has one)
HIT_QUERIES = 2  # the session and its user, loaded as on every request; nothing of the page


def get(client, path, **headers):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path, **headers)
    return response, len(queries)


@pytest.fixture
def lead_client(client, cast, campaign):
    RiskFactory(campaign=campaign, title="Venue cancels")
    client.force_login(cast.lead)
    client.cookies[settings.CSRF_COOKIE_NAME] = CSRF
    return client


def test_a_second_look_is_answered_from_the_cache_with_the_same_page(lead_client):
    first, fresh = get(lead_client, "/risks/")
    second, cached = get(lead_client, "/risks/")
    assert first.status_code == second.status_code == 200
    assert fresh > HIT_QUERIES
    assert cached == HIT_QUERIES
    assert second.content == first.content
    assert second["Content-Type"] == first["Content-Type"]
    assert "Content-Security-Policy" in second  # the outer middleware still runs on a cached answer


def test_an_orm_write_is_seen_at_once(lead_client, campaign):
    get(lead_client, "/risks/")
    RiskFactory(campaign=campaign, title="Printer late")
    response, queries = get(lead_client, "/risks/")
    assert "Printer late" in response.content.decode()
    assert queries > HIT_QUERIES


def test_a_queryset_update_and_raw_sql_are_seen(lead_client):
    get(lead_client, "/risks/")
    Risk.objects.update(title="Renamed by update")
    assert "Renamed by update" in get(lead_client, "/risks/")[0].content.decode()
    with connection.cursor() as cursor:
        cursor.execute("UPDATE risks_risk SET title = %s", ["Renamed by raw SQL"])
    assert "Renamed by raw SQL" in get(lead_client, "/risks/")[0].content.decode()


def test_copy_rows_is_seen(lead_client, cast):
    from core.models import Notification

    get(lead_client, "/")
    before = pagecache.versions.current(["core_notification"])
    copy_rows(Notification, ["recipient_id", "verb", "params", "created_at", "email_sent"], [])  # nothing: no bump
    assert pagecache.versions.current(["core_notification"]) == before
    pagecache.wrote("core_notification")
    assert pagecache.versions.current(["core_notification"])[0] > before[0]


def test_another_session_of_the_same_user_does_not_share_the_page(lead_client, cast):
    get(lead_client, "/risks/")
    other = Client()
    other.force_login(cast.lead)
    other.cookies[settings.CSRF_COOKIE_NAME] = CSRF
    _response, queries = get(other, "/risks/")
    assert queries > HIT_QUERIES  # its CSRF token is its own


def test_an_htmx_partial_and_the_full_page_are_kept_apart(lead_client):
    full, _ = get(lead_client, "/risks/")
    partial, queries = get(lead_client, "/risks/", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="risk-table")
    assert queries > HIT_QUERIES
    again, _ = get(lead_client, "/risks/")
    assert again.content == full.content


def test_query_strings_and_languages_are_kept_apart(lead_client, cast):
    get(lead_client, "/risks/")
    _response, queries = get(lead_client, "/risks/?level=red")
    assert queries > HIT_QUERIES
    cast.lead.language = "zh-hans"
    cast.lead.save(update_fields=["language"])
    response, queries = get(lead_client, "/risks/")
    assert queries > HIT_QUERIES
    assert response["Content-Language"] == "zh-hans"


def test_a_waiting_message_is_shown_not_a_cached_page(lead_client, cast, rf):
    from django.contrib.messages.storage.fallback import FallbackStorage
    from django.contrib.sessions.backends.db import SessionStore

    get(lead_client, "/risks/")
    request = rf.get("/risks/")
    request.COOKIES[settings.CSRF_COOKIE_NAME] = CSRF
    request.user = cast.lead
    request.session = lead_client.session
    assert isinstance(request.session, SessionStore)
    request.LANGUAGE_CODE = "en"
    request._messages = FallbackStorage(request)
    assert pagecache._plan(request) is not None  # the same request with nothing waiting may be answered
    request._messages.add(25, "Saved.")
    assert pagecache._plan(request) is None
    # Through the client: a message queued by one request is shown by the next page, cached or not.
    lead_client.post("/profile/", {"language": "en", "time_zone": "Asia/Shanghai"})
    shown = lead_client.get("/risks/")
    assert "Your profile was saved." in shown.content.decode()
    again = lead_client.get("/risks/")
    assert "Your profile was saved." not in again.content.decode()


def test_without_the_csrf_cookie_nothing_is_kept(lead_client):
    del lead_client.cookies[settings.CSRF_COOKIE_NAME]
    get(lead_client, "/risks/")
    del lead_client.cookies[settings.CSRF_COOKIE_NAME]  # the page set one; this browser drops it again
    _response, queries = get(lead_client, "/risks/")
    assert queries > HIT_QUERIES
    lead_client.cookies[settings.CSRF_COOKIE_NAME] = "b" * 32
    get(lead_client, "/risks/")
    _response, queries = get(lead_client, "/risks/")
    assert queries == HIT_QUERIES
    lead_client.cookies[settings.CSRF_COOKIE_NAME] = "c" * 32  # another cookie: another key
    _response, queries = get(lead_client, "/risks/")
    assert queries > HIT_QUERIES


def test_what_the_session_holds_is_part_of_the_key(lead_client):
    get(lead_client, "/risks/")
    assert get(lead_client, "/risks/")[1] == HIT_QUERIES
    session = lead_client.session
    session["seen_banner"] = True
    session.save()
    assert get(lead_client, "/risks/")[1] > HIT_QUERIES


def test_logout_and_deactivation_are_never_answered_from_the_cache(lead_client, cast):
    get(lead_client, "/risks/")
    get(lead_client, "/risks/")
    lead_client.post("/accounts/logout/")
    response = lead_client.get("/risks/")
    assert response.status_code == 302 and "/login" in response["Location"]


def test_api_token_answers_are_cached_per_token_and_end_with_the_token(client, cast, campaign):
    RiskFactory(campaign=campaign, title="API risk")
    instance, token = AuthToken.objects.create(user=cast.lead)
    headers = {"HTTP_AUTHORIZATION": f"Token {token}", "HTTP_ACCEPT": "application/json"}
    first, fresh = get(client, "/api/v1/risks/", **headers)
    second, cached = get(client, "/api/v1/risks/", **headers)
    assert first.status_code == second.status_code == 200
    assert second.content == first.content
    assert cached < fresh and cached <= 2  # the token (with its user) and nothing else
    instance.delete()
    third, _ = get(client, "/api/v1/risks/", **headers)
    assert third.status_code == 401


def test_a_get_that_writes_is_not_kept(lead_client, monkeypatch):
    calls = []
    real = pagecache._cacheable

    def spy(request, response, reads):
        calls.append(reads.uncacheable)
        return real(request, response, reads)

    monkeypatch.setattr(pagecache, "_cacheable", spy)
    get(lead_client, "/risks/")
    assert calls == [False]
    reads = pagecache._Reads()
    token = pagecache._reading.set(reads)
    try:
        with connection.cursor() as cursor:
            cursor.execute("UPDATE risks_risk SET title = title")
    finally:
        pagecache._reading.reset(token)
    assert reads.uncacheable


def test_a_post_is_never_answered_from_the_cache(lead_client):
    get(lead_client, "/risks/")
    _response, queries = get(lead_client, "/risks/")
    assert queries == HIT_QUERIES
    assert lead_client.post("/risks/", {}).status_code == 405  # the view said so, not the cache


@pytest.mark.parametrize(
    ("sql", "write", "tables"),
    [
        ('SELECT "risks_risk"."id" FROM "risks_risk" WHERE "risks_risk"."campaign_id" = %s', False, {"risks_risk"}),
        ('UPDATE "risks_risk" SET "title" = %s', True, {"risks_risk"}),
        ("  insert into core_notification (verb) values (%s)", True, {"core_notification"}),
        ("WITH up AS (INSERT INTO members_member (x) SELECT 1) SELECT count(*) FROM up", True, {"members_member"}),
        ("DELETE FROM risks_riskreview WHERE id = ANY(%s)", True, {"risks_riskreview"}),
        ("TRUNCATE member_import_stage", True, set()),  # a temp table: nothing a page reads
        ('SELECT 1 FROM "knox_authtoken" WHERE "knox_authtoken"."token_key" = %s', False, set()),
        ('UPDATE "teams_user" SET "last_login" = %s WHERE "teams_user"."id" = %s', True, set()),
        ('UPDATE "teams_user" SET "language" = %s WHERE "teams_user"."id" = %s', True, {"teams_user"}),
        ("SAVEPOINT s1", False, set()),
        ('UPDATE "core_notification" SET "email_sent_at" = %s WHERE "core_notification"."id" IN (%s, %s)', True, set()),
        (
            'UPDATE "core_notification" SET "read_at" = %s WHERE "core_notification"."id" IN (%s)',
            True,
            {"core_notification"},
        ),
    ],
)
def test_statements_are_read_as_reads_or_writes_of_their_tables(sql, write, tables):
    assert pagecache.classify(sql) == (write, frozenset(tables))


@pytest.mark.django_db(transaction=True)
def test_a_transaction_bumps_again_when_it_commits_and_a_rollback_does_not():
    table = ["risks_risk"]
    start = pagecache.versions.current(table)[0]

    def write(commit: bool) -> None:
        pagecache.reset_scope()
        try:
            with transaction.atomic():
                with connection.cursor() as cursor:
                    cursor.execute("UPDATE risks_risk SET title = title")
                assert pagecache.versions.current(table)[0] == start_of[0] + 1  # at once, for same-transaction readers
                if not commit:
                    raise RuntimeError
        except RuntimeError:
            pass
        finally:
            connection.close()

    start_of = [start]
    thread = threading.Thread(target=write, args=(True,))
    thread.start()
    thread.join()
    assert pagecache.versions.current(table)[0] == start + 2  # and again after the commit
    start_of = [start + 2]
    thread = threading.Thread(target=write, args=(False,))
    thread.start()
    thread.join()
    assert pagecache.versions.current(table)[0] == start + 3  # rolled back: no commit bump


def test_versions_in_redis_survive_processes_and_restart_from_a_random_epoch(redis_service, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "core.resilience.ResilientRedisCache",
            "LOCATION": redis_service,
            "KEY_PREFIX": "concord-test-pagecache",
        }
    }
    from django.core.cache import cache

    store = pagecache._Versions()
    redis, key = store._redis()
    assert redis is not None
    redis.delete(key)
    first = store.snapshot()
    assert first[pagecache.GLOBAL] > 0  # a random epoch, not 0
    store.bump(["risks_risk"])
    assert store.current(["risks_risk", pagecache.GLOBAL]) == [1, first[pagecache.GLOBAL]]
    redis.delete(key)  # evicted or flushed: the entries stored before can never match again
    second = store.snapshot()
    assert second[pagecache.GLOBAL] != first[pagecache.GLOBAL]
    redis.delete(key)
    scoped = store._hash(key, pagecache.SCOPED_EPOCH)
    redis.delete(scoped)
    store.bump(["core_notification@7"])
    assert store.current(["core_notification@7", pagecache.SCOPED_EPOCH]) == [1, 0]
    store.start_scoped_epoch()
    epoch = store.current([pagecache.SCOPED_EPOCH])[0]
    assert epoch > 0  # the scoped hash's own random start, checked with every scoped read
    redis.delete(scoped)
    store.start_scoped_epoch()
    assert store.current([pagecache.SCOPED_EPOCH])[0] != epoch
    redis.delete(scoped)
    cache.close()


def test_the_columns_pages_are_not_told_about_are_shown_by_no_page():
    """``UNSEEN_COLUMNS`` are updated without invalidating pages: no template, serializer or view may show them."""
    from pathlib import Path

    root = Path(settings.BASE_DIR)
    shown, paths = [], []
    for path in [*root.glob("*/templates/**/*.html"), *root.glob("templates/**/*.html"), *root.glob("*/api/*.py"),
                 *root.glob("*/serializers*.py"), *root.glob("*/views*.py"), *root.glob("*/views/*.py")]:  # fmt: skip
        paths.append(path)
        text = path.read_text(encoding="utf-8")
        shown += [
            f"{path.relative_to(root)}: {column}" for column in pagecache.UNSEEN_COLUMNS.values() if column in text
        ]
    assert len(paths) > 100  # the templates, serializers and views were found
    assert shown == []


def test_the_outbox_marking_notices_sent_is_an_unseen_update(cast):
    """The statement the outbox really sends (core.services.notifications) is the one recognised."""
    from core.models import Notification

    notes = [Notification.objects.create(recipient=cast.lead, verb="x", message="x", params={}) for _ in range(3)]
    sent = []

    def capture(execute, sql, params, many, context):
        sent.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(capture):
        Notification.objects.filter(pk__in=[n.pk for n in notes]).update(email_sent_at=notes[0].created_at)
        Notification.objects.filter(pk__in=[n.pk for n in notes]).update(read_at=notes[0].created_at)
    assert pagecache.classify(sent[0]) == (True, frozenset())
    assert pagecache.classify(sent[1]) == (True, frozenset({"core_notification"}))


# --- notices: a page depends on its own user's only --------------------------------------------------------------


def _badge(response) -> str:
    import re

    return re.search(r'id="unread-badge"[^>]*data-count="(\d+)"', response.content.decode()).group(1)


def test_a_notice_for_someone_else_keeps_the_page_and_one_for_me_refreshes_it(lead_client, cast):
    from core.models import NotificationVerb
    from core.services.notifications import NotificationRow, notification_mark_read, notify, notify_rows
    from tests.factories import message_for

    message = message_for(NotificationVerb.RISK_ALERT, "Alert")
    first, _ = get(lead_client, "/risks/")
    before = _badge(first)
    notify(recipients=[cast.deputy], message=message, email=False)  # bulk_create, declared
    notify_rows([NotificationRow(recipient_id=cast.deputy.pk, language="en", message=message, params={})])  # COPY
    notification_mark_read(user=cast.deputy)
    response, queries = get(lead_client, "/risks/")
    assert queries == HIT_QUERIES and _badge(response) == before
    notify(recipients=[cast.lead], message=message, email=False)
    response, queries = get(lead_client, "/risks/")
    assert queries > HIT_QUERIES and int(_badge(response)) == int(before) + 1
    get(lead_client, "/risks/")
    notification_mark_read(user=cast.lead)
    response, queries = get(lead_client, "/risks/")
    assert queries > HIT_QUERIES and _badge(response) == "0"


def test_a_notice_write_that_does_not_say_whose_refreshes_every_page(lead_client, cast):
    from core.models import Notification

    get(lead_client, "/risks/")
    Notification.objects.create(recipient=cast.deputy, verb="x", message="x", params={})  # not declared: all scopes
    _response, queries = get(lead_client, "/risks/")
    assert queries > HIT_QUERIES
    get(lead_client, "/")
    assert get(lead_client, "/")[1] == HIT_QUERIES
    Notification.objects.filter(recipient=cast.deputy).update(resolved_at=None)
    assert get(lead_client, "/")[1] > HIT_QUERIES


def test_the_home_page_inbox_panel_follows_my_notices(lead_client, cast):
    from core.models import NotificationVerb
    from core.services.notifications import notify
    from tests.factories import message_for

    get(lead_client, "/")
    assert get(lead_client, "/")[1] == HIT_QUERIES
    notify(recipients=[cast.deputy], message=message_for(NotificationVerb.RISK_ALERT, "Not mine"), email=False)
    assert get(lead_client, "/")[1] == HIT_QUERIES
    notify(recipients=[cast.lead], message=message_for(NotificationVerb.RISK_ALERT, "Mine now"), email=False)
    response, queries = get(lead_client, "/")
    assert queries > HIT_QUERIES and "Mine now" in response.content.decode()


# --- Shared parts: the same HTML for readers alike ------------------------------------------------------------------


def test_shared_parts_are_kept_per_audience_until_a_table_they_read_changes(rf, cast, settings):
    from django.middleware.csrf import _unmask_cipher_token, get_token

    from teams.models import Team

    settings.PAGE_CACHE = True
    built = []

    def build(csrf_token: str) -> dict[str, str]:
        built.append(csrf_token)
        return {"teams": str(Team.objects.count()), "form": f'<input value="{csrf_token}">'}

    request = rf.get("/")
    pagecache.reset_scope()  # a request's start: nothing written yet
    first = pagecache.shared_parts(request, "t", ("a",), build)
    again = pagecache.shared_parts(request, "t", ("a",), build)
    assert len(built) == 1 and first["teams"] == again["teams"]
    token = first["form"].split('"')[1]  # the reader's own token (masked afresh each time), never the placeholder
    get_token(request)
    assert _unmask_cipher_token(token) == request.META["CSRF_COOKIE"]
    assert built[0] == pagecache.csrf_placeholder() and built[0] not in first["form"]
    pagecache.shared_parts(request, "t", ("b",), build)  # another audience: built for it
    pagecache.shared_parts(request, "other", ("a",), build)  # another part: built for it
    assert len(built) == 3
    Team.objects.create(name="New", code="new-team")  # a table the parts read changed
    pagecache.reset_scope()  # the next request (the write above belonged to an earlier one)
    fresh = pagecache.shared_parts(request, "t", ("a",), build)
    assert len(built) == 4 and fresh["teams"] == str(int(first["teams"]) + 1)


def test_shared_parts_built_after_an_uncommitted_write_of_the_request_are_not_kept(rf, cast, settings):
    from teams.models import Team

    settings.PAGE_CACHE = True
    built = []

    def build(csrf_token: str) -> dict[str, str]:
        built.append(1)
        return {"teams": str(Team.objects.count())}

    request = rf.post("/")
    pagecache.reset_scope()
    with transaction.atomic():
        Team.objects.create(name="Maybe", code="maybe")  # could still roll back
        pagecache.shared_parts(request, "t", ("c",), build)
        pagecache.shared_parts(request, "t", ("c",), build)
    assert len(built) == 2
