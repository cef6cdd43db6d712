"""Reads of the review pages and API that more than one of them needs."""

from __future__ import annotations

from typing import Any

from .models import Meeting


def agenda_with_notes(meeting: Meeting) -> list[dict[str, Any]]:
    """The agenda in the chair's order, each item with its ``notes`` and ``decision`` ("" when none yet).

    Reads ``meeting.agenda_notes.all()``, so a prefetch of ``agenda_notes`` makes it query-free."""
    notes = {note.item_key: note for note in meeting.agenda_notes.all()}
    items = []
    for item in meeting.agenda:
        note = notes.get(item["key"])
        items.append({**item, "notes": note.notes if note else "", "decision": note.decision if note else ""})
    return items
