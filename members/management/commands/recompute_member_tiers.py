from __future__ import annotations

import time

from django.core.management.base import BaseCommand

from members.tiers import recompute_member_tiers


class Command(BaseCommand):
    help = "Give every member the tier of the rule set in effect, in one set-based operation; records each change."

    def handle(self, *args, **options) -> None:
        started = time.monotonic()
        changed = recompute_member_tiers()
        self.stdout.write(f"Tiers recomputed: {changed} members changed tier ({time.monotonic() - started:.1f} s).")
