"""Members' points (積分, SPEC 10.6): recording earnings and spends, redeeming benefits, and the daily expiry.

The ledger (``PointsEntry``) is append-only; the balance is kept in a row of its own (``MemberPoints``, read as
``Member.points``) and is always the sum of the member's entries. Both change together, in one transaction, under
the balance row's lock, and the database refuses a negative balance (a CHECK constraint): concurrent spends can
never take a member below 0, and the spend that would is answered with a field error (400). The member row itself
is never locked or written for points, so imports and points never wait for each other.

Which points are used and which lapse (FIFO):

* every positive entry is a lot of points valid until its ``expires_at`` (default: 31 December of the year
  after it was earned, ``MEMBER_POINTS_EXPIRY_YEARS``); after that day it lapses;
* a spend (redeem, a negative adjustment, an expiry) takes the points that lapse soonest first — with the
  default expiry that is the oldest points first;
* so on any day the points that lapse are those of lots whose last day has passed, less everything already
  spent or expired: ``max(0, lapsed lots - all spends and expiries so far)``. The daily job writes that as one
  ``expire`` entry per member and lowers the balance by it; run again the same day it finds 0 everywhere.
  A spend first expires the member's own lapsed points, so nobody spends points that have run out.

The expiry is set-based: a constant number of statements whatever the number of members (one statement on
PostgreSQL, three on SQLite). On PostgreSQL the job holds the ledger in EXCLUSIVE mode for its few seconds and
every recorder first takes ROW EXCLUSIVE on it: spends wait for the job instead of racing it, and the locks are
always taken in the same order (ledger, then balance rows), so the two cannot deadlock.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import ApplicationError, NotAllowed
from core.services.audit import audit_record

from .models import Benefit, Member, MemberPoints, PointsEntry, PointsReason, Redemption
from .permissions import can_record_points

# The most one entry may add or take away (a typing slip of a few zeros is refused, not booked).
MAX_DELTA = 1_000_000
# What people record by hand; expiry is the daily job's.
RECORDED_REASONS = (PointsReason.EARN, PointsReason.REDEEM, PointsReason.ADJUST)


def default_expiry(day: dt.date) -> dt.date:
    """The last day of points earned on ``day``: 31 December of the year after (``MEMBER_POINTS_EXPIRY_YEARS``)."""
    return dt.date(day.year + getattr(settings, "MEMBER_POINTS_EXPIRY_YEARS", 1), 12, 31)


def _lock_ledger(mode: str) -> None:
    """PostgreSQL: the ledger's table lock (see the module docstring); SQLite serialises writers anyway."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"LOCK TABLE {PointsEntry._meta.db_table} IN {mode} MODE")


def _expire_sql(*, today: dt.date, now: dt.datetime, member_id: int | None) -> tuple[int, int]:
    """Write the lapsed points of every member (or of one) as ``expire`` entries and lower the balances.
    Returns (members, points). A constant number of statements; the caller holds the locks."""
    ledger, balances = PointsEntry._meta.db_table, MemberPoints._meta.db_table
    only, only_params = ("WHERE member_id = %s", [member_id]) if member_id is not None else ("", [])
    ops = connection.ops
    day, stamp = ops.adapt_datefield_value(today), ops.adapt_datetimefield_value(now)
    # The unspent remainder of the lots whose last day has passed (see the module docstring), in member order: the
    # expire entries then go into the ledger's (member, newest) index one member after the next instead of at
    # random places (a hash aggregate's order, which a larger work_mem makes the planner choose: 17.9 s instead of
    # 10.7 s for 1,000,000 members in bench/bench_points.py).
    due = (
        f"SELECT member_id, SUM(CASE WHEN delta > 0 AND expires_at < %s THEN delta ELSE 0 END) "  # noqa: S608
        f"+ SUM(CASE WHEN delta < 0 THEN delta ELSE 0 END) AS amount FROM {ledger} {only} GROUP BY member_id "
        f"ORDER BY member_id"
    )
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # One statement: the entries and the balances together (table and column names are fixed).
            cursor.execute(
                f"WITH due AS ({due}), "  # noqa: S608
                f"ins AS (INSERT INTO {ledger} (member_id, delta, reason, note, created_at) "
                f"SELECT member_id, -amount, %s, '', %s FROM due WHERE amount > 0 RETURNING member_id, delta), "
                f"upd AS (UPDATE {balances} b SET balance = b.balance + ins.delta FROM ins "
                f"WHERE b.member_id = ins.member_id RETURNING ins.delta) "
                f"SELECT count(*), COALESCE(-SUM(delta), 0) FROM upd",
                [day, *only_params, PointsReason.EXPIRE, stamp],
            )
        else:
            # SQLite has no data-changing CTEs: the entries first, then the balances from the entries just
            # written (this run's timestamp marks them; writers are serialised, so no other run shares it).
            cursor.execute(
                f"INSERT INTO {ledger} (member_id, delta, reason, note, created_at) "  # noqa: S608
                f"SELECT member_id, -amount, %s, '', %s FROM ({due}) AS due WHERE amount > 0",
                [PointsReason.EXPIRE, stamp, day, *only_params],
            )
            if not cursor.rowcount:
                return 0, 0
            cursor.execute(
                f"UPDATE {balances} SET balance = {balances}.balance + e.delta "  # noqa: S608
                f"FROM {ledger} AS e WHERE e.member_id = {balances}.member_id AND e.reason = %s AND e.created_at = %s",
                [PointsReason.EXPIRE, stamp],
            )
            cursor.execute(
                f"SELECT count(*), COALESCE(-SUM(delta), 0) FROM {ledger} "  # noqa: S608
                f"WHERE reason = %s AND created_at = %s",
                [PointsReason.EXPIRE, stamp],
            )
        found, points = cursor.fetchone()
    return int(found), int(points)


def points_expire(*, today: dt.date | None = None) -> tuple[int, int]:
    """The daily job: every member's lapsed points (lots whose last day is before ``today``, less what was
    already spent or expired) become one ``expire`` entry each, and the balances drop by them. Idempotent: a
    second run the same day finds nothing. Returns (members, points) expired; audited when anything lapsed."""
    today = today or timezone.localdate()
    now = timezone.now()
    with transaction.atomic():
        _lock_ledger("EXCLUSIVE")
        members, points = _expire_sql(today=today, now=now, member_id=None)
        if members:
            audit_record(actor=None, action="members.points_expired", object_type="members.pointsentry",
                         after={"day": today.isoformat(), "members": members, "points": points})  # fmt: skip
    return members, points


def _benefit_for(member: Member, benefit_id: Any) -> Benefit | None:
    """One of the benefits the member's tier may redeem for points (the member's campaign's or programme-wide)."""
    try:
        pk = int(benefit_id)
    except (TypeError, ValueError):
        return None
    benefit = Benefit.objects.filter(pk=pk, points_price__isnull=False).first()
    if benefit is None or member.tier not in (benefit.tiers or []):
        return None
    if benefit.campaign_id is not None and benefit.campaign_id != member.source_campaign_id:
        return None
    return benefit


def points_record(
    *, actor: Any, member: Member, reason: str, delta: int | None = None, note: str = "",
    expires_at: dt.date | None = None, benefit: Any = None, today: dt.date | None = None,
) -> PointsEntry:  # fmt: skip
    """Add one entry to a member's ledger and move the balance with it (SPEC 10.6). Lead or deputy of the
    member's campaign's team, or an admin. Earning adds (its points lapse after ``expires_at``, by default the
    end of the following year), redeeming takes away, an adjustment goes either way; the balance never goes
    below 0 (400 on ``delta``). ``benefit`` (an id) redeems one of the tier's benefits for its price in points,
    once per member. The member's lapsed points expire first, under the same lock."""
    if not can_record_points(actor, member):
        raise NotAllowed(_("Only the team's lead or deputy (or an admin) records points."))
    today = today or timezone.localdate()
    errors: dict[str, str] = {}
    if reason not in RECORDED_REASONS:
        errors["reason"] = _("Choose earn, redeem or adjust; points expire on their own.")
    chosen: Benefit | None = None
    if benefit not in (None, ""):
        chosen = _benefit_for(member, benefit)
        if reason != PointsReason.REDEEM:
            errors["benefit"] = _("A benefit is redeemed: choose the reason “redeem”.")
        elif chosen is None:
            errors["benefit"] = _("Choose one of the benefits of this member's tier that has a price in points.")
        elif delta not in (None, "") and int(delta) != -chosen.points_price:
            errors["delta"] = _("This benefit costs %(price)s points: leave the points empty or give −%(price)s.") % {
                "price": chosen.points_price
            }
        else:
            delta = -chosen.points_price
    if "delta" not in errors and "benefit" not in errors:
        if delta in (None, ""):
            errors["delta"] = _("Give the number of points.")
        elif not isinstance(delta, int) or delta == 0 or abs(delta) > MAX_DELTA:
            errors["delta"] = _("Give a whole number of points other than 0, at most %(max)s either way.") % {
                "max": f"{MAX_DELTA:,}"
            }
        elif reason == PointsReason.EARN and delta < 0:
            errors["delta"] = _("Points earned are a positive number.")
        elif reason == PointsReason.REDEEM and delta > 0:
            errors["delta"] = _("Points redeemed are a negative number.")
    if expires_at is not None and (not isinstance(delta, int) or delta < 0):
        errors["expires_at"] = _("Only points added can have an expiry date.")
    elif expires_at is not None and expires_at < today:
        errors["expires_at"] = _("The expiry date cannot be in the past.")
    if errors:
        raise ApplicationError(errors=errors)
    assert isinstance(delta, int)
    if delta > 0 and expires_at is None:
        expires_at = default_expiry(today)
    now = timezone.now()
    with transaction.atomic():
        _lock_ledger("ROW EXCLUSIVE")
        # The balance row (made with the first entry; its foreign key checks the member exists), locked.
        MemberPoints.objects.bulk_create([MemberPoints(member_id=member.pk)], ignore_conflicts=True)
        MemberPoints.objects.select_for_update().filter(pk=member.pk).values_list("pk", flat=True).get()
        _expire_sql(today=today, now=now, member_id=member.pk)
        balance = MemberPoints.objects.filter(pk=member.pk).values_list("balance", flat=True).get()
        if balance + delta < 0:
            raise ApplicationError(
                errors={"delta": _("The member has only %(balance)s points; this would take %(points)s.")
                        % {"balance": f"{balance:,}", "points": f"{-delta:,}"}}
            )  # fmt: skip
        if chosen is not None:
            if Redemption.objects.filter(benefit=chosen, member_id=member.pk).exists():
                raise ApplicationError(errors={"benefit": _("This member has already redeemed this benefit.")})
            Redemption.objects.create(benefit=chosen, member_id=member.pk, redeemed_at=now)
        entry = PointsEntry.objects.create(
            member_id=member.pk, delta=delta, reason=reason, note=note.strip()[:300], benefit=chosen,
            created_at=now, expires_at=expires_at if delta > 0 else None, created_by=actor,
        )  # fmt: skip
        MemberPoints.objects.filter(pk=member.pk).update(balance=F("balance") + delta)
        audit_record(actor=actor, action="members.points_recorded", obj=member,
                     after={"delta": delta, "reason": reason, "benefit": chosen.pk if chosen else None,
                            "balance": balance + delta})  # fmt: skip
    member.points_balance = MemberPoints(member_id=member.pk, balance=balance + delta)
    return entry
