"""Member imports (SPEC 6): CSV (UTF-8 with or without BOM, GBK) and XLSX, upsert by external id, bad rows
reported by number while good rows are kept, 1,000,000 rows streamed in batches.

People can fix what was refused (SPEC 10.6): every bad field of a row is an error of its own (``row``, ``field``,
``message``); the refused rows' cells are kept exactly as uploaded (for the first MEMBER_IMPORT_MAX_ERROR_ROWS
refused rows) with the upload's header, so the error report (members.exports) repeats them in the upload's own
format and encoding, to be corrected and uploaded again. A dry run goes through the same reading, validation and
batches, and counts "would create" against "would update" set-wise per batch instead of writing members.

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
import json
import logging
import re
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from operator import itemgetter
from typing import Any
from zoneinfo import ZoneInfo

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
from core.exports import FORMULA_STARTS
from core.permissions import parse_pk, principal_for
from core.resilience import publish
from core.validators import clean_phone

from .models import (
    AgeBand,
    ImportBadRow,
    ImportChunk,
    ImportJob,
    ImportRowError,
    ImportStatus,
    Member,
    TierChange,
    TierChangeCause,
)
from .permissions import import_boundary, importable_campaigns
from .rights import erased_external_ids
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
# A refused row's cells are kept for the error report up to these bounds (a runaway quote can swallow a whole
# file into one cell): the first 64 cells, each up to 2,000 characters.
KEPT_CELLS = 64
KEPT_CELL_CHARS = 2000
# A spreadsheet runs a cell starting with a formula character as a formula; the error report writes such text
# with a leading apostrophe (core.exports.defuse), and the import takes that apostrophe off again.
DEFUSED_STARTS = tuple(f"'{start}" for start in FORMULA_STARTS)


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


def _rows(job: ImportJob) -> tuple[list[str], Iterator[list[Any]], list[Any]]:
    """The header, an iterator over data rows, streamed from the stored chunks, and the header's cells as they
    are in the file (for the error report)."""
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
        return header, _xlsx_rows(rows), ["" if c is None else c for c in first[: len(header)]]
    text = io.TextIOWrapper(
        io.BufferedReader(_ChunkReader(_chunks(job)), buffer_size=CHUNK_BYTES), encoding=job.encoding, newline=""
    )
    reader = csv.reader(text)
    header = next(reader, [])
    return header, reader, list(header)


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
    # Today in settings.TIME_ZONE: the join and consent date of a member without a campaign.
    today: dt.date
    default_campaign: int | None = None
    # SPEC 10.1: the campaigns whose members this import may create or update; None = not bounded (admin).
    boundary: list[int] | None = None
    # Each campaign's time zone, and today there (a member joins on the campaign's date, not UTC's).
    zones: dict[int, str] = field(default_factory=dict)
    dates: dict[int | None, dt.date] = field(default_factory=dict)
    # The file's external_id column: refused rows name their member through it (erased members, _commit_batch).
    id_column: int | None = None

    def row_id(self, cells: list) -> str:
        """The external id in a row's cells as uploaded ("" where the row has none)."""
        i = self.id_column
        return str(cells[i]).strip()[:64] if i is not None and i < len(cells) and cells[i] is not None else ""

    def refresh_dates(self, now: dt.datetime | None = None) -> None:
        """Today in each campaign's time zone (and settings.TIME_ZONE for no campaign), as of ``now``."""
        now = now or timezone.now()
        by_zone = {name: now.astimezone(_zone(name)).date() for name in {*self.zones.values(), settings.TIME_ZONE}}
        self.today = by_zone[settings.TIME_ZONE]
        self.dates = {pk: by_zone[name] for pk, name in self.zones.items()}
        self.dates[None] = self.today


def _zone(name: str) -> dt.tzinfo:
    try:
        return ZoneInfo(name)
    except (ValueError, KeyError):  # validated on the campaign; a zone the system no longer knows falls back
        return ZoneInfo(settings.TIME_ZONE)


def _context(job: ImportJob) -> Context:
    boundary = import_boundary(job.uploaded_by)
    writable = Campaign.objects.all() if boundary is None else Campaign.objects.filter(pk__in=boundary)
    campaigns, zones = {}, {}
    for pk, code, zone in writable.values_list("pk", "code", "time_zone"):
        campaigns[code.lower()] = pk
        zones[pk] = zone or settings.TIME_ZONE
    channels = {
        (cid, name.lower()): pk
        for pk, cid, name in Channel.objects.filter(campaign__in=writable).values_list("pk", "campaign_id", "name")
    }
    ctx = Context(
        campaigns,
        channels,
        thresholds_of(rule_set_in_effect()),
        timezone.localdate(),
        default_campaign=job.campaign_id,
        boundary=boundary,
        zones=zones,
    )
    ctx.refresh_dates()
    return ctx


def _clean_fee(raw: str) -> Decimal:
    if PLAIN_FEE.match(raw):  # the common case, without the clean-up below
        return Decimal(raw)
    value = raw.replace(",", "").replace("¥", "").replace("￥", "").strip() or "0"
    fee = Decimal(value)
    if not fee.is_finite() or fee < 0 or fee != fee.quantize(Decimal("0.01")) or fee >= Decimal("100000000"):
        raise InvalidOperation
    return fee


def _undefuse(value: str) -> str:
    """Text as it was before the error report guarded it against formulas (``'=x`` back to ``=x``)."""
    return value[1:] if value.startswith(DEFUSED_STARTS) else value


def _clean(values: dict[str, str], ctx: Context) -> tuple[tuple | None, list[tuple[str, str]] | None]:
    """A validated row as a tuple for the member table, or every reason it is refused: one ``(field, message)``
    per bad field (SPEC 10.6), so a row is fixed in one go."""
    errors: list[tuple[str, str]] = []
    external_id = values.get("external_id", "").strip()
    if external_id and external_id[0] == "'":  # cheaper than startswith, row after row
        external_id = _undefuse(external_id)
    if not external_id:
        errors.append(("external_id", _("external_id is missing")))
    elif len(external_id) > 64:
        errors.append(("external_id", _("external_id is longer than 64 characters")))
    name = values.get("name", "").strip()
    if name and name[0] == "'":
        name = _undefuse(name)
    if not name:
        errors.append(("name", _("name is missing")))
    elif len(name) > 100:
        errors.append(("name", _("name is longer than 100 characters")))
    try:
        phone = clean_phone(values.get("phone", ""))  # NFKC, then the one phone rule (core.validators)
    except ValidationError:
        phone = ""
        errors.append(("phone", _("phone %(phone)s is not a phone number") % {"phone": values.get("phone", "")[:20]}))
    try:
        fee = _clean_fee(values.get("annual_fee", ""))
    except (InvalidOperation, ValueError):
        fee = None
        errors.append(
            (
                "annual_fee",
                _("annual_fee %(fee)s is not an amount in CNY (e.g. 199.99)")
                % {"fee": values.get("annual_fee", "")[:20]},
            )
        )
    band = values.get("age_band", "")
    if band and band not in AGE_BANDS:
        band = band.replace("–", "-").replace("—", "-")
        if band not in AGE_BANDS:
            errors.append(("age_band", _("age_band %(band)s is not one of 18-24, 25-34, 35+") % {"band": band[:10]}))
    consent_raw = values.get("consent", "").strip().lower()
    if consent_raw in TRUE:
        consent = True
    elif consent_raw in FALSE:
        consent = False
    else:
        consent = False
        errors.append(("consent", _("consent %(value)s is not yes/no") % {"value": consent_raw[:10]}))
    campaign_id, channel_id = ctx.default_campaign, None
    code = values.get("source_campaign", "").strip()
    if code and code[0] == "'":
        code = _undefuse(code)
    if code:
        # One answer for an unknown code and another team's campaign (SPEC 10.1: nothing revealed).
        campaign_id = ctx.campaigns.get(code.lower())
        if campaign_id is None:
            errors.append(
                (
                    "source_campaign",
                    _("source_campaign %(code)s is not a campaign you can import into") % {"code": code[:40]},
                )
            )
    channel = values.get("source_channel", "").strip()
    if channel and channel[0] == "'":
        channel = _undefuse(channel)
    if channel and not (code and campaign_id is None):  # an unknown campaign's channels cannot be checked
        if campaign_id is None:
            errors.append(("source_channel", _("source_channel needs a source_campaign")))
        else:
            channel_id = ctx.channels.get((campaign_id, channel.lower()))
            if channel_id is None:
                errors.append(
                    (
                        "source_channel",
                        _("source_channel %(name)s is not a channel of %(code)s")
                        % {"name": channel[:60], "code": code[:40]},
                    )
                )
    if errors:
        return None, errors
    tier = tier_for(fee, ctx.thresholds)
    today = ctx.dates.get(campaign_id, ctx.today)  # the campaign's date: joined (and consented) there, today
    return (
        external_id,
        name,
        phone,
        band,
        fee,
        tier,
        consent,
        today if consent else None,
        campaign_id,
        channel_id,
        today,
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
    """Run (or resume) one import: read, validate, and commit it batch by batch — or, for a dry run, count what
    it would create and update without writing a member."""
    batch_rows = batch_rows or getattr(settings, "MEMBER_IMPORT_BATCH_ROWS", BATCH_ROWS)
    job = _claim(job_id)
    if job is None:
        return None
    if job.dry_run and job.checkpoint:
        job = _restart_dry_run(job)  # what earlier batches "created" lived in the dead run's connection
    would = _WouldBe() if job.dry_run else None
    try:
        return _import_run(job, batch_rows, would)
    finally:
        if would is not None:
            would.close()


def _import_run(job: ImportJob, batch_rows: int, would: _WouldBe | None) -> ImportJob | None:
    number = 0  # the last data row read, for a message about where the file broke
    try:
        if job.file_format == "csv" and not job.encoding:
            total, encoding = _scan(job)
            ImportJob.objects.filter(pk=job.pk).update(total_rows=total, encoding=encoding)
            job.refresh_from_db()
        header, rows, raw_header = _rows(job)
        if not job.header:
            job.header = _kept_cells(raw_header)
            ImportJob.objects.filter(pk=job.pk).update(header=job.header)
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
        ctx.id_column = index.get("external_id")
        if ctx.boundary is not None and ctx.default_campaign not in ctx.boundary:
            _fail(job, _("You no longer lead or deputise the team of the campaign this import is for."))
            job.refresh_from_db()
            return job
        checkpoint = job.checkpoint
        # (row number, record, the row's cells) and (row number, [(field, message)], the row's cells)
        good: list[tuple[int, tuple, list]] = []
        bad: list[tuple[int, list[tuple[str, str]], list]] = []
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
                empty = [("", _("the row is empty"))]
                bad.extend((n, empty, []) for n in range(empty_from, min(number, empty_from + room)))
                skipped += max(0, number - empty_from - room)
                empty_from = None
            last_real = number
            if lines is not None and last_line > first_line:
                bad.append((number, [("", _("a quote opened in this row is never closed, so lines %(first)d–%(last)d "
                                            "of the file were read as one row; close the quote and upload the file "
                                            "again") % {"first": first_line, "last": last_line})], row))  # fmt: skip
            elif not any(str(cell).strip() for cell in row):
                bad.append((number, [("", _("the row is empty"))], row))
            else:
                width = len(row)
                values = {
                    c: (str(row[i]).strip() if row[i] is not None else "") if i < width else "" for c, i in index_items
                }
                if job.file_format == "xlsx" and values.get("annual_fee"):
                    values["annual_fee"] = _xlsx_number(row[index["annual_fee"]])
                record, errors = _clean(values, ctx)
                if errors:
                    bad.append((number, errors, row))
                else:
                    good.append((number, record, row))
            if number - checkpoint >= batch_rows:
                _commit_batch(job, ctx, good, bad, previous=checkpoint, upto=number, skipped=skipped, would=would)
                checkpoint, good, bad, skipped = number, [], [], 0
                ctx.refresh_dates()  # a long import that passes midnight dates the later members on the new day
        _commit_batch(job, ctx, good, bad, previous=checkpoint, upto=last_real, final=True, skipped=skipped,
                      would=would)  # fmt: skip
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


def _outside_boundary(ctx: Context, good: list[tuple[int, tuple, list]]) -> set[str]:
    """The external ids of the batch that belong to members outside the importer's boundary (one query)."""
    if ctx.boundary is None or not good:
        return set()
    ids = list({record[0] for _number, record, _cells in good})
    return set(
        Member.objects.filter(external_id__any=ids)
        .exclude(source_campaign_id__in=ctx.boundary)
        .values_list("external_id", flat=True)
    )


def _commit_batch(
    job: ImportJob,
    ctx: Context,
    good: list[tuple[int, tuple, list]],
    bad: list[tuple[int, list[tuple[str, str]], list]],
    *,
    previous: int,
    upto: int,
    final: bool = False,
    skipped: int = 0,
    would: _WouldBe | None = None,
) -> None:
    """Commit one batch. ``skipped`` counts error rows of the batch that were not even listed (an empty run
    longer than the cap); all errors are counted, the first max_error_rows_kept() refused rows of the job are
    kept, each with all its bad fields and its cells as uploaded. A dry run (``would``) writes no member."""
    now = timezone.now()
    with transaction.atomic():
        locked = ImportJob.objects.select_for_update().get(pk=job.pk)
        if locked.checkpoint != previous or locked.status != ImportStatus.RUNNING:
            raise LeaseLost
        foreign = _outside_boundary(ctx, good)
        if foreign:
            # SPEC 10.1: an error row that changes nothing and says nothing about the member it names.
            refused = _("external_id %(id)s is not a member of your campaigns, so this import cannot change it")
            bad = bad + [(n, [("external_id", refused % {"id": r[0][:64]})], c) for n, r, c in good if r[0] in foreign]
            good = [(n, r, c) for n, r, c in good if r[0] not in foreign]
        # SPEC 10.6 (members.rights): an erased member stays erased until an admin restores consent. Its rows are
        # errors that change nothing, and keep only the external id of their cells (not the erased name or phone)
        # — refused rows too, whatever else was wrong with them. An erasure that commits after this check is
        # still respected: the upsert never updates an erased member (_upsert_postgres).
        erased = erased_external_ids([r[0] for _n, r, _c in good] + [ctx.row_id(c) for _n, _e, c in bad])
        if erased:
            gone = [("external_id", _("erased at the person's request"))]
            bad = [(n, gone, _erased_cells(c, ctx.row_id(c))) if ctx.row_id(c) in erased else (n, e, c)
                   for n, e, c in bad]  # fmt: skip
            bad += [(n, gone, _erased_cells(c, r[0])) for n, r, c in good if r[0] in erased]
            bad.sort(key=itemgetter(0))
            good = [(n, r, c) for n, r, c in good if r[0] not in erased]
        # The last occurrence of an external id in a batch wins.
        latest = {record[0]: record for _number, record, _cells in good}
        if would is not None:
            created, updated = would.count(list(latest))
        else:
            created, updated = _upsert(job, list(latest.values()), now, boundary=ctx.boundary)
        room = max(0, max_error_rows_kept() - locked.error_count)
        if bad and room:
            kept = sorted(bad, key=itemgetter(0))[:room]
            copy_rows(ImportRowError, ["job_id", "row", "field", "message"],
                      [(job.pk, n, f, m[:500]) for n, errors, _cells in kept for f, m in errors])  # fmt: skip
            copy_rows(ImportBadRow, ["job_id", "row", "values"],
                      [(job.pk, n, json.dumps(_kept_cells(cells), ensure_ascii=False)) for n, _e, cells in kept])  # fmt: skip
        changes = {
            "checkpoint": upto,
            "processed": F("processed") + (upto - previous),
            "created": F("created") + created,
            "updated": F("updated") + updated,
            "error_count": F("error_count") + len(bad) + skipped,
            "bad_fields": F("bad_fields") + sum(len(errors) for _n, errors, _c in bad) + skipped,
            "heartbeat_at": now,
            "lease_until": now + dt.timedelta(seconds=lease_seconds()),
        }
        if final:
            changes.update(status=ImportStatus.DONE, finished_at=now, total_rows=upto, lease_until=None)
        ImportJob.objects.filter(pk=job.pk).update(**changes)
        if final:
            ImportChunk.objects.filter(job_id=job.pk).delete()  # SPEC 10.1: the upload goes when the job ends


def _erased_cells(cells: list, external_id: str) -> list:
    """An erased member's row as kept for the error report: its external id, every other cell emptied."""
    return [x if str(x).strip() == external_id else "" for x in cells]


def _kept_cells(cells: Any) -> list[Any]:
    """A row's cells as JSON, bounded (KEPT_CELLS, KEPT_CELL_CHARS): text and numbers as they are; a sheet's dates
    and times as ``{"date": …}``, ``{"datetime": …}``, ``{"time": …}`` so the XLSX report writes them back as
    dates and times."""
    kept: list[Any] = []
    for cell in list(cells or ())[:KEPT_CELLS]:
        if cell is None or isinstance(cell, bool | int):
            kept.append(cell)
        elif isinstance(cell, float):
            kept.append(cell if cell == cell and cell not in (float("inf"), float("-inf")) else str(cell))
        elif isinstance(cell, dt.datetime):
            kept.append({"datetime": cell.isoformat()})
        elif isinstance(cell, dt.date):
            kept.append({"date": cell.isoformat()})
        elif isinstance(cell, dt.time):
            kept.append({"time": cell.isoformat()})
        elif isinstance(cell, dt.timedelta):
            kept.append(str(cell))
        else:
            kept.append(str(cell)[:KEPT_CELL_CHARS])
    return kept


def original_cell(value: Any) -> Any:
    """A kept cell back as the value it was in the upload (see :func:`_kept_cells`)."""
    if isinstance(value, dict):
        for kind, parse in (("datetime", dt.datetime), ("date", dt.date), ("time", dt.time)):
            if kind in value:
                try:
                    return parse.fromisoformat(str(value[kind]))
                except ValueError:
                    return str(value[kind])
        return ""
    return value


def _restart_dry_run(job: ImportJob) -> ImportJob:
    """A dry run that a dead worker left halfway starts again from the first row: its "already created" ids were
    kept only in that run's database session, and starting over writes no member either."""
    with transaction.atomic():
        ImportRowError.objects.filter(job_id=job.pk).delete()
        ImportBadRow.objects.filter(job_id=job.pk).delete()
        ImportJob.objects.filter(pk=job.pk).update(
            checkpoint=0, processed=0, created=0, updated=0, error_count=0, bad_fields=0
        )
    job.refresh_from_db()
    return job


class _WouldBe:
    """A dry run's count of what the import would create and what it would update, batch by batch, set-wise:
    an external id is an update when a member has it or an earlier batch of this run would have created it.
    On PostgreSQL the ids "created" so far sit in a temporary table of the run's session (no memory growing with
    the file); elsewhere (SQLite, small files) in a set."""

    TABLE = "member_dry_run_seen"

    def __init__(self) -> None:
        self.postgres = connection.vendor == "postgresql"
        self.seen: set[str] = set()
        if self.postgres:
            with connection.cursor() as cursor:
                cursor.execute(f"CREATE TEMP TABLE IF NOT EXISTS {self.TABLE} (external_id varchar(64) PRIMARY KEY)")
                cursor.execute(f"TRUNCATE {self.TABLE}")

    def count(self, ids: list[str]) -> tuple[int, int]:
        """(would create, would update) for a batch's distinct external ids."""
        if not ids:
            return 0, 0
        if self.postgres:
            member = Member._meta.db_table
            with connection.cursor() as cursor:
                cursor.execute(
                    f"SELECT s.id FROM unnest(%s::varchar[]) AS s(id) WHERE NOT EXISTS "  # noqa: S608
                    f"(SELECT 1 FROM {member} m WHERE m.external_id = s.id) AND NOT EXISTS "
                    f"(SELECT 1 FROM {self.TABLE} d WHERE d.external_id = s.id)",
                    [ids],
                )
                new = [row[0] for row in cursor.fetchall()]
                if new:
                    cursor.execute(f"INSERT INTO {self.TABLE} (external_id) SELECT unnest(%s::varchar[])", [new])  # noqa: S608
            return len(new), len(ids) - len(new)
        existing = set(Member.objects.filter(external_id__in=ids).values_list("external_id", flat=True))
        new = [i for i in ids if i not in existing and i not in self.seen]
        self.seen.update(new)
        return len(new), len(ids) - len(new)

    def close(self) -> None:
        """Drop the temporary table (the worker's session lives on for other jobs)."""
        self.seen = set()
        if self.postgres:
            try:
                with connection.cursor() as cursor:
                    cursor.execute(f"DROP TABLE IF EXISTS {self.TABLE}")
            except Exception:  # a broken connection took the table with it
                logger.info("Could not drop the dry run's temporary table.", exc_info=True)


def _upsert(job: ImportJob, records: list[tuple], now: dt.datetime, *, boundary: list[int] | None) -> tuple[int, int]:
    if not records:
        return 0, 0
    if connection.vendor == "postgresql":
        return _upsert_postgres(job, records, now, boundary)
    return _upsert_generic(job, records, now)


# The order of _clean's record; joined_at is today in the campaign's time zone (Context.dates).
STAGE_COLUMNS = ("external_id", "name", "phone", "age_band", "annual_fee", "tier", "consent", "consent_at",
                 "source_campaign_id", "source_channel_id", "joined_at")  # fmt: skip


def _upsert_postgres(
    job: ImportJob, records: list[tuple], now: dt.datetime, boundary: list[int] | None
) -> tuple[int, int]:
    """COPY into a temporary table, record tier changes, then one INSERT … ON CONFLICT DO UPDATE.
    With a ``boundary``, an existing member outside it is never updated, even if it was created after the
    batch's check (the WHERE of the DO UPDATE decides inside the statement)."""
    member, change = Member._meta.db_table, TierChange._meta.db_table
    # Never an erased member (SPEC 10.6), even one erased after the batch's check: the DO UPDATE's WHERE sees the
    # row as it is when the statement locks it.
    guard_change, guard_update = " AND m.erased_at IS NULL", f" WHERE {member}.erased_at IS NULL"
    guard_params: list = []
    if boundary is not None:
        guard_change += " AND m.source_campaign_id = ANY(%s)"
        guard_update += f" AND {member}.source_campaign_id = ANY(%s)"
        guard_params = [boundary]
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMP TABLE IF NOT EXISTS member_import_stage (external_id varchar(64), name varchar(100), "
            "phone varchar(20), age_band varchar(5), annual_fee numeric(10,2), tier varchar(10), consent boolean, "
            "consent_at date, source_campaign_id bigint, source_channel_id bigint, joined_at date) ON COMMIT DELETE ROWS"
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
            f"source_channel_id, '[]'::jsonb, joined_at, %s, %s FROM member_import_stage "
            f"ON CONFLICT (external_id) DO UPDATE SET name = EXCLUDED.name, phone = EXCLUDED.phone, "
            f"age_band = EXCLUDED.age_band, annual_fee = EXCLUDED.annual_fee, tier = EXCLUDED.tier, "
            f"consent = EXCLUDED.consent AND {member}.consent_withdrawn_at IS NULL, "
            f"consent_at = CASE WHEN NOT EXCLUDED.consent OR {member}.consent_withdrawn_at IS NOT NULL THEN NULL "
            f"WHEN {member}.consent THEN {member}.consent_at ELSE EXCLUDED.consent_at END, "
            f"source_campaign_id = COALESCE(EXCLUDED.source_campaign_id, {member}.source_campaign_id), "
            f"source_channel_id = COALESCE(EXCLUDED.source_channel_id, {member}.source_channel_id), "
            f"updated_at = EXCLUDED.updated_at{guard_update} RETURNING (xmax = 0) AS inserted) "
            f"SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted) FROM up",
            [now, now, *guard_params],
        )
        created, updated = cursor.fetchone()
    return created, updated


def _upsert_generic(job: ImportJob, records: list[tuple], now: dt.datetime) -> tuple[int, int]:
    """The same effects with Django bulk operations (SQLite, small files)."""
    existing = {m.external_id: m for m in Member.objects.filter(external_id__in=[r[0] for r in records])}
    new, changed, tier_changes = [], [], []
    for ext, name, phone, band, fee, tier, consent, consent_at, campaign_id, channel_id, joined in records:
        member = existing.get(ext)
        if member is not None and member.erased_at is not None:
            continue  # erased after the batch's check (SQLite serialises writers, so only within a caller's transaction)
        if member is None:
            new.append(Member(external_id=ext, name=name, phone=phone, age_band=band, annual_fee=fee, tier=tier,
                              consent=consent, consent_at=consent_at, source_campaign_id=campaign_id,
                              source_channel_id=channel_id, joined_at=joined))  # fmt: skip
            continue
        if member.tier != tier:
            tier_changes.append(TierChange(member=member, from_tier=member.tier, to_tier=tier, cause=TierChangeCause.IMPORT,
                                           changed_at=now, import_job=job))  # fmt: skip
        consent = consent and member.consent_withdrawn_at is None  # withdrawn stays withdrawn (members.rights)
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
