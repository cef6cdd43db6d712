"""Member imports (SPEC 6): CSV (UTF-8 with or without BOM, GBK) and XLSX, upsert by external id, bad rows
reported by number while good rows are kept, 1,000,000 rows streamed in batches.

Durability: the uploaded file is stored in the database in chunks (any worker can read it; nothing on a
local disk). Each batch's members, tier changes, row errors, counters and ``checkpoint`` are committed in
one transaction under a lock on the job row; a run holds a lease that it renews per batch. A worker that
dies loses only its uncommitted batch: when the lease lapses the watchdog (or the broker's redelivery)
starts the job again and it resumes after the checkpoint — no row lost, none counted twice.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import logging
import re
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import F, Q
from django.http import Http404
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext as _

from campaigns.models import Campaign, Channel
from core.bulk import copy_rows
from core.errors import ApplicationError
from core.permissions import parse_pk, principal_for
from core.resilience import publish
from core.validators import clean_phone

from .models import AgeBand, ImportChunk, ImportJob, ImportRowError, ImportStatus, Member, TierChange, TierChangeCause
from .permissions import import_boundary, importable_campaigns
from .tiers import rule_set_in_effect, thresholds_of, tier_for

logger = logging.getLogger(__name__)

CHUNK_BYTES = 1024 * 1024
BATCH_ROWS = 10000
COLUMNS = ("external_id", "name", "phone", "annual_fee", "age_band", "consent", "source_campaign", "source_channel")
REQUIRED_COLUMNS = ("external_id", "name")
AGE_BANDS = frozenset(AgeBand.values)  # computed once: the enum property rebuilds its list on every access
PLAIN_FEE = re.compile(r"^\d{1,8}(\.\d{1,2})?$")
TRUE = {"1", "true", "yes", "y", "是", "同意", "t"}
FALSE = {"", "0", "false", "no", "n", "否", "不同意", "f"}
# SPEC 10.1 "Bounds": an XLSX is refused before parsing beyond these; an import is attempted at most 3 times.
XLSX_MAX_ROWS = 1_048_576
XLSX_MAX_COLUMNS = 64
XLSX_MAX_INFLATED_BYTES = 500 * 1024 * 1024
XLSX_MAX_INFLATION = 20
XLSX_DIMENSION = re.compile(rb"<(?:\w+:)?dimension\s+ref\s*=\s*[\"']([A-Za-z0-9:$]+)[\"']")
MAX_ATTEMPTS = 3
# Error rows kept per job (the first ones; the job shows 1,000 of them, the report all kept); every error is
# still counted in ``error_count``. A sheet of a million bad rows no longer writes a million error rows.
MAX_ERROR_ROWS_KEPT = 10_000


def max_error_rows_kept() -> int:
    return getattr(settings, "MEMBER_IMPORT_MAX_ERROR_ROWS", MAX_ERROR_ROWS_KEPT)


def max_upload_bytes() -> int:
    return getattr(settings, "MEMBER_IMPORT_MAX_BYTES", 300 * 1024 * 1024)


def lease_seconds() -> int:
    return getattr(settings, "MEMBER_IMPORT_LEASE_SECONDS", 30)


# --- Upload --------------------------------------------------------------------------------


def import_file_check(upload: Any, *, filename: str | None = None) -> tuple[str, str]:
    """The upload's name and format (``csv`` or ``xlsx``), or an ApplicationError on ``file`` for a file that
    cannot be imported: another type, over the size limit, or content that cannot be what its name says."""
    name = filename or getattr(upload, "name", "") or "upload"
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if extension not in ("csv", "xlsx"):
        raise ApplicationError(errors={"file": _("Upload a .csv or .xlsx file.")})
    size = getattr(upload, "size", None)
    if size is not None and size > max_upload_bytes():
        raise ApplicationError(errors={"file": too_large_message()})
    _check_content(upload, extension)
    return name, extension


SNIFF_BYTES = 64 * 1024


def upload_campaign_id(actor: Any, campaign: Any) -> int | None:
    """The id of the campaign an upload is for, checked against the actor's boundary. An unknown campaign and
    another team's campaign get the same answer, so the field reveals nothing about other teams."""
    allowed = importable_campaigns(actor)
    if campaign in (None, ""):
        if principal_for(actor).is_admin:
            return None
        raise ApplicationError(errors={"campaign": _("Choose the campaign this file is for.")})
    pk = getattr(campaign, "pk", campaign)
    try:
        pk = parse_pk(pk)
    except Http404:
        pk = None
    if pk is None or not allowed.filter(pk=pk).exists():
        raise ApplicationError(
            errors={"campaign": _("Choose one of your campaigns: a campaign whose team you lead or deputise.")}
        )
    return pk


def too_large_message() -> str:
    # filesizeformat, not whole megabytes: a limit under 1 MB read "the 0 MB limit".
    return _("The file is larger than the %(limit)s limit.") % {"limit": filesizeformat(max_upload_bytes())}


def _check_content(upload: Any, extension: str) -> None:
    """Refuse, before anything is stored, a file that cannot be what its name says: an .xlsx that is no zip
    archive (junk, or cut off before its end), a .csv with NUL bytes (binary data, or UTF-16 text)."""
    if not (hasattr(upload, "seek") and hasattr(upload, "read")):
        return
    upload.seek(0)
    head = upload.read(SNIFF_BYTES)
    upload.seek(0)
    if not head:
        return  # empty: refused below, with its own message
    if extension == "xlsx":
        readable = zipfile.is_zipfile(upload)
        upload.seek(0)
        if not readable:
            raise ApplicationError(
                errors={
                    "file": _(
                        "This is not an XLSX workbook, or it is incomplete. Save it again from Excel and upload it."
                    )
                }
            )
        size = getattr(upload, "size", None)
        if size is None:
            size = upload.seek(0, io.SEEK_END)
        problem = xlsx_bounds_problem(upload, size)
        upload.seek(0)
        if problem:
            raise ApplicationError(errors={"file": problem})
    elif b"\x00" in head:
        raise ApplicationError(
            errors={
                "file": _(
                    "This is not a CSV text file (it holds binary data or UTF-16 text). Save it as CSV UTF-8 and upload it."
                )
            }
        )


class UnreadableFile(Exception):
    """The stored file cannot be read as what it claims to be; the message says so to the uploader."""


def xlsx_bounds_problem(archive_file: Any, size: int) -> str | None:
    """Why an XLSX is refused before anything parses it (SPEC 10.1 "Bounds"), or None.

    Reads only the zip's central directory (each part's declared uncompressed size — zipfile never inflates a
    part past it) and the first bytes of each worksheet, where its ``<dimension ref="A1:C100"/>`` is. A file that
    is no readable zip gets None here: the reader reports it as unreadable."""
    from openpyxl.utils.cell import range_boundaries

    try:
        with zipfile.ZipFile(archive_file) as archive:
            parts = archive.infolist()
            inflated = sum(part.file_size for part in parts)
            if inflated > min(XLSX_MAX_INFLATION * max(size, 1), XLSX_MAX_INFLATED_BYTES):
                return _(
                    "This XLSX file unpacks to %(inflated)s, more than 20 times its size or 500 MB: it cannot be "
                    "imported. Save the sheet as CSV UTF-8 and upload that."
                ) % {"inflated": filesizeformat(inflated)}
            for part in parts:
                if not (part.filename.startswith("xl/worksheets/") and part.filename.endswith(".xml")):
                    continue
                with archive.open(part) as stream:
                    head = stream.read(SNIFF_BYTES)
                found = XLSX_DIMENSION.search(head)
                if found is None:
                    continue
                try:
                    _min_col, _min_row, max_col, max_row = range_boundaries(found.group(1).decode("ascii"))
                except (ValueError, TypeError):
                    continue
                if (max_col or 0) > XLSX_MAX_COLUMNS or (max_row or 0) > XLSX_MAX_ROWS:
                    return _(
                        "This XLSX sheet declares the range %(range)s: more than %(rows)s rows or %(columns)d "
                        "columns, so it cannot be imported. Delete the unused rows and columns, or save the sheet "
                        "as CSV UTF-8, and upload it again."
                    ) % {"range": found.group(1).decode("ascii")[:40], "rows": "1,048,576", "columns": XLSX_MAX_COLUMNS}
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, RuntimeError, NotImplementedError):
        return None
    return None


def enqueue_import(job_id: int, *, countdown: float | None = None) -> None:
    from .tasks import run_import

    # broker down: the watchdog (or the next worker to start) runs pending jobs once it is back
    if not publish(run_import, job_id, countdown=countdown):
        logger.warning("Broker unreachable; import %s waits for the watchdog.", job_id)


# --- Reading the stored file -------------------------------------------------------------------


def _chunks(job: ImportJob) -> Iterator[bytes]:
    for (data,) in ImportChunk.objects.filter(job=job).order_by("seq").values_list("data").iterator(chunk_size=4):
        yield bytes(data)


class _ChunkReader(io.RawIOBase):
    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks, self._buffer = chunks, b""

    def readable(self) -> bool:
        return True

    def readinto(self, target: Any) -> int:
        while not self._buffer:
            try:
                self._buffer = next(self._chunks)
            except StopIteration:
                return 0
        n = min(len(target), len(self._buffer))
        target[:n], self._buffer = self._buffer[:n], self._buffer[n:]
        return n


def _rows(job: ImportJob) -> tuple[list[str], Iterator[list[Any]]]:
    """The header and an iterator over data rows, streamed from the stored chunks."""
    if job.file_format == "xlsx":
        import openpyxl

        # On disk past a few MB rather than in memory; checked against SPEC 10.1's bounds before openpyxl sees it.
        stored = tempfile.SpooledTemporaryFile(max_size=8 * CHUNK_BYTES)  # noqa: SIM115 - the rows iterator owns it
        for chunk in _chunks(job):
            stored.write(chunk)
        size = stored.tell()
        stored.seek(0)
        problem = xlsx_bounds_problem(stored, size)
        if problem:
            stored.close()
            raise UnreadableFile(problem)
        stored.seek(0)
        try:
            sheet = openpyxl.load_workbook(stored, read_only=True, data_only=True).active
            sheet.reset_dimensions()  # the declared <dimension> is not trusted: only rows that exist are read
            first = next(sheet.iter_rows(min_row=1, max_row=1, max_col=XLSX_MAX_COLUMNS, values_only=True), ())
            header = [str(c or "") for c in first]
            while header and not header[-1].strip():
                header.pop()
            # Only the header's columns: a stray cell far to the right does not widen every row.
            rows = sheet.iter_rows(min_row=2, max_col=max(len(header), 1), values_only=True)
        except Exception as exc:  # a damaged zip, or a zip that is no workbook: openpyxl raises many kinds
            logger.info("Import %s: unreadable workbook (%s)", job.pk, exc.__class__.__name__)
            raise _unreadable_workbook() from exc
        return header, _xlsx_rows(rows)
    text = io.TextIOWrapper(
        io.BufferedReader(_ChunkReader(_chunks(job)), buffer_size=CHUNK_BYTES), encoding=job.encoding, newline=""
    )
    reader = csv.reader(text)
    return next(reader, []), reader


def _unreadable_workbook() -> UnreadableFile:
    return UnreadableFile(
        _(
            "The file is not a readable XLSX workbook (it may be damaged or incomplete). Save it again from Excel and upload it."
        )
    )


def _xlsx_rows(rows: Iterator[tuple]) -> Iterator[list[Any]]:
    try:
        for row in rows:
            yield ["" if c is None else c for c in row]
    except Exception as exc:  # damage further into the sheet
        raise _unreadable_workbook() from exc


def _scan(job: ImportJob) -> tuple[int, str]:
    """One pass over a CSV: the row count for the progress bar, and its encoding — UTF-8 (with or without a
    BOM) if the whole file decodes as UTF-8, else GB18030 (a superset of GBK)."""
    lines, decoder, encoding, first = 0, codecs.getincrementaldecoder("utf-8")(), "utf-8", True
    for seq, chunk in enumerate(_chunks(job), start=1):
        if seq % 32 == 0:
            _renew_lease(job)
        if first and chunk.startswith(codecs.BOM_UTF8):
            encoding = "utf-8-sig"
        first = False
        lines += chunk.count(b"\n")
        if decoder is not None:
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError:
                decoder, encoding = None, "gb18030"
    return max(lines - 1, 0), encoding


# --- Validation --------------------------------------------------------------------------------


@dataclass
class Context:
    campaigns: dict[str, int]
    channels: dict[tuple[int, str], int]
    thresholds: list
    today: dt.date
    default_campaign: int | None = None
    # SPEC 10.1: the campaigns whose members this import may create or update; None = not bounded (admin).
    boundary: list[int] | None = None


def _context(job: ImportJob) -> Context:
    boundary = import_boundary(job.uploaded_by)
    writable = Campaign.objects.all() if boundary is None else Campaign.objects.filter(pk__in=boundary)
    campaigns = {code.lower(): pk for pk, code in writable.values_list("pk", "code")}
    channels = {
        (cid, name.lower()): pk
        for pk, cid, name in Channel.objects.filter(campaign__in=writable).values_list("pk", "campaign_id", "name")
    }
    return Context(
        campaigns,
        channels,
        thresholds_of(rule_set_in_effect()),
        timezone.localdate(),
        default_campaign=job.campaign_id,
        boundary=boundary,
    )


def _clean_fee(raw: str) -> Decimal:
    if PLAIN_FEE.match(raw):  # the common case, without the clean-up below
        return Decimal(raw)
    value = raw.replace(",", "").replace("¥", "").replace("￥", "").strip() or "0"
    fee = Decimal(value)
    if not fee.is_finite() or fee < 0 or fee != fee.quantize(Decimal("0.01")) or fee >= Decimal("100000000"):
        raise InvalidOperation
    return fee


def _clean(values: dict[str, str], ctx: Context) -> tuple[tuple | None, str | None]:
    """A validated row as a tuple for the member table, or the reason it is refused."""
    external_id = values.get("external_id", "").strip()
    if not external_id:
        return None, _("external_id is missing")
    if len(external_id) > 64:
        return None, _("external_id is longer than 64 characters")
    name = values.get("name", "").strip()
    if not name:
        return None, _("name is missing")
    if len(name) > 100:
        return None, _("name is longer than 100 characters")
    try:
        phone = clean_phone(values.get("phone", ""))  # NFKC, then the one phone rule (core.validators)
    except ValidationError:
        return None, _("phone %(phone)s is not a phone number") % {"phone": values.get("phone", "")[:20]}
    try:
        fee = _clean_fee(values.get("annual_fee", ""))
    except (InvalidOperation, ValueError):
        return None, _("annual_fee %(fee)s is not an amount in CNY (e.g. 199.99)") % {
            "fee": values.get("annual_fee", "")[:20]
        }
    band = values.get("age_band", "")
    if band and band not in AGE_BANDS:
        band = band.replace("–", "-").replace("—", "-")
    if band and band not in AGE_BANDS:
        return None, _("age_band %(band)s is not one of 18-24, 25-34, 35+") % {"band": band[:10]}
    consent_raw = values.get("consent", "").strip().lower()
    if consent_raw in TRUE:
        consent = True
    elif consent_raw in FALSE:
        consent = False
    else:
        return None, _("consent %(value)s is not yes/no") % {"value": consent_raw[:10]}
    campaign_id, channel_id = ctx.default_campaign, None
    code = values.get("source_campaign", "").strip()
    if code:
        # One answer for an unknown code and another team's campaign (SPEC 10.1: nothing revealed).
        campaign_id = ctx.campaigns.get(code.lower())
        if campaign_id is None:
            return None, _("source_campaign %(code)s is not a campaign you can import into") % {"code": code[:40]}
    channel = values.get("source_channel", "").strip()
    if channel:
        if campaign_id is None:
            return None, _("source_channel needs a source_campaign")
        channel_id = ctx.channels.get((campaign_id, channel.lower()))
        if channel_id is None:
            return None, _("source_channel %(name)s is not a channel of %(code)s") % {
                "name": channel[:60],
                "code": code[:40],
            }
    tier = tier_for(fee, ctx.thresholds)
    return (
        external_id,
        name,
        phone,
        band,
        fee,
        tier,
        consent,
        ctx.today if consent else None,
        campaign_id,
        channel_id,
    ), None


# --- Running -----------------------------------------------------------------------------------


def _claim(job_id: int) -> ImportJob | None:
    """Take the job's lease if nobody holds a live one; returns None when it is done or taken."""
    now = timezone.now()
    free = ImportJob.objects.filter(
        Q(lease_until__isnull=True) | Q(lease_until__lt=now),
        pk=job_id,
        status__in=[ImportStatus.PENDING, ImportStatus.RUNNING],
    )
    claimed = free.filter(attempts__lt=MAX_ATTEMPTS).update(
        lease_until=now + dt.timedelta(seconds=lease_seconds()), status=ImportStatus.RUNNING,
        attempts=F("attempts") + 1, heartbeat_at=now)  # fmt: skip
    if not claimed:
        # SPEC 10.1: at most 3 attempts. A job whose runs all died (a worker killed, a time limit hit) ends here
        # as failed, instead of being queued again for ever.
        with transaction.atomic():
            spent = free.filter(attempts__gte=MAX_ATTEMPTS).update(
                status=ImportStatus.FAILED, finished_at=now, lease_until=None,
                message=_("The import was attempted %(count)d times and stopped each time before it finished (the "
                          "file may be too large or damaged). Check the file, or split it, and upload it again.")
                % {"count": MAX_ATTEMPTS},
            )  # fmt: skip
            if spent:
                logger.warning("Import %s failed after %s attempts.", job_id, MAX_ATTEMPTS)
                ImportChunk.objects.filter(job_id=job_id).delete()  # SPEC 10.1: the upload goes when the job ends
        return None
    job = ImportJob.objects.get(pk=job_id)
    if job.started_at is None:
        job.started_at = now
        job.save(update_fields=["started_at"])
    return job


def _renew_lease(job: ImportJob) -> None:
    """Long work before the first batch (a CSV's scan) keeps its lease alive."""
    now = timezone.now()
    ImportJob.objects.filter(pk=job.pk, status=ImportStatus.RUNNING).update(
        lease_until=now + dt.timedelta(seconds=lease_seconds()), heartbeat_at=now
    )


class LeaseLost(Exception):
    """Another run advanced the job; this one stops without writing."""


def import_run(job_id: int, *, batch_rows: int | None = None) -> ImportJob | None:
    batch_rows = batch_rows or getattr(settings, "MEMBER_IMPORT_BATCH_ROWS", BATCH_ROWS)
    job = _claim(job_id)
    if job is None:
        return None
    number = 0  # the last data row read, for a message about where the file broke
    try:
        if job.file_format == "csv" and not job.encoding:
            total, encoding = _scan(job)
            ImportJob.objects.filter(pk=job.pk).update(total_rows=total, encoding=encoding)
            job.refresh_from_db()
        header, rows = _rows(job)
        _renew_lease(job)
        columns = [str(h).strip().lower().lstrip("\ufeff") for h in header]
        missing = [c for c in REQUIRED_COLUMNS if c not in columns]
        if missing:
            _fail(job, _("The file has no column %(columns)s. Expected columns: %(expected)s.")
                  % {"columns": ", ".join(missing), "expected": ", ".join(COLUMNS)})  # fmt: skip
            job.refresh_from_db()
            return job
        index = {c: columns.index(c) for c in COLUMNS if c in columns}
        index_items = tuple(index.items())
        ctx = _context(job)
        if ctx.boundary is not None and ctx.default_campaign not in ctx.boundary:
            _fail(job, _("You no longer lead or deputise the team of the campaign this import is for."))
            job.refresh_from_db()
            return job
        checkpoint = job.checkpoint
        good: list[tuple[int, tuple]] = []
        bad: list[tuple[int, str]] = []
        number = 0
        # In a sheet, empty rows are errors only when data follows them: trailing ones (a sheet formatted down to
        # row 1,048,576) are ignored. A batch never ends inside a run of them, so a resumed run judges them alike.
        # In a CSV every empty line costs a byte of the upload and stays an error row.
        empty_from, last_real, skipped = None, checkpoint, 0
        # A CSV record that spans several lines has a quote that is never closed: it swallowed the rows after it.
        lines = rows if job.file_format == "csv" else None
        last_line = lines.line_num if lines is not None else 0
        for number, row in enumerate(rows, start=1):
            if lines is not None:
                first_line, last_line = last_line + 1, lines.line_num
            if number <= checkpoint:
                continue
            if lines is None and not any(str(cell).strip() for cell in row):
                if empty_from is None:
                    empty_from = number
                continue
            if empty_from is not None:
                room = max(0, max_error_rows_kept() - len(bad))
                bad.extend((n, _("the row is empty")) for n in range(empty_from, min(number, empty_from + room)))
                skipped += max(0, number - empty_from - room)
                empty_from = None
            last_real = number
            if lines is not None and last_line > first_line:
                bad.append((number, _("a quote opened in this row is never closed, so lines %(first)d–%(last)d of the "
                                      "file were read as one row; close the quote and upload the file again")
                            % {"first": first_line, "last": last_line}))  # fmt: skip
            elif not any(str(cell).strip() for cell in row):
                bad.append((number, _("the row is empty")))
            else:
                width = len(row)
                values = {
                    c: (str(row[i]).strip() if row[i] is not None else "") if i < width else "" for c, i in index_items
                }
                if job.file_format == "xlsx" and values.get("annual_fee"):
                    values["annual_fee"] = _xlsx_number(row[index["annual_fee"]])
                record, error = _clean(values, ctx)
                if error:
                    bad.append((number, error))
                else:
                    good.append((number, record))
            if number - checkpoint >= batch_rows:
                _commit_batch(job, ctx, good, bad, previous=checkpoint, upto=number, skipped=skipped)
                checkpoint, good, bad, skipped = number, [], [], 0
        _commit_batch(job, ctx, good, bad, previous=checkpoint, upto=last_real, final=True, skipped=skipped)
    except LeaseLost:
        return None
    except UnicodeDecodeError:
        _fail(job, _("The file's text is neither UTF-8 nor GBK. Save it as CSV UTF-8 and upload again."))
    except UnreadableFile as exc:
        _fail(job, str(exc))
    except csv.Error:
        _fail(job, _("The file is not valid CSV after row %(row)d: a quote that is never closed, or a field longer "
                     "than %(limit)d characters.") % {"row": number, "limit": csv.field_size_limit()})  # fmt: skip
    except Exception as exc:  # the job must end as failed with a reason, not hang in "running"
        logger.exception("Import %s failed", job.pk)
        _fail(job, _("The import stopped: %(error)s") % {"error": exc.__class__.__name__})
    job.refresh_from_db()
    return job


def _xlsx_number(value: Any) -> str:
    if isinstance(value, float):
        return (
            f"{Decimal(str(value)):.2f}"
            if Decimal(str(value)) == Decimal(str(value)).quantize(Decimal("0.01"))
            else str(value)
        )
    return str(value)


def _fail(job: ImportJob, message: str) -> None:
    with transaction.atomic():
        ImportJob.objects.filter(pk=job.pk).update(
            status=ImportStatus.FAILED, message=message[:500], finished_at=timezone.now(), lease_until=None
        )
        ImportChunk.objects.filter(job_id=job.pk).delete()  # SPEC 10.1: the upload goes when the job ends


def _outside_boundary(ctx: Context, good: list[tuple[int, tuple]]) -> set[str]:
    """The external ids of the batch that belong to members outside the importer's boundary (one query)."""
    if ctx.boundary is None or not good:
        return set()
    ids = list({record[0] for _number, record in good})
    return set(
        Member.objects.filter(external_id__in=ids)
        .exclude(source_campaign_id__in=ctx.boundary)
        .values_list("external_id", flat=True)
    )


def _commit_batch(
    job: ImportJob,
    ctx: Context,
    good: list[tuple[int, tuple]],
    bad: list[tuple[int, str]],
    *,
    previous: int,
    upto: int,
    final: bool = False,
    skipped: int = 0,
) -> None:
    """Commit one batch. ``skipped`` counts error rows of the batch that were not even listed (an empty run
    longer than the cap); all errors are counted, the first max_error_rows_kept() of the job are kept."""
    now = timezone.now()
    with transaction.atomic():
        locked = ImportJob.objects.select_for_update().get(pk=job.pk)
        if locked.checkpoint != previous or locked.status != ImportStatus.RUNNING:
            raise LeaseLost
        foreign = _outside_boundary(ctx, good)
        if foreign:
            # SPEC 10.1: an error row that changes nothing and says nothing about the member it names.
            refused = _("external_id %(id)s is not a member of your campaigns, so this import cannot change it")
            bad = bad + [(n, refused % {"id": r[0][:64]}) for n, r in good if r[0] in foreign]
            good = [(n, r) for n, r in good if r[0] not in foreign]
        # The last occurrence of an external id in a batch wins.
        latest = {record[0]: record for _number, record in good}
        created, updated = _upsert(job, list(latest.values()), now, boundary=ctx.boundary)
        room = max(0, max_error_rows_kept() - locked.error_count)
        if bad and room:
            kept = sorted(bad)[:room]
            copy_rows(ImportRowError, ["job_id", "row", "message"], [(job.pk, n, m[:500]) for n, m in kept])
        changes = {
            "checkpoint": upto,
            "processed": F("processed") + (upto - previous),
            "created": F("created") + created,
            "updated": F("updated") + updated,
            "error_count": F("error_count") + len(bad) + skipped,
            "heartbeat_at": now,
            "lease_until": now + dt.timedelta(seconds=lease_seconds()),
        }
        if final:
            changes.update(status=ImportStatus.DONE, finished_at=now, total_rows=upto, lease_until=None)
        ImportJob.objects.filter(pk=job.pk).update(**changes)
        if final:
            ImportChunk.objects.filter(job_id=job.pk).delete()  # SPEC 10.1: the upload goes when the job ends


def _upsert(job: ImportJob, records: list[tuple], now: dt.datetime, *, boundary: list[int] | None) -> tuple[int, int]:
    if not records:
        return 0, 0
    if connection.vendor == "postgresql":
        return _upsert_postgres(job, records, now, boundary)
    return _upsert_generic(job, records, now)


STAGE_COLUMNS = ("external_id", "name", "phone", "age_band", "annual_fee", "tier", "consent", "consent_at",
                 "source_campaign_id", "source_channel_id")  # fmt: skip


def _upsert_postgres(
    job: ImportJob, records: list[tuple], now: dt.datetime, boundary: list[int] | None
) -> tuple[int, int]:
    """COPY into a temporary table, record tier changes, then one INSERT … ON CONFLICT DO UPDATE.
    With a ``boundary``, an existing member outside it is never updated, even if it was created after the
    batch's check (the WHERE of the DO UPDATE decides inside the statement)."""
    member, change = Member._meta.db_table, TierChange._meta.db_table
    guard_change = guard_update = ""
    guard_params: list = []
    if boundary is not None:
        guard_change = " AND m.source_campaign_id = ANY(%s)"
        guard_update = f" WHERE {member}.source_campaign_id = ANY(%s)"
        guard_params = [boundary]
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMP TABLE IF NOT EXISTS member_import_stage (external_id varchar(64), name varchar(100), "
            "phone varchar(20), age_band varchar(5), annual_fee numeric(10,2), tier varchar(10), consent boolean, "
            "consent_at date, source_campaign_id bigint, source_channel_id bigint) ON COMMIT DELETE ROWS"
        )
        # Also emptied here: a caller's surrounding transaction would otherwise carry rows into the next batch.
        cursor.execute("TRUNCATE member_import_stage")
        with cursor.cursor.copy(f"COPY member_import_stage ({', '.join(STAGE_COLUMNS)}) FROM STDIN") as copy:
            for record in records:
                copy.write_row(record)
        cursor.execute(
            f"INSERT INTO {change} (member_id, from_tier, to_tier, cause, changed_at, import_job_id) "  # noqa: S608
            f"SELECT m.id, m.tier, s.tier, %s, %s, %s FROM member_import_stage s JOIN {member} m "
            f"ON m.external_id = s.external_id WHERE m.tier <> s.tier{guard_change}",
            [TierChangeCause.IMPORT, now, job.pk, *guard_params],
        )
        cursor.execute(
            f"WITH up AS (INSERT INTO {member} (external_id, name, phone, age_band, annual_fee, tier, consent, "  # noqa: S608
            f"consent_at, source_campaign_id, source_channel_id, tags, joined_at, created_at, updated_at) "
            f"SELECT external_id, name, phone, age_band, annual_fee, tier, consent, consent_at, source_campaign_id, "
            f"source_channel_id, '[]'::jsonb, %s, %s, %s FROM member_import_stage "
            f"ON CONFLICT (external_id) DO UPDATE SET name = EXCLUDED.name, phone = EXCLUDED.phone, "
            f"age_band = EXCLUDED.age_band, annual_fee = EXCLUDED.annual_fee, tier = EXCLUDED.tier, "
            f"consent = EXCLUDED.consent, consent_at = CASE WHEN NOT EXCLUDED.consent THEN NULL "
            f"WHEN {member}.consent THEN {member}.consent_at ELSE EXCLUDED.consent_at END, "
            f"source_campaign_id = COALESCE(EXCLUDED.source_campaign_id, {member}.source_campaign_id), "
            f"source_channel_id = COALESCE(EXCLUDED.source_channel_id, {member}.source_channel_id), "
            f"updated_at = EXCLUDED.updated_at{guard_update} RETURNING (xmax = 0) AS inserted) "
            f"SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted) FROM up",
            [now.date(), now, now, *guard_params],
        )
        created, updated = cursor.fetchone()
    return created, updated


def _upsert_generic(job: ImportJob, records: list[tuple], now: dt.datetime) -> tuple[int, int]:
    """The same effects with Django bulk operations (SQLite, small files)."""
    existing = {m.external_id: m for m in Member.objects.filter(external_id__in=[r[0] for r in records])}
    new, changed, tier_changes = [], [], []
    for ext, name, phone, band, fee, tier, consent, consent_at, campaign_id, channel_id in records:
        member = existing.get(ext)
        if member is None:
            new.append(Member(external_id=ext, name=name, phone=phone, age_band=band, annual_fee=fee, tier=tier,
                              consent=consent, consent_at=consent_at, source_campaign_id=campaign_id,
                              source_channel_id=channel_id, joined_at=now.date()))  # fmt: skip
            continue
        if member.tier != tier:
            tier_changes.append(TierChange(member=member, from_tier=member.tier, to_tier=tier, cause=TierChangeCause.IMPORT,
                                           changed_at=now, import_job=job))  # fmt: skip
        member.consent_at = None if not consent else (member.consent_at if member.consent else consent_at)
        member.name, member.phone, member.age_band, member.annual_fee, member.tier, member.consent = (
            name,
            phone,
            band,
            fee,
            tier,
            consent,
        )
        member.source_campaign_id = campaign_id or member.source_campaign_id
        member.source_channel_id = channel_id or member.source_channel_id
        member.updated_at = now
        changed.append(member)
    Member.objects.bulk_create(new, batch_size=500)
    Member.objects.bulk_update(changed, ["name", "phone", "age_band", "annual_fee", "tier", "consent", "consent_at",
                                         "source_campaign", "source_channel", "updated_at"], batch_size=500)  # fmt: skip
    TierChange.objects.bulk_create(tier_changes, batch_size=500)
    return len(new), len(changed)


def imports_to_resume(*, now: dt.datetime | None = None) -> list[int]:
    """Called when a worker starts (no beat needed): queue every unfinished import — one whose worker died
    resumes when its lease lapses (the message waits that long), one never queued starts now. A job still
    running elsewhere keeps renewing its lease, so the extra message finds it taken and does nothing."""
    now = now or timezone.now()
    queued = []
    unfinished = ImportJob.objects.filter(status__in=[ImportStatus.PENDING, ImportStatus.RUNNING])
    for pk, lease_until in unfinished.values_list("pk", "lease_until"):
        wait = 0.0 if lease_until is None or lease_until <= now else (lease_until - now).total_seconds() + 1
        enqueue_import(pk, countdown=wait)
        queued.append(pk)
    return queued


def import_watchdog(*, now: dt.datetime | None = None) -> list[int]:
    """Restart jobs whose run died (lease lapsed) or was never queued (broker down at upload)."""
    now = now or timezone.now()
    stale = list(
        ImportJob.objects.filter(
            Q(status=ImportStatus.RUNNING, lease_until__lt=now)
            | Q(status=ImportStatus.PENDING, created_at__lt=now - dt.timedelta(seconds=30), lease_until__isnull=True)
        ).values_list("pk", flat=True)
    )
    for pk in stale:
        enqueue_import(pk)
    return stale
