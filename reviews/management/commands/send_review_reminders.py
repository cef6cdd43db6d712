from __future__ import annotations

from django.core.management.base import BaseCommand

from reviews.reminders import reminders_send
from reviews.schedule import generate_all


class Command(BaseCommand):
    help = "Top up meetings four weeks ahead and send the reminders due now (each at most once)."

    def handle(self, *args, **options) -> None:
        created = generate_all()
        sent = reminders_send()
        self.stdout.write(f"Meetings created: {created}; reminders sent: {sent}.")
