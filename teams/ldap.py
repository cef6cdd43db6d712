"""Sign-in with the company LDAP directory (SPEC 10.5), through django-auth-ldap.

Configured in config/settings.py ("Company sign-in: LDAP") and active only when ``LDAP_SERVER_URI`` is set; this
module needs python-ldap (requirements-ldap.txt), so nothing imports it unless LDAP is on.

- A person signs in with their directory username and password on the normal login page or the API token endpoint.
  The account is created here on first sign-in with ``directory="ldap"``, an unusable local password, and the
  department named by ``LDAP_DEPARTMENT_ATTR``; name, email and department follow the directory at every sign-in.
- A local account (``directory=""``) whose username the directory also knows is never taken over: the directory
  password does not open it (its own password still does).
- A disabled directory account is one ``LDAP_USER_FILTER`` leaves out. It cannot sign in; when it tries, or when
  ``teams.sync_directory`` finds it gone, it is deactivated here (teams.directory.deactivate: API tokens revoked,
  sessions ended). A deactivated account stays so until an admin reactivates it, even if the directory lists it
  again — Concord fails closed.
- An unreachable directory is never read as "everybody left": sign-in fails with the usual message after at most
  ``LDAP_TIMEOUT`` seconds, and the sync deactivates nobody.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from contextvars import ContextVar
from typing import Any

import ldap
import ldap.filter
from django.conf import settings
from django.dispatch import receiver
from django_auth_ldap.backend import LDAPBackend, ldap_error, populate_user

from .directory import deactivate, department_for
from .models import Directory, User

logger = logging.getLogger(__name__)

BACKEND = "teams.ldap.ConcordLDAPBackend"
# Usernames per directory search in the sync: one OR filter each, well under slapd's default size limit of 500.
SYNC_BATCH = 100

# The LDAP errors seen while one sign-in is being checked: a failure caused by an unreachable directory must not be
# taken for "this account is no longer in the directory".
_errors_seen: ContextVar[list[Exception] | None] = ContextVar("ldap_errors_seen", default=None)


class ConcordLDAPBackend(LDAPBackend):
    """django-auth-ldap's backend with Concord's rules: no take-over of local accounts, inactive users refused
    (at sign-in and for existing sessions), directory-disabled accounts deactivated when they try to sign in."""

    def authenticate(self, request: Any, username: str | None = None, password: str | None = None, **kwargs: Any):
        """The directory's answer for this username and password: the user, or None (then ModelBackend may try)."""
        username = kwargs.get(User.USERNAME_FIELD, username)
        errors: list[Exception] = []
        token = _errors_seen.set(errors)
        try:
            user = super().authenticate(request, username=username, password=password, **kwargs)
        finally:
            _errors_seen.reset(token)
        if user is None and not errors and isinstance(username, str) and password:
            _deactivate_if_disabled(username.strip())
        return user

    def get_or_build_user(self, username: str, ldap_user: Any) -> tuple[User, bool]:
        """The user to sign in: a new directory account, or an existing active one that came from this directory."""
        user, built = super().get_or_build_user(username, ldap_user)
        if built:
            user.directory = Directory.LDAP
        elif user.directory != Directory.LDAP:
            logger.warning(
                "LDAP sign-in refused for %r: a local account (directory=%r) has that username",
                user.username,
                user.directory,
            )
            raise ldap_user.AuthenticationFailed("a local account has this username")
        elif not user.is_active:
            raise ldap_user.AuthenticationFailed("the account is deactivated here")
        return user, built

    def get_user(self, user_id: Any) -> User | None:
        """The signed-in user of a session, or None once the account is deactivated (as ModelBackend does)."""
        user = super().get_user(user_id)
        return user if user is not None and user.is_active else None


@receiver(populate_user, sender=ConcordLDAPBackend, dispatch_uid="teams.ldap.populate")
def _populate(sender: Any, user: User, ldap_user: Any, **kwargs: Any) -> None:
    """At every directory sign-in, before the user is saved: the department from the directory attribute (kept as
    it is when the directory names none Concord knows, so an admin's choice is not wiped)."""
    user.directory = Directory.LDAP
    department = department_for((ldap_user.attrs or {}).get(settings.LDAP_DEPARTMENT_ATTR))
    if department is not None:
        user.department = department


@receiver(ldap_error, sender=ConcordLDAPBackend, dispatch_uid="teams.ldap.errors")
def _note_error(sender: Any, context: str, exception: Exception, **kwargs: Any) -> None:
    seen = _errors_seen.get()
    if seen is not None:
        seen.append(exception)


def _deactivate_if_disabled(username: str) -> None:
    """After a failed directory sign-in: an active directory account the directory no longer lists is deactivated
    at once. A wrong password for a listed account changes nothing."""
    user = User.objects.filter(username__iexact=username, directory=Directory.LDAP, is_active=True).first()
    if user is None:
        return
    try:
        found = directory_usernames_found([user.username])
    except ldap.LDAPError as error:
        logger.warning("LDAP: could not check whether %r is still in the directory: %s", user.username, error)
        return
    if user.username.lower() not in found:
        deactivate(user)
        logger.info("LDAP: %r is no longer in the directory (disabled or removed); deactivated", user.username)


def _connect() -> Any:
    """A connection bound as LDAP_BIND_DN, with the same options and timeouts as sign-in uses."""
    backend_settings = ConcordLDAPBackend().settings
    connection = ldap.initialize(backend_settings.SERVER_URI, bytes_mode=False)
    for option, value in backend_settings.CONNECTION_OPTIONS.items():
        connection.set_option(option, value)
    if backend_settings.START_TLS:
        connection.start_tls_s()
    connection.simple_bind_s(backend_settings.BIND_DN, backend_settings.BIND_PASSWORD)
    return connection


def directory_usernames_found(usernames: Iterable[str], *, connection: Any = None) -> set[str]:
    """Which of these usernames the directory lists under LDAP_USER_FILTER (lower-cased), in one search per
    SYNC_BATCH names. Raises ldap.LDAPError when the directory cannot answer — never "nobody found"."""
    search = ConcordLDAPBackend().settings.USER_SEARCH
    attribute = settings.LDAP_USERNAME_ATTR
    names = list(dict.fromkeys(usernames))
    own_connection = connection is None
    connection = _connect() if own_connection else connection
    found: set[str] = set()
    try:
        for start in range(0, len(names), SYNC_BATCH):
            batch = names[start : start + SYNC_BATCH]
            terms = "".join(search.filterstr % {"user": ldap.filter.escape_filter_chars(name)} for name in batch)
            results = connection.search_ext_s(
                search.base_dn, search.scope, f"(|{terms})", attrlist=[attribute], timeout=settings.LDAP_TIMEOUT
            )
            for dn, attributes in results:
                if dn is None:  # a search reference, not an entry
                    continue
                values = {key.lower(): value for key, value in attributes.items()}.get(attribute.lower())
                if not values:
                    raise ldap.LDAPError(f"{dn} has no {attribute} attribute: check LDAP_USERNAME_ATTR")
                found.update(value.decode("utf-8", "replace").lower() for value in values)
    finally:
        if own_connection:
            connection.unbind_s()
    return found


def directory_sync() -> int:
    """Deactivate every active directory account the directory no longer lists (disabled or removed); returns how
    many. Nothing is deactivated when the directory cannot be searched, nor when it lists none of two or more
    accounts (a wrong LDAP_USER_BASE or filter, not a company that left at once): that is logged as an error."""
    accounts = dict(
        User.objects.filter(directory=Directory.LDAP, is_active=True).values_list("username", "pk").iterator()
    )
    if not accounts:
        return 0
    found = directory_usernames_found(accounts)
    gone = [pk for username, pk in accounts.items() if username.lower() not in found]
    if len(accounts) >= 2 and len(gone) == len(accounts):
        logger.error(
            "LDAP sync: the directory lists none of the %d directory accounts; deactivating nobody. "
            "Check LDAP_USER_BASE and LDAP_USER_FILTER.",
            len(accounts),
        )
        return 0
    for user in User.objects.filter(pk__in=gone, is_active=True):
        deactivate(user)
        logger.info("LDAP sync: %r is no longer in the directory (disabled or removed); deactivated", user.username)
    return len(gone)
