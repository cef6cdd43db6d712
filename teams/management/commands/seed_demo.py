from __future__ import annotations

from django.core.management.base import BaseCommand

from teams.demo import DEMO_PASSWORD, PERSONAS, seed_organisation


class Command(BaseCommand):
    help = "Create the demo organisation and data (idempotent: a second run leaves existing rows as they are)."

    def handle(self, *args, **options) -> None:
        seed_organisation()
        self.stdout.write(self.style.SUCCESS("Demo data is in place."))
        self.stdout.write(f"Demo logins (password {DEMO_PASSWORD}): " + ", ".join(p[0] for p in PERSONAS))
