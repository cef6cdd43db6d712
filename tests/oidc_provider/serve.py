"""Run the test OpenID Connect provider on 127.0.0.1:PORT until it is stopped.

    python -m tests.oidc_provider.serve --port 8123 --folder /tmp/provider --redirect-uri http://testserver/oidc/callback/

One start-up does everything the tests need, in a folder of its own: an RSA signing key (made once), the SQLite
database (migrated), the client application (confidential, authorization code, RS256, the given redirect URI) and
the people of USERS — then Django's runserver serves it without the reloader.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

CLIENT_ID = "concord-test"
CLIENT_SECRET = "concord-test-secret"  # the throwaway client of a test provider
PASSWORD = "provider-pass"  # every test user's password at the provider
GROUPS = ("marketing", "finance")
# username, first name, last name, group (the department claim), active at the provider
USERS = (
    ("alice", "Alice", "Wang", "marketing", True),
    ("bob", "Bob", "Li", "marketing", True),
    ("carol", "Carol", "Zhang", "finance", True),
    ("dave", "Dave", "Chen", "finance", False),
    ("erin", "Erin", "Zhao", "finance", True),
    ("frank", "Frank", "Sun", "marketing", True),
    ("grace", "Grace", "Zhou", "finance", True),
)


def make_key(path: Path) -> None:
    """An RSA private key (PEM) for signing ID tokens, made once per folder."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    if path.exists():
        return
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )


def setup(redirect_uri: str) -> None:
    """The client application and the users (idempotent)."""
    from django.contrib.auth.models import Group, User
    from oauth2_provider.models import Application

    if not Application.objects.filter(client_id=CLIENT_ID).exists():
        Application.objects.create(
            name="Concord",
            client_id=CLIENT_ID,
            client_secret=CLIENT_SECRET,
            client_type=Application.CLIENT_CONFIDENTIAL,
            authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
            redirect_uris=redirect_uri,
            algorithm=Application.RS256_ALGORITHM,
            skip_authorization=False,
        )
    groups = {name: Group.objects.get_or_create(name=name)[0] for name in GROUPS}
    for username, first, last, group, active in USERS:
        if User.objects.filter(username=username).exists():
            continue
        user = User.objects.create_user(
            username,
            email=f"{username}@example.com",
            password=PASSWORD,
            first_name=first,
            last_name=last,
            is_active=active,
        )
        user.groups.add(groups[group])


def main() -> None:
    """Key, database, application and users, then serve (blocks)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--folder", type=Path, required=True)
    parser.add_argument("--redirect-uri", required=True)
    args = parser.parse_args()
    args.folder.mkdir(parents=True, exist_ok=True)
    key = args.folder / "signing-key.pem"
    make_key(key)
    os.environ["DJANGO_SETTINGS_MODULE"] = "tests.oidc_provider.settings"
    os.environ["OIDC_PROVIDER_DB"] = str(args.folder / "provider.sqlite3")
    os.environ["OIDC_PROVIDER_KEY"] = str(key)
    os.environ["OIDC_PROVIDER_ISSUER"] = f"http://127.0.0.1:{args.port}/o"

    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0, interactive=False)
    setup(args.redirect_uri)
    call_command("runserver", f"127.0.0.1:{args.port}", use_reloader=False, use_threading=True)


if __name__ == "__main__":
    main()
