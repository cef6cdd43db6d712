"""``manage.py import_members PATH [--as-user NAME] [--dry-run]``: import (or only check) a member file now."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from core.errors import ApplicationError
from members.imports import import_run
from members.services import import_job_create
from teams.models import User


class Command(BaseCommand):
    help = "Import members from a CSV or XLSX file now (the same service the upload page and API queue)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("path")
        parser.add_argument("--as-user", default="admin", help="whose import this is (lead/deputy of a team, or admin)")
        parser.add_argument("--dry-run", action="store_true", help="check every row and count; write no member")

    def handle(self, *args, path: str, as_user: str, dry_run: bool = False, **options) -> None:
        file = Path(path)
        if not file.is_file():
            raise CommandError(f"No such file: {path}")
        user = User.objects.filter(username=as_user).first()
        if user is None:
            raise CommandError(f"No user {as_user}")
        with file.open("rb") as handle:
            try:
                job = import_job_create(actor=user, upload=handle, filename=file.name, enqueue=False, dry_run=dry_run)
            except ApplicationError as exc:
                raise CommandError(f"{exc.message} {exc.errors}") from None
        job = import_run(job.pk)
        would = "would be " if job.dry_run else ""
        self.stdout.write(
            f"{'Dry run' if job.dry_run else 'Import'} {job.pk} {job.status}: {job.processed} rows, {job.created} "
            f"{would}created, {job.updated} {would}updated, {job.error_count} bad rows ({job.bad_fields} bad fields). "
            f"{job.message}"
        )
        if job.status != "done":
            raise CommandError(job.message or "import failed")
