"""Company sign-in with LDAP (SPEC 10.5, issue 19) against a real OpenLDAP slapd started for each test.

The directory is throwaway (a temporary folder, a free port, the Debian schemas) with a service account to search
as, four people with a department attribute, and one disabled account (employeeType=disabled, which the company's
LDAP_USER_FILTER leaves out). Settings are built by running config/settings.py with the LDAP_* environment, so the
wiring in settings is what is tested. Skips without slapd, ldap-utils or django-auth-ldap — fails under
REQUIRE_SERVICES=1.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import Client, override_settings
from django_celery_beat.models import PeriodicTask
from knox.models import AuthToken
from rest_framework.test import APIClient

from teams.models import Directory, User
from teams.tasks import sync_directory
from tests.conftest import need_service
from tests.factories import DepartmentFactory, UserFactory

try:
    import django_auth_ldap  # noqa: F401
    import ldap
except ImportError:  # requirements-ldap.txt not installed
    ldap = None

pytestmark = pytest.mark.django_db

SETTINGS_FILE = Path(__file__).resolve().parents[2] / "config" / "settings.py"
SLAPD = "/usr/sbin/slapd"
SCHEMAS = Path("/etc/ldap/schema")
SUFFIX = "dc=example,dc=com"
ROOT_DN = f"cn=admin,{SUFFIX}"
ROOT_PASSWORD = "root-secret"
BIND_DN = f"cn=concord,ou=services,{SUFFIX}"
BIND_PASSWORD = "service-secret"
PEOPLE = f"ou=people,{SUFFIX}"
# The company's filter: a disabled account is simply not found.
USER_FILTER = "(&(objectClass=inetOrgPerson)(uid=%(user)s)(!(employeeType=disabled)))"
LOGIN = "/accounts/login/"
TOKEN = "/api/v1/auth/token/"
REFUSED = "Please enter a correct username and password"

PEOPLE_ENTRIES = {
    # uid: (given name, surname, department attribute, password, employeeType)
    "alice": ("Alice", "Liang", "marketing", "alice-directory-pw", "staff"),
    "bob": ("Bob", "Wu", "Finance", "bob-directory-pw", "staff"),
    "erin": ("Erin", "Zhao", "marketing", "erin-directory-pw", "staff"),
    "carol": ("Carol", "Directory", "marketing", "carol-directory-pw", "staff"),
    "dave": ("Dave", "Gone", "marketing", "dave-directory-pw", "disabled"),
}


def _tools_available() -> bool:
    return (
        ldap is not None
        and os.access(SLAPD, os.X_OK)
        and (SCHEMAS / "inetorgperson.schema").exists()
        and all(shutil.which(tool) for tool in ("ldapadd", "ldapmodify", "slappasswd"))
    )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _hashed(password: str) -> str:
    return subprocess.run(["slappasswd", "-s", password], check=True, capture_output=True, text=True).stdout.strip()


@dataclass
class Slapd:
    """A running throwaway slapd, and what the tests do to it."""

    uri: str
    process: subprocess.Popen
    folder: Path

    def ldif(self, text: str, tool: str = "ldapmodify") -> None:
        subprocess.run(
            [tool, "-x", "-H", self.uri, "-D", ROOT_DN, "-w", ROOT_PASSWORD],
            input=text,
            check=True,
            capture_output=True,
            text=True,
            timeout=10,
        )

    def set_attribute(self, uid: str, attribute: str, value: str) -> None:
        self.ldif(f"dn: uid={uid},{PEOPLE}\nchangetype: modify\nreplace: {attribute}\n{attribute}: {value}\n")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def _directory_ldif() -> str:
    entries = [
        f"dn: {SUFFIX}\nobjectClass: dcObject\nobjectClass: organization\no: Example Corp\ndc: example\n",
        f"dn: {PEOPLE}\nobjectClass: organizationalUnit\nou: people\n",
        f"dn: ou=services,{SUFFIX}\nobjectClass: organizationalUnit\nou: services\n",
        f"dn: {BIND_DN}\nobjectClass: applicationProcess\nobjectClass: simpleSecurityObject\ncn: concord\n"
        f"userPassword: {_hashed(BIND_PASSWORD)}\n",
    ]
    for uid, (given, surname, department, password, kind) in PEOPLE_ENTRIES.items():
        entries.append(
            f"dn: uid={uid},{PEOPLE}\nobjectClass: inetOrgPerson\nuid: {uid}\ncn: {given} {surname}\n"
            f"givenName: {given}\nsn: {surname}\nmail: {uid}@corp.example\ndepartmentNumber: {department}\n"
            f"employeeType: {kind}\nuserPassword: {_hashed(password)}\n"
        )
    return "\n".join(entries)


@pytest.fixture
def slapd(tmp_path):
    need_service(
        _tools_available(), "OpenLDAP slapd + ldap-utils (Debian) and django-auth-ldap (requirements-ldap.txt)"
    )
    (tmp_path / "db").mkdir()
    schemas = "".join(f"include {SCHEMAS / name}.schema\n" for name in ("core", "cosine", "inetorgperson", "nis"))
    (tmp_path / "slapd.conf").write_text(
        f"{schemas}"
        f"pidfile {tmp_path / 'slapd.pid'}\nargsfile {tmp_path / 'slapd.args'}\n"
        "modulepath /usr/lib/ldap\nmoduleload back_mdb\n"
        f'database mdb\nmaxsize 10485760\nsuffix "{SUFFIX}"\nrootdn "{ROOT_DN}"\nrootpw {ROOT_PASSWORD}\n'
        f"directory {tmp_path / 'db'}\n"
        # Passwords can only be used to bind; the directory is readable only once bound (as the service account).
        "access to attrs=userPassword by anonymous auth by * none\n"
        "access to * by users read by * none\n"
    )
    port = _free_port()
    uri = f"ldap://127.0.0.1:{port}"
    log = (tmp_path / "slapd.log").open("w")
    process = subprocess.Popen(
        [SLAPD, "-d", "0", "-f", str(tmp_path / "slapd.conf"), "-h", f"{uri}/"], stdout=log, stderr=subprocess.STDOUT
    )
    server = Slapd(uri=uri, process=process, folder=tmp_path)
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("slapd did not start: " + (tmp_path / "slapd.log").read_text()) from None
                time.sleep(0.05)
        server.ldif(_directory_ldif(), tool="ldapadd")
        yield server
    finally:
        server.stop()
        log.close()


def _run_settings() -> dict:
    """config/settings.py executed afresh under another module name, as start-up would with this environment."""
    spec = importlib.util.spec_from_file_location("config._ldap_settings_probe", SETTINGS_FILE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return vars(module)


def _ldap_settings(monkeypatch, **environ: str) -> dict:
    """The settings config/settings.py makes of this LDAP environment (run afresh, the loaded settings untouched)."""
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    made = _run_settings()
    return {
        name: value
        for name, value in made.items()
        if name.startswith(("LDAP_", "AUTH_LDAP_")) or name == "AUTHENTICATION_BACKENDS"
    }


@pytest.fixture
def ldap_on(slapd, monkeypatch):
    """LDAP sign-in configured against the test's slapd; call it with environment overrides to change them."""
    active = []

    def configure(**environ: str) -> dict:
        values = {
            "LDAP_SERVER_URI": slapd.uri,
            "LDAP_BIND_DN": BIND_DN,
            "LDAP_BIND_PASSWORD": BIND_PASSWORD,
            "LDAP_USER_BASE": SUFFIX,
            "LDAP_USER_FILTER": USER_FILTER,
            "LDAP_TIMEOUT": "2",
            **environ,
        }
        made = _ldap_settings(monkeypatch, **values)
        while active:
            active.pop().disable()
        override = override_settings(**made)
        override.enable()
        active.append(override)
        return made

    configure()
    yield configure
    while active:
        active.pop().disable()


@pytest.fixture
def departments():
    return {
        "marketing": DepartmentFactory(code="marketing", name="市場部", name_en="Marketing"),
        "finance": DepartmentFactory(code="finance", name="財務部", name_en="Finance"),
    }


def _sign_in(client, username: str, password: str | None = None):
    password = password or PEOPLE_ENTRIES[username][3]
    return client.post(LOGIN, {"username": username, "password": password})


def _token(username: str, password: str | None = None) -> str:
    password = password or PEOPLE_ENTRIES[username][3]
    response = APIClient().post(TOKEN, {"username": username, "password": password}, format="json")
    assert response.status_code == 200, response.content
    return response.json()["token"]


def _directory_user(username: str, **fields) -> User:
    user = User.objects.create(username=username, directory=Directory.LDAP, **fields)
    user.set_unusable_password()
    user.save()
    return user


# --- Settings -------------------------------------------------------------------------------------------------------


def test_settings_put_the_ldap_backend_after_axes_and_before_local_passwords_only_when_configured(monkeypatch):
    need_service(ldap is not None, "django-auth-ldap (requirements-ldap.txt)")
    made = _ldap_settings(
        monkeypatch,
        LDAP_SERVER_URI="ldap://directory.example:389",
        LDAP_USER_BASE="ou=people,dc=example,dc=com",
        LDAP_USER_FILTER="(&(sAMAccountName=%(user)s)(!(userAccountControl=514)))",
    )
    assert made["AUTHENTICATION_BACKENDS"][:3] == [
        "axes.backends.AxesStandaloneBackend",
        "teams.ldap.ConcordLDAPBackend",
        "django.contrib.auth.backends.ModelBackend",
    ]
    assert made["AUTH_LDAP_USER_SEARCH"].filterstr == "(&(sAMAccountName=%(user)s)(!(userAccountControl=514)))"
    assert made["LDAP_USERNAME_ATTR"] == "sAMAccountName"
    assert made["AUTH_LDAP_CONNECTION_OPTIONS"][ldap.OPT_NETWORK_TIMEOUT] == 5
    assert made["AUTH_LDAP_CONNECTION_OPTIONS"][ldap.OPT_TIMEOUT] == 5

    monkeypatch.delenv("LDAP_SERVER_URI")
    made = _run_settings()
    assert "teams.ldap.ConcordLDAPBackend" not in made["AUTHENTICATION_BACKENDS"]
    assert "AUTH_LDAP_SERVER_URI" not in made


def test_ldap_configured_without_django_auth_ldap_stops_start_up_saying_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "django_auth_ldap", None)
    monkeypatch.setitem(sys.modules, "django_auth_ldap.config", None)
    with pytest.raises(ImproperlyConfigured, match=r"pip install -r requirements-ldap\.txt"):
        _ldap_settings(monkeypatch, LDAP_SERVER_URI="ldap://directory.example", LDAP_USER_BASE=SUFFIX)


def test_directory_check_is_scheduled_every_15_minutes():
    task = PeriodicTask.objects.get(task="teams.sync_directory")
    assert (task.interval.every, task.interval.period) == (15, "minutes")
    assert task.enabled


def test_directory_check_does_nothing_when_ldap_is_off():
    user = _directory_user("alice")
    assert sync_directory() == 0
    user.refresh_from_db()
    assert user.is_active


# --- Sign-in ----------------------------------------------------------------------------------------------------------


def test_first_sign_in_on_the_login_page_creates_a_directory_user_with_the_directory_department(
    client, ldap_on, departments
):
    response = _sign_in(client, "alice")
    assert response.status_code == 302, response.content.decode()[:500]
    user = User.objects.get(username="alice")
    assert user.directory == Directory.LDAP
    assert user.department == departments["marketing"]
    assert (user.first_name, user.last_name, user.email) == ("Alice", "Liang", "alice@corp.example")
    assert not user.has_usable_password()
    assert client.get("/").status_code == 200
    # A department attribute may also give the department's English name.
    assert _sign_in(Client(), "bob").status_code == 302
    assert User.objects.get(username="bob").department == departments["finance"]


def test_name_email_and_department_follow_the_directory_at_every_sign_in(client, ldap_on, departments, slapd):
    assert _sign_in(client, "alice").status_code == 302
    slapd.set_attribute("alice", "departmentNumber", "finance")
    slapd.set_attribute("alice", "mail", "alice.liang@corp.example")
    slapd.set_attribute("alice", "sn", "Liang-Wu")
    client.post("/accounts/logout/")
    assert _sign_in(client, "alice").status_code == 302
    user = User.objects.get(username="alice")
    assert (user.department, user.email, user.last_name) == (
        departments["finance"],
        "alice.liang@corp.example",
        "Liang-Wu",
    )
    assert User.objects.filter(username__iexact="alice").count() == 1


def test_wrong_directory_password_is_refused_and_changes_nothing(client, ldap_on, departments):
    response = _sign_in(client, "alice", "not-her-password")
    assert response.status_code == 200
    assert REFUSED in response.content.decode()
    assert not User.objects.filter(username="alice").exists()
    # An existing directory user who mistypes stays active (the directory still lists them).
    user = _directory_user("alice")
    AuthToken.objects.create(user=user)
    assert REFUSED in _sign_in(client, "alice", "not-her-password").content.decode()
    user.refresh_from_db()
    assert user.is_active
    assert AuthToken.objects.filter(user=user).count() == 1


def test_disabled_directory_account_cannot_sign_in_and_is_deactivated_at_once(client, ldap_on, departments):
    response = _sign_in(client, "dave")
    assert response.status_code == 200
    assert REFUSED in response.content.decode()
    assert not User.objects.filter(username="dave").exists()
    assert APIClient().post(TOKEN, {"username": "dave", "password": "dave-directory-pw"}).status_code == 400

    user = _directory_user("dave")
    AuthToken.objects.create(user=user)
    assert REFUSED in _sign_in(client, "dave").content.decode()
    user.refresh_from_db()
    assert not user.is_active
    assert not AuthToken.objects.filter(user=user).exists()


def test_api_token_endpoint_works_for_a_directory_user(ldap_on, departments):
    token = _token("alice")
    api = APIClient(HTTP_AUTHORIZATION=f"Token {token}")
    me = api.get("/api/v1/me/")
    assert me.status_code == 200
    assert me.json()["username"] == "alice"
    assert User.objects.get(username="alice").directory == Directory.LDAP
    assert APIClient().post(TOKEN, {"username": "alice", "password": "wrong"}, format="json").status_code == 400


def test_a_local_account_with_a_directory_username_is_not_taken_over(client, ldap_on, departments):
    local = UserFactory(username="carol", first_name="Local")
    password_hash = local.password
    response = _sign_in(client, "carol")  # the directory's password for uid=carol
    assert response.status_code == 200
    assert REFUSED in response.content.decode()
    assert APIClient().post(TOKEN, {"username": "carol", "password": "carol-directory-pw"}).status_code == 400
    local.refresh_from_db()
    assert (local.directory, local.first_name, local.password, local.is_active) == ("", "Local", password_hash, True)
    # Case does not get around it, and the account's own password still works.
    assert REFUSED in _sign_in(client, "CAROL", "carol-directory-pw").content.decode()
    assert _sign_in(client, "carol", "pw-for-tests").status_code == 302
    assert User.objects.filter(username__iexact="carol").count() == 1


def test_failed_directory_passwords_count_towards_the_login_lock_out(client, ldap_on, departments, settings):
    settings.AXES_FAILURE_LIMIT = 3
    for _ in range(3):
        _sign_in(client, "alice", "wrong")
    response = _sign_in(client, "alice")  # right password, but the pair is locked out
    assert response.status_code == 429
    assert not User.objects.filter(username="alice").exists()


# --- Disabled accounts, sync, sessions ----------------------------------------------------------------------------------


def test_sync_deactivates_accounts_disabled_in_the_directory_with_their_tokens_and_sessions(
    client, ldap_on, departments, slapd, monkeypatch
):
    monkeypatch.setattr("teams.ldap.SYNC_BATCH", 2)  # three accounts: two searches
    assert _sign_in(client, "alice").status_code == 302
    token = _token("alice")
    api = APIClient(HTTP_AUTHORIZATION=f"Token {token}")
    assert api.get("/api/v1/me/").status_code == 200
    bob_token = _token("bob")
    _token("erin")
    local = UserFactory(username="local-person")

    slapd.set_attribute("alice", "employeeType", "disabled")
    assert sync_directory.delay().get() == 1

    alice, bob, erin = (User.objects.get(username=name) for name in ("alice", "bob", "erin"))
    assert (alice.is_active, bob.is_active, erin.is_active) == (False, True, True)
    assert api.get("/api/v1/me/").status_code == 401
    assert APIClient(HTTP_AUTHORIZATION=f"Token {bob_token}").get("/api/v1/me/").status_code == 200
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)
    assert REFUSED in _sign_in(client, "alice").content.decode()
    local.refresh_from_db()
    assert local.is_active
    assert sync_directory() == 0  # already done: nothing more


def test_an_existing_session_stops_working_once_the_directory_account_is_inactive(client, ldap_on, departments):
    assert _sign_in(client, "alice").status_code == 302
    assert client.get("/").status_code == 200
    # Deactivated without ending sessions (e.g. in a script): the session's backend must still refuse the user.
    User.objects.filter(username="alice").update(is_active=False)
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)
    # And a deactivated account stays out even with the right directory password.
    assert REFUSED in _sign_in(client, "alice").content.decode()


def test_sync_deactivates_nobody_when_the_directory_cannot_answer(ldap_on, departments, slapd):
    users = [_directory_user(name) for name in ("alice", "bob")]
    slapd.stop()
    with pytest.raises(ldap.LDAPError):
        sync_directory()
    assert all(User.objects.get(pk=user.pk).is_active for user in users)


def test_sync_deactivates_nobody_when_the_directory_lists_none_of_the_accounts(ldap_on, departments):
    users = [_directory_user(name) for name in ("alice", "bob")]
    ldap_on(LDAP_USER_BASE=f"ou=services,{SUFFIX}")  # a wrong base: nobody is found there
    assert sync_directory() == 0
    assert all(User.objects.get(pk=user.pk).is_active for user in users)


# --- A directory that is down ------------------------------------------------------------------------------------------


def test_stopped_directory_gives_the_normal_error_quickly_and_deactivates_nobody(client, ldap_on, departments, slapd):
    user = _directory_user("alice")
    slapd.stop()
    started = time.monotonic()
    response = _sign_in(client, "alice")
    elapsed = time.monotonic() - started
    assert response.status_code == 200
    assert REFUSED in response.content.decode()
    assert elapsed < 2
    user.refresh_from_db()
    assert user.is_active
    # Local passwords still work while the directory is down.
    UserFactory(username="local-admin")
    assert _sign_in(client, "local-admin", "pw-for-tests").status_code == 302


def test_a_directory_that_accepts_connections_but_never_answers_costs_one_timeout(client, ldap_on, departments):
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(16)
    # Without timeouts a sign-in would wait for ever; closing the socket after 15 s makes such a wait fail the test.
    closer = threading.Timer(15, silent.close)
    closer.start()
    try:
        ldap_on(LDAP_SERVER_URI=f"ldap://127.0.0.1:{silent.getsockname()[1]}", LDAP_TIMEOUT="2")
        user = _directory_user("alice")
        started = time.monotonic()
        response = _sign_in(client, "alice")
        elapsed = time.monotonic() - started
    finally:
        closer.cancel()
        silent.close()
    assert response.status_code == 200
    assert REFUSED in response.content.decode()
    # One LDAP_TIMEOUT (2 s), not a second one spent asking whether the account left the directory.
    assert 1.5 < elapsed < 3.8
    user.refresh_from_db()
    assert user.is_active
