"""Team chat deliveries (SPEC 10.4) and the company directory account check (SPEC 10.5) in the worker."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings

from .chat import chat_deliver, chat_due_ids


@shared_task(name="teams.deliver_chat")
def deliver_chat(delivery_id: int) -> str:
    """Post one chat delivery (retries schedule themselves with backoff)."""
    return chat_deliver(delivery_id)


@shared_task(name="teams.sweep_chat")
def sweep_chat() -> int:
    """Every minute: post the deliveries whose task was lost or whose retry is due. Returns how many were tried."""
    ids = chat_due_ids()
    for pk in ids:
        chat_deliver(pk)
    return len(ids)


@shared_task(name="teams.sync_directory")
def sync_directory() -> int:
    """Every 15 minutes, when LDAP sign-in is on (SPEC 10.5): deactivate the directory accounts the directory no
    longer lists (disabled or removed), which revokes their API tokens and ends their sessions. Returns how many."""
    if "teams.ldap.ConcordLDAPBackend" not in settings.AUTHENTICATION_BACKENDS:
        return 0
    from .ldap import directory_sync  # needs python-ldap, installed only where LDAP is used

    return directory_sync()
