"""Logged-in pages and API lists answered from a cache that every database write invalidates (issue 20).

A page costs 10–30 times the bare request cycle in queries and templates (README, "Where a page's time goes"),
while most requests ask again for a page nothing has changed since: a reload, the home page after a detail page,
an htmx poll, an API client's next sync. This middleware keeps the rendered response of a ``GET`` per
*credential* (session or API token) and request (host, path and query, language, time zone, local date,
``Accept`` and every ``HX-*`` header, the user's own row), together with the **versions of the database tables
the response read**; it serves it again only while none of those tables has been written to since.

How the versions stay exact
    Every database connection, in every process (web, Celery, management commands), runs its SQL through
    :func:`_track` (a Django execute wrapper, installed by ``connection_created``). A statement that writes
    (``INSERT``, ``UPDATE``, ``DELETE``, ``COPY``, DDL …) bumps the version of every Concord table it names:
    right after it commits (``transaction.on_commit``, or at once in autocommit), and also as soon as it has
    run, so a reader in the same transaction — the test suite's requests — sees the change too. A reader takes
    the versions *before* its view runs, so a write that commits while the page renders leaves the entry under
    versions that are already out of date: never served. ``copy_rows`` and the member import's ``COPY`` call
    :func:`wrote` themselves (psycopg's ``copy`` does not pass through Django's wrappers).

What is never cached
    Anything but a ``200`` ``GET`` answered in HTML or JSON; a request that wrote to the database (audit of a
    look at personal data, a notice marked read), published a task, changed its session, set a cookie or showed
    a one-time message; a request with messages waiting; anonymous requests; views marked
    :func:`never_page_cache`, DRF views with throttles (every call must count), the admin; responses with
    ``Cache-Control: no-store``.

Credentials are checked live on every request: the session and its user are loaded as on any page, and an API
token is looked up (expiry and active user included) before the cache is asked, so a logout, an expired or revoked
token or a deactivated account is never answered from it.

Limits, on purpose: an entry lives ``PAGE_CACHE_SECONDS`` at most (default 60), which bounds what no statement
announces — time passing (relative dates, today's lights; the local date is in the key), a write made outside
Concord (psql), a bump lost while Redis was unreachable (the process then bumps every table at its next chance).
The versions live in Redis (one hash), shared by every process; without Redis (``locmem``), only in one process,
so the cache is off by default unless ``REDIS_URL`` is set (``PAGE_CACHE``). The test suite runs with it on.

Shared parts (:func:`shared_parts`)
    A page is kept per user; parts of it that are the same for every reader with the same access (the campaign
    overview's panels, the task list's table, the timeline) are kept once per *audience*, under the same versions,
    rendered without the request, with each reader's CSRF token put in on the way out.
"""

from __future__ import annotations

import contextlib
import contextvars
import hashlib
import logging
import os
import re
import secrets
import threading
import time
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.urls import Resolver404, resolve
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

logger = logging.getLogger(__name__)

GLOBAL = "*"  # a version every entry depends on: bumped when settings change or a bump was lost
_MAX_BYTES = 2 * 1024 * 1024  # larger responses (exports) are not kept
_CACHEABLE_TYPES = ("text/html", "application/json")
# Response attributes that the outer middleware reads (core.middleware's CSP widening, X-Frame-Options).
_RESPONSE_ATTRS = ("csp_update", "xframe_options_exempt")
# Statements that only check a credential: reading them does not make a page depend on every token or session.
_CREDENTIAL_LOOKUPS = ('"knox_authtoken"."token_key" =', '"django_session"."session_key" =')
# Updates of columns no cached page shows, made often: every sign-in's ``update_last_login`` and the email outbox
# marking notices sent. They do not invalidate pages (tests/core/test_pagecache.py checks that no template or
# serializer shows either column).
UNSEEN_COLUMNS = {"teams_user": "last_login", "core_notification": "email_sent_at"}
_UNSEEN_UPDATES = (
    re.compile(r'^UPDATE "teams_user" SET "last_login" = %s WHERE "teams_user"\."id" = %s$'),
    re.compile(
        r'^UPDATE "core_notification" SET "email_sent_at" = %s WHERE "core_notification"\."id" IN \((%s, )*%s\)$'
    ),
)

_WRITE_START = re.compile(r"^\s*(INSERT|UPDATE|DELETE|MERGE|TRUNCATE|COPY|ALTER|DROP|CREATE|REPLACE)\b", re.I)
_WITH_WRITE = re.compile(r"^\s*WITH\b.*\b(INSERT|UPDATE|DELETE)\b", re.I | re.S)
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_NO_REDIS = object()
_FAILED = object()


# ---------------------------------------------------------------------------------------------------------------
# Which tables a statement reads or writes
# ---------------------------------------------------------------------------------------------------------------

_tables: frozenset[str] | None = None
_classified: dict[str, tuple[bool, frozenset[str]]] = {}


def known_tables() -> frozenset[str]:
    """Every table of an installed model (many-to-many tables included), lower case."""
    global _tables
    if _tables is None:
        _tables = frozenset(model._meta.db_table.lower() for model in apps.get_models(include_auto_created=True))
    return _tables


def classify(sql: str) -> tuple[bool, frozenset[str]]:
    """(does the statement write?, the Concord tables it names). Cached per statement text."""
    found = _classified.get(sql)
    if found is None:
        if any(pattern.match(sql) for pattern in _UNSEEN_UPDATES):
            found = (True, frozenset())
        else:
            write = bool(_WRITE_START.match(sql) or _WITH_WRITE.match(sql))
            if not write and any(marker in sql for marker in _CREDENTIAL_LOOKUPS):
                names: frozenset[str] = frozenset()
            else:
                names = frozenset(_IDENTIFIER.findall(sql.lower())) & known_tables()
            found = (write, names)
        if len(sql) <= 4096:  # not the long IN lists of set-wise jobs: they would only fill the memory
            if len(_classified) > 4096:
                _classified.clear()
            _classified[sql] = found
    return found


# ---------------------------------------------------------------------------------------------------------------
# Table versions: one Redis hash shared by every process (or a dict in this process without Redis)
# ---------------------------------------------------------------------------------------------------------------


class _Versions:
    def __init__(self) -> None:
        self._local: dict[str, int] = {}
        self._lock = threading.Lock()
        self._owed_global = False

    def _redis(self):
        client = getattr(cache, "_cache", None)
        if client is None or not hasattr(client, "get_client"):
            return None, None
        return client.get_client(None, write=True), cache.make_key("pagecache:versions")

    @staticmethod
    def _hash(key: str, name: str) -> str:
        """Scoped versions (``table@key``, one per user at most) live in a hash of their own, so the snapshot
        taken before each render reads only the tables' versions."""
        return key + ":scoped" if SCOPE_MARK in name else key

    def _call(self, work: Callable[[Any, str], Any]) -> Any:
        """``work(redis, key)``; ``_NO_REDIS`` without Redis, ``_FAILED`` when Redis failed (or failed lately)."""
        from core.resilience import cache_breaker

        redis, key = self._redis()
        if redis is None:
            return _NO_REDIS
        if cache_breaker.is_open:
            return _FAILED
        try:
            return work(redis, key)
        except Exception as exc:  # redis errors of every kind: the cache is optional, the breaker says so
            cache_breaker.trip(exc)
            return _FAILED

    def bump(self, tables: Iterable[str]) -> None:
        tables = set(tables)
        if self._owed_global:
            tables.add(GLOBAL)

        def work(redis, key):
            pipe = redis.pipeline(transaction=False)
            for table in tables:
                pipe.hincrby(self._hash(key, table), table, 1)
            pipe.execute()
            return True

        done = self._call(work)
        if done is _NO_REDIS:  # this process's own versions
            with self._lock:
                for table in tables:
                    self._local[table] = self._local.get(table, 0) + 1
        elif done is _FAILED:  # lost: once Redis answers again, every entry written before is out of date
            self._owed_global = True
            logger.warning(
                "Page cache: a version bump was lost (%s); every page is invalidated at the next one.",
                ", ".join(sorted(tables)),
            )
        else:
            self._owed_global = False

    def snapshot(self) -> dict[str, int] | None:
        """Every table's version now; None when the versions cannot be read (then nothing is cached)."""
        if self._owed_global:
            self.bump(())
            if self._owed_global:
                return None

        def work(redis, key):
            found = {name.decode(): int(value) for name, value in redis.hgetall(key).items()}
            if GLOBAL not in found:
                # A new (or evicted) hash starts from a random epoch, so an entry kept from before can never
                # match the restarted counters by chance.
                redis.hsetnx(key, GLOBAL, secrets.randbits(62))
                found = {name.decode(): int(value) for name, value in redis.hgetall(key).items()}
            return found

        found = self._call(work)
        if found is _NO_REDIS:
            with self._lock:
                return dict(self._local)
        return None if found is _FAILED else found

    def start_scoped_epoch(self) -> None:
        """Give a new (or evicted) scoped hash a random start."""

        def work(redis, key):
            redis.hsetnx(self._hash(key, SCOPED_EPOCH), SCOPED_EPOCH, secrets.randbits(62))

        if self._call(work) is _NO_REDIS:
            with self._lock:
                self._local.setdefault(SCOPED_EPOCH, secrets.randbits(62))

    def current(self, tables: list[str]) -> list[int] | None:
        """The versions of ``tables`` now; None when they cannot be read."""

        def work(redis, key):
            plain = [t for t in tables if SCOPE_MARK not in t]
            scoped = [t for t in tables if SCOPE_MARK in t]
            pipe = redis.pipeline(transaction=False)
            if plain:
                pipe.hmget(key, plain)
            if scoped:
                pipe.hmget(self._hash(key, scoped[0]), scoped)
            found = dict(zip(plain + scoped, [v for values in pipe.execute() for v in values], strict=True))
            return [int(found[t] or 0) for t in tables]

        found = self._call(work)
        if found is _NO_REDIS:
            with self._lock:
                return [self._local.get(table, 0) for table in tables]
        return None if found is _FAILED else found


versions = _Versions()


def wrote(*tables: str) -> None:
    """Say that ``tables`` were written outside Django's cursor (psycopg ``COPY``); same rules as a statement."""
    from django.db import connection

    _after_write(connection, _scoped_names(frozenset(t.lower() for t in tables)))


# ---------------------------------------------------------------------------------------------------------------
# The execute wrapper: what a request reads, what every statement writes
# ---------------------------------------------------------------------------------------------------------------


@dataclass
class _Reads:
    tables: set[str] = field(default_factory=set)
    scoped: dict[str, int] = field(default_factory=dict)  # scoped versions, read before their statement ran
    uncacheable: bool = False


# Tables whose readers may depend on a part of them only: a user's own notifications (the header badge on every
# page, the home page's inbox panel). Writes that say whose rows they touch (``writing_for``) bump only those
# users' versions; any other write to the table bumps every scope (``table@*``) — never too few.
SCOPED_TABLES = frozenset({"core_notification"})
SCOPE_MARK = "@"
# The scoped hash's own random start (as GLOBAL is the main hash's): evicted alone, its counters cannot match again.
SCOPED_EPOCH = f"{SCOPE_MARK}epoch"
_read_scope: contextvars.ContextVar[dict[str, Any] | None] = contextvars.ContextVar("pagecache_read", default=None)
_write_scope: contextvars.ContextVar[dict[str, frozenset] | None] = contextvars.ContextVar(
    "pagecache_write", default=None
)


@contextlib.contextmanager
def reading_own(table: str, key: Any):
    """The statements inside read only the rows of ``table`` that belong to ``key`` (e.g. the user's id)."""
    token = _read_scope.set({**(_read_scope.get() or {}), table: key})
    try:
        yield
    finally:
        _read_scope.reset(token)


@contextlib.contextmanager
def writing_for(table: str, keys: Iterable[Any]):
    """The statements inside write only rows of ``table`` that belong to ``keys`` (say it only when certain)."""
    token = _write_scope.set({**(_write_scope.get() or {}), table: frozenset(keys)})
    try:
        yield
    finally:
        _write_scope.reset(token)


def _scoped_names(tables: frozenset[str]) -> frozenset[str]:
    """What a write of ``tables`` bumps: the tables, and for scoped tables the scopes it touched (or all)."""
    touched = tables & SCOPED_TABLES
    if not touched:
        return tables
    declared = _write_scope.get() or {}
    names = set(tables)
    for table in touched:
        keys = declared.get(table)
        if keys is None:
            names.add(f"{table}{SCOPE_MARK}*")
        else:
            names.update(f"{table}{SCOPE_MARK}{key}" for key in keys)
    return frozenset(names)


_reading: contextvars.ContextVar[_Reads | None] = contextvars.ContextVar("pagecache_reading", default=None)
_scope = threading.local()  # tables bumped at once in this request or task (reset at each one's start and end)


def reset_scope(**_kwargs: Any) -> None:
    _scope.bumped = set()


def mark_uncacheable() -> None:
    """The current request did something a cached copy would not do again (a task published, a file read)."""
    reads = _reading.get()
    if reads is not None:
        reads.uncacheable = True


class _Pending:
    """The tables one transaction wrote, bumped once it commits."""

    def __init__(self) -> None:
        self.tables: set[str] = set()

    def __call__(self) -> None:
        versions.bump(self.tables)


def _after_write(connection: Any, tables: frozenset[str]) -> None:
    reads = _reading.get()
    if reads is not None:
        reads.uncacheable = True
    if not tables:
        return
    if not connection.in_atomic_block:  # autocommit: the statement has committed
        versions.bump(tables)
        return
    bumped = getattr(_scope, "bumped", None)
    if bumped is None:
        bumped = _scope.bumped = set()
    new = tables - bumped
    if new:
        versions.bump(new)
        bumped |= new
    pending = getattr(connection, "_pagecache_pending", None)
    if pending is None or not any(entry[1] is pending for entry in connection.run_on_commit):
        pending = _Pending()
        connection._pagecache_pending = pending
        connection.on_commit(pending)
    pending.tables |= tables


def _track(execute: Callable, sql: Any, params: Any, many: bool, context: dict) -> Any:
    text = sql if isinstance(sql, str) else str(sql)
    write, tables = classify(text)
    reads = None if write else _reading.get()
    if reads is not None and tables & SCOPED_TABLES:
        own = _read_scope.get() or {}
        for table in tables & SCOPED_TABLES:
            if table in own:  # this statement's reads of it depend on the scope, read before it runs
                tables = tables - {table}
                names = [f"{table}{SCOPE_MARK}{own[table]}", f"{table}{SCOPE_MARK}*", SCOPED_EPOCH]
                current = versions.current(names)
                if current is not None and not current[-1]:
                    versions.start_scoped_epoch()
                    current = versions.current(names)
                if current is None:
                    reads.uncacheable = True
                else:
                    for name, version in zip(names, current, strict=True):
                        reads.scoped.setdefault(name, version)
    result = execute(sql, params, many, context)
    if write:
        _after_write(context["connection"], _scoped_names(tables))
    elif reads is not None:
        reads.tables |= tables
    return result


def install(sender: Any = None, connection: Any = None, **_kwargs: Any) -> None:
    """``connection_created``: put :func:`_track` on the connection (once)."""
    if connection is not None and _track not in connection.execute_wrappers:
        connection.execute_wrappers.insert(0, _track)


def settings_changed(**_kwargs: Any) -> None:
    """A test changed settings: pages rendered under the old ones are out of date."""
    versions.bump((GLOBAL,))


# ---------------------------------------------------------------------------------------------------------------
# The middleware
# ---------------------------------------------------------------------------------------------------------------


def never_page_cache(view: Callable) -> Callable:
    """Mark a view whose answer depends on more than the database (or must run every time)."""
    view.page_cache = False
    return view


@dataclass
class _Plan:
    key: str
    match: Any
    language: str | None = None  # an API token user's profile language (their responses speak it)


def _plan(request: HttpRequest) -> _Plan | None:
    """The cache key of a request that may be answered from the cache, else None."""
    try:
        match = resolve(request.path_info)
    except Resolver404:
        return None
    view = match.func
    view_class = getattr(view, "cls", None)
    if getattr(view, "page_cache", True) is False or getattr(view_class, "page_cache", True) is False:
        return None
    if view_class is not None and getattr(view_class, "throttle_classes", None):
        return None
    if "admin" in match.namespaces:
        return None
    language = None
    header = request.META.get("HTTP_AUTHORIZATION", "")
    if header:
        found = _token_user(header)
        if found is None:
            return None
        user, credential = found
        if user.language in {code for code, _name in settings.LANGUAGES}:
            language = user.language
    else:
        user = getattr(request, "user", None)
        session = getattr(request, "session", None)
        if user is None or not user.is_authenticated or session is None or not session.session_key:
            return None
        # The page's CSRF token is masked from the browser's CSRF cookie: without that cookie (or with another one)
        # the same page would carry a token the browser cannot use.
        csrf = request.COOKIES.get(settings.CSRF_COOKIE_NAME)
        if not csrf:
            return None
        # And what the session holds (loaded already): no page reads it today, but one that did would differ by it.
        held = repr(sorted(session.items(), key=lambda item: item[0]))
        credential = f"s:{session.session_key}:{csrf}:{hashlib.blake2b(held.encode(), digest_size=16).hexdigest()}"
    storage = getattr(request, "_messages", None)
    if storage is not None and len(storage):
        return None
    parts = [
        _salt(),
        credential,
        repr(tuple(getattr(user, f.attname) for f in user._meta.concrete_fields if f.attname != "last_login")),
        request.scheme,
        request.get_host(),
        request.get_full_path(),
        getattr(request, "LANGUAGE_CODE", "") or "",
        language or "",
        timezone.get_current_timezone_name(),
        timezone.localdate().isoformat(),
        request.META.get("HTTP_ACCEPT", ""),
        *sorted(f"{name}={value}" for name, value in request.META.items() if name.startswith("HTTP_HX_")),
    ]
    digest = hashlib.blake2b("\x1f".join(parts).encode(), digest_size=20).hexdigest()
    return _Plan(key=f"pagecache:{digest}", match=match, language=language)


_code_hash: str | None = None


def _salt() -> str:
    """``PAGE_CACHE_SALT``, else a hash of the code, templates, catalogues and static manifest (read once)."""
    global _code_hash
    configured = getattr(settings, "PAGE_CACHE_SALT", "")
    if configured:
        return configured
    if _code_hash is None:
        digest = hashlib.blake2b(digest_size=16)
        base = settings.BASE_DIR
        skip = {"node_modules", "tests", "media", "bench", "frontend", "__pycache__"}
        for folder, folders, files in os.walk(base):
            folders[:] = sorted(name for name in folders if name not in skip and not name.startswith("."))
            for name in sorted(files):
                if name.endswith((".py", ".html", ".mo")) or name == "staticfiles.json":
                    path = os.path.join(folder, name)
                    try:
                        with open(path, "rb") as handle:
                            digest.update(os.path.relpath(path, base).encode() + b"\0" + handle.read())
                    except OSError:
                        continue
        _code_hash = digest.hexdigest()
    return _code_hash


def _token_user(header: str) -> tuple[Any, str] | None:
    """The active user of a valid API token, checked as the API checks it; None for anything else."""
    from rest_framework.exceptions import AuthenticationFailed

    from core.api.authentication import ProfileLanguageTokenAuthentication

    parts = header.split()
    if len(parts) != 2 or parts[0] != settings.REST_KNOX.get("AUTH_HEADER_PREFIX", "Token"):
        return None
    token = parts[1].encode()
    try:
        user, _auth = ProfileLanguageTokenAuthentication().authenticate_credentials(token)
    except (AuthenticationFailed, ValueError, UnicodeError):
        return None
    return user, "t:" + hashlib.sha256(token).hexdigest()


def _cacheable(request: HttpRequest, response: HttpResponse, reads: _Reads) -> bool:
    if reads.uncacheable or response.status_code != 200 or response.streaming or response.cookies:
        return False
    if not response.get("Content-Type", "").startswith(_CACHEABLE_TYPES):
        return False
    if "no-store" in response.get("Cache-Control", ""):
        return False
    session = getattr(request, "session", None)
    if session is not None and session.modified:
        return False
    if request.META.get("CSRF_COOKIE", "") != request.COOKIES.get(settings.CSRF_COOKIE_NAME, ""):
        return False  # a new CSRF secret was made for this response: its cookie is not the browser's yet
    storage = getattr(request, "_messages", None)
    if storage is not None and (storage.used or len(storage)):
        return False
    return len(response.content) <= _MAX_BYTES


def _cache_call(method: Callable, *args: Any) -> Any:
    """A cache call that answers None instead of failing: whatever the backend, the page is rendered instead."""
    try:
        return method(*args)
    except Exception as exc:  # any backend's connection errors
        from core.resilience import cache_breaker

        cache_breaker.trip(exc)
        return None


def _count(result: str) -> None:
    try:
        from core.metrics import PAGE_CACHE

        PAGE_CACHE.labels(result=result).inc()
    except Exception:  # the figures must never cost the user their answer
        logger.warning("Could not count a page cache %s.", result, exc_info=True)


class PageCacheMiddleware:
    """See the module's docstring. Innermost: every other middleware runs on a cached answer as on a fresh one."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method != "GET" or not getattr(settings, "PAGE_CACHE", False):
            return self.get_response(request)
        plan = _plan(request)
        if plan is None:
            return self.get_response(request)
        entry = _cache_call(cache.get, plan.key)
        if entry is not None and entry["expires"] > time.time():
            tables = list(entry["versions"])
            if versions.current(tables) == [entry["versions"][t] for t in tables]:
                _count("hit")
                return self._answer(request, plan, entry)
        snapshot = versions.snapshot()
        reads = _Reads()
        token = _reading.set(reads)
        try:
            response = self.get_response(request)
        finally:
            _reading.reset(token)
        if snapshot is None or not _cacheable(request, response, reads):
            _count("pass")
        else:
            _count("miss")
            depends = sorted(reads.tables | {GLOBAL})
            seconds = int(getattr(settings, "PAGE_CACHE_SECONDS", 60))
            _cache_call(
                cache.set,
                plan.key,
                {
                    "versions": {**{table: snapshot.get(table, 0) for table in depends}, **reads.scoped},
                    "expires": time.time() + seconds,
                    "headers": [(k, v) for k, v in response.items() if k.lower() != "content-length"],
                    "body": zlib.compress(response.content, 1),
                    "attrs": {name: getattr(response, name) for name in _RESPONSE_ATTRS if hasattr(response, name)},
                },
                seconds,
            )
        return response

    @staticmethod
    def _answer(request: HttpRequest, plan: _Plan, entry: dict) -> HttpResponse:
        request.resolver_match = plan.match  # for the request metrics' view label
        if plan.language:
            from django.utils import translation

            translation.activate(plan.language)
            request.LANGUAGE_CODE = plan.language
        response = HttpResponse(zlib.decompress(entry["body"]))
        for name, value in entry["headers"]:
            response[name] = value
        for name, value in entry["attrs"].items():
            setattr(response, name, value)
        return response


# ---------------------------------------------------------------------------------------------------------------
# Parts of a page shared by everyone who may see them the same way
# ---------------------------------------------------------------------------------------------------------------


def csrf_placeholder() -> str:
    """What a shared part carries where a form's CSRF token goes; each reader's own token replaces it. Derived
    from ``SECRET_KEY`` (the same in every process, never guessable from a page, so no text can fake it)."""
    from django.utils.crypto import salted_hmac

    return "csrf-" + salted_hmac("concord.pagecache.csrf", "placeholder").hexdigest()


def shared_parts(
    request: HttpRequest, name: str, audience: Iterable[Any], build: Callable[[str], dict[str, str]]
) -> dict[str, SafeString]:
    """Parts of a page (HTML by part name, marked safe) that are the same for every reader with the same ``audience``.

    ``build(csrf_token)`` renders them **without the request** (so nothing of the reader can slip in: no
    ``user``, no ``request``, no session), from the audience and what it reads from the database *itself*. The
    audience must name everything of the reader the parts depend on (their access level on the object, what
    they may see of it, the day in the object's time zone …); the active language and time zone are added here.
    Kept like a page: with the versions of the tables ``build`` read, never when it (or, in a transaction still
    open, the request before it) wrote, ``PAGE_CACHE_SECONDS`` at most. Each reader's CSRF token is put into the forms on the way out. With ``PAGE_CACHE`` off, built each
    time. The page around the parts still goes through the page cache as usual.
    """
    from django.middleware.csrf import get_token
    from django.utils import translation

    placeholder = csrf_placeholder()

    def answer(parts: dict[str, str]) -> dict[str, SafeString]:
        token = get_token(request) if any(placeholder in html for html in parts.values()) else ""
        # Rendered by Django's templates (escaped there); the token is Django's own.
        return {part: mark_safe(html.replace(placeholder, token)) for part, html in parts.items()}  # noqa: S308

    if not getattr(settings, "PAGE_CACHE", False):
        return answer(build(placeholder))
    outer = _reading.get()
    parts = [
        _salt(),
        name,
        repr(tuple(audience)),
        translation.get_language() or "",
        timezone.get_current_timezone_name(),
    ]
    key = "pagecache:shared:" + hashlib.blake2b("\x1f".join(parts).encode(), digest_size=20).hexdigest()
    entry = _cache_call(cache.get, key)
    if entry is not None and entry["expires"] > time.time():
        tables = list(entry["versions"])
        if versions.current(tables) == [entry["versions"][t] for t in tables]:
            _count("shared_hit")
            if outer is not None:  # the page around depends on what the parts read
                outer.tables |= {t for t in tables if SCOPE_MARK not in t}
                for table in tables:
                    if SCOPE_MARK in table:
                        outer.scoped.setdefault(table, entry["versions"][table])
            return answer(entry["parts"])
    # A write this request made in a transaction still open could yet roll back: what the parts read now is then
    # nobody else's to see. Parts built after such a write are not kept (a committed write is fine).
    from django.db import connection

    wrote_uncommitted = connection.in_atomic_block and bool(getattr(_scope, "bumped", None))
    snapshot = versions.snapshot()
    reads = _Reads()
    token = _reading.set(reads)
    try:
        built = build(placeholder)
    finally:
        _reading.reset(token)
    if outer is not None:
        outer.tables |= reads.tables
        for table, version in reads.scoped.items():
            outer.scoped.setdefault(table, version)
        outer.uncacheable |= reads.uncacheable
    if snapshot is None or reads.uncacheable or wrote_uncommitted or sum(map(len, built.values())) > _MAX_BYTES:
        _count("shared_pass")
    else:
        _count("shared_miss")
        seconds = int(getattr(settings, "PAGE_CACHE_SECONDS", 60))
        depends = sorted(reads.tables | {GLOBAL})
        _cache_call(
            cache.set,
            key,
            {
                "versions": {**{table: snapshot.get(table, 0) for table in depends}, **reads.scoped},
                "expires": time.time() + seconds,
                "parts": built,
            },
            seconds,
        )
    return answer(built)
