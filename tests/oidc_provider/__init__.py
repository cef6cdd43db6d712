"""A tiny OpenID Connect provider for the sign-in tests (tests/teams/test_oidc.py): django-oauth-toolkit with OIDC
on, run as a second Django process by ``python -m tests.oidc_provider.serve`` with its own settings and SQLite file."""
