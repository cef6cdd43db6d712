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

    def handle(self, *args, path: str, as_user: str, **options) -> None:
        file = Path(path)
        if not file.is_file():
            raise CommandError(f"No such file: {path}")
        user = User.objects.filter(username=as_user).first()
        if user is None:
            raise CommandError(f"No user {as_user}")
        with file.open("rb") as handle:
            try:
                job = import_job_create(actor=user, upload=handle, filename=file.name, enqueue=False)
            except ApplicationError as exc:
                raise CommandError(f"{exc.message} {exc.errors}") from None
        job = import_run(job.pk)
        self.stdout.write(
            f"Import {job.pk} {job.status}: {job.processed} rows, {job.created} created, {job.updated} updated, "
            f"{job.error_count} bad rows. {job.message}"
        )
        if job.status != "done":
            raise CommandError(job.message or "import failed")
