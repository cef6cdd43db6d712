"""Team chat deliveries in the worker (SPEC 10.4)."""

from __future__ import annotations

from celery import shared_task

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
