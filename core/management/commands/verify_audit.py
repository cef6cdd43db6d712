from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from core.services.audit import audit_verify


class Command(BaseCommand):
    help = "Recompute the audit ledger's hash chain; exit non-zero naming the first entry that does not hold."

    def handle(self, *args, **options) -> None:
        result = audit_verify()
        if not result.ok:
            raise CommandError(
                f"Audit ledger broken at entry #{result.first_bad_seq}: {result.problem} "
                f"({result.checked} entries before it verified)."
            )
        self.stdout.write(self.style.SUCCESS(f"Audit ledger intact: {result.checked} entries verified."))
