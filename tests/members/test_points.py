"""Members' points (SPEC 10.6): the member detail's points, join date and tier history; the append-only ledger
(API), its access rules, the balance that never goes below 0 (a CHECK constraint, a row lock, 20 racing spends
on PostgreSQL), redemption of a benefit, and the daily set-based expiry (FIFO, idempotent, constant queries)."""

from __future__ import annotations

import datetime as dt
import threading
from decimal import Decimal

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core.errors import ApplicationError
from core.models import AuditEntry
from members.models import Benefit, Member, MemberPoints, PointsEntry, Redemption, TierChange
from members.points import default_expiry, points_expire, points_record
from tests.conftest import need_service, using_postgres

pytestmark = pytest.mark.django_db

TODAY = dt.date(2027, 3, 1)


@pytest.fixture
def zhang(campaign):
    return Member.objects.create(
        external_id="Z1", name="張三", phone="13812345678", annual_fee=Decimal("250.00"), tier="mid_high",
        source_campaign=campaign, source_channel=campaign.channels.get(), joined_at=dt.date(2027, 2, 12),
        consent=True, consent_at=dt.date(2027, 2, 12),
    )  # fmt: skip


def url(member, suffix=""):
    return f"/api/v1/members/{member.pk}/{suffix}"


def earn(member, points, *, actor, day=TODAY, expires_at=None, reason="earn"):
    return points_record(actor=actor, member=member, reason=reason, delta=points, today=day, expires_at=expires_at)


# --- Member detail ------------------------------------------------------------------------------------------------


def test_the_detail_has_points_join_date_and_tier_history_newest_first(api, cast, zhang):
    start = timezone.now() - dt.timedelta(days=10)
    TierChange.objects.bulk_create([
        TierChange(member=zhang, from_tier="", to_tier="basic", cause="import", changed_at=start),
        TierChange(member=zhang, from_tier="basic", to_tier="mid_high", cause="fee_change",
                   changed_at=start + dt.timedelta(days=2)),
    ])  # fmt: skip
    earn(zhang, 120, actor=cast.lead)
    body = api(cast.viewer).get(url(zhang)).json()
    assert body["points"] == 120
    assert body["joined_at"] == "2027-02-12"
    assert [(c["from"], c["to"], c["cause"]) for c in body["tier_history"]] == [
        ("basic", "mid_high", "fee_change"),
        ("", "basic", "import"),
    ]
    newest, oldest = (dt.datetime.fromisoformat(c["at"]) for c in body["tier_history"])
    assert newest - oldest == dt.timedelta(days=2)
    assert body["name"] == "張*" and body["phone"] == "138****5678"
    admin = api(cast.admin).get(url(zhang)).json()
    assert admin["name"] == "張三" and admin["phone"] == "13812345678"


def test_the_tier_history_is_bounded_to_the_last_fifty(api, cast, zhang):
    start = timezone.now() - dt.timedelta(days=100)
    TierChange.objects.bulk_create(
        TierChange(member=zhang, from_tier="basic", to_tier="mid_high", cause="rule_change",
                   changed_at=start + dt.timedelta(hours=n))
        for n in range(60)
    )  # fmt: skip
    history = api(cast.lead).get(url(zhang)).json()["tier_history"]
    assert len(history) == 50


def test_an_outsider_gets_404_on_the_detail_and_the_ledger(api, cast, zhang):
    assert api(cast.outsider).get(url(zhang)).status_code == 404
    assert api(cast.outsider).get(url(zhang, "points/")).status_code == 404
    assert api(cast.outsider).post(url(zhang, "points/"), {"delta": 5, "reason": "earn"}).status_code == 404


# --- The ledger: who may read and write ----------------------------------------------------------------------------


@pytest.mark.parametrize("person", ["lead", "deputy", "member", "viewer", "executive", "finance", "admin"])
def test_everyone_who_sees_the_member_reads_the_ledger_newest_first(api, cast, zhang, person):
    earn(zhang, 100, actor=cast.lead)
    points_record(actor=cast.lead, member=zhang, reason="redeem", delta=-30, note="gift", today=TODAY)
    body = api(getattr(cast, person)).get(url(zhang, "points/")).json()
    assert body["count"] == 2
    assert [(e["delta"], e["reason"]) for e in body["results"]] == [(-30, "redeem"), (100, "earn")]
    first = body["results"][1]
    assert first["expires_at"] == "2028-12-31" and first["created_by"] and first["created_at"]


def test_the_ledger_is_paginated(api, cast, zhang):
    for _ in range(25):
        earn(zhang, 1, actor=cast.lead)
    body = api(cast.viewer).get(url(zhang, "points/") + "?page_size=10").json()
    assert body["count"] == 25 and len(body["results"]) == 10 and body["next"]


@pytest.mark.parametrize("person", ["lead", "deputy", "admin"])
def test_lead_deputy_and_admin_record_points(api, cast, zhang, person):
    response = api(getattr(cast, person)).post(url(zhang, "points/"), {"delta": 40, "reason": "earn", "note": "春節"})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["delta"] == 40 and body["balance"] == 40 and body["note"] == "春節"
    assert body["expires_at"] == default_expiry(timezone.localdate()).isoformat()
    zhang.refresh_from_db()
    assert zhang.points == 40
    assert AuditEntry.objects.filter(action="members.points_recorded").count() == 1


@pytest.mark.parametrize("person", ["member", "viewer", "executive", "finance"])
def test_lesser_teammates_and_readers_are_refused_and_nothing_changes(api, cast, zhang, person):
    response = api(getattr(cast, person)).post(url(zhang, "points/"), {"delta": 40, "reason": "earn"})
    assert response.status_code == 403
    zhang.refresh_from_db()
    assert zhang.points == 0 and not PointsEntry.objects.exists()


def test_a_lead_of_another_team_who_sees_every_member_still_may_not_record_points(api, cast, zhang):
    # The outsider leads another team; with view_pii they see every member, but only the member's own team's
    # lead or deputy (or an admin) records points.
    cast.outsider.user_permissions.add(Permission.objects.get(codename="view_pii"))
    outsider = get_user_model().objects.get(pk=cast.outsider.pk)
    assert api(outsider).get(url(zhang)).status_code == 200
    assert api(outsider).post(url(zhang, "points/"), {"delta": 5, "reason": "earn"}).status_code == 403


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_entries_are_never_edited_through_the_api(api, cast, zhang, method):
    entry = earn(zhang, 10, actor=cast.lead)
    client = api(cast.admin)
    assert getattr(client, method)(url(zhang, "points/"), {"delta": 99}).status_code == 405
    assert getattr(client, method)(url(zhang, f"points/{entry.pk}/"), {"delta": 99}).status_code in (404, 405)
    entry.refresh_from_db()
    assert entry.delta == 10


# --- Rules of an entry ------------------------------------------------------------------------------------------


def test_a_spend_larger_than_the_balance_is_a_400_on_delta_and_changes_nothing(api, cast, zhang):
    earn(zhang, 50, actor=cast.lead)
    response = api(cast.lead).post(url(zhang, "points/"), {"delta": -51, "reason": "redeem"})
    assert response.status_code == 400
    assert "50" in response.json()["delta"][0]
    zhang.refresh_from_db()
    assert zhang.points == 50 and PointsEntry.objects.count() == 1


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"delta": 10, "reason": "expire"}, "reason"),
        ({"delta": -10, "reason": "earn"}, "delta"),
        ({"delta": 10, "reason": "redeem"}, "delta"),
        ({"delta": 0, "reason": "adjust"}, "delta"),
        ({"reason": "earn"}, "delta"),
        ({"delta": 1_000_001, "reason": "earn"}, "delta"),
        ({"delta": 10, "reason": "earn", "expires_at": "2020-01-01"}, "expires_at"),
        ({"delta": -5, "reason": "adjust", "expires_at": "2030-01-01"}, "expires_at"),
        ({"delta": 10, "reason": "earn", "expires_at": "9999-12-31"}, "expires_at"),
        ({"delta": "x", "reason": "earn"}, "delta"),
    ],
)
def test_a_bad_entry_is_a_400_naming_its_field(api, cast, zhang, payload, field):
    earn(zhang, 20, actor=cast.lead)
    response = api(cast.lead).post(url(zhang, "points/"), payload, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert PointsEntry.objects.count() == 1


def test_earned_points_expire_by_default_at_the_end_of_the_following_year(cast, zhang, settings):
    assert earn(zhang, 10, actor=cast.lead, day=dt.date(2027, 1, 1)).expires_at == dt.date(2028, 12, 31)
    assert earn(zhang, 10, actor=cast.lead, day=dt.date(2027, 12, 31)).expires_at == dt.date(2028, 12, 31)
    settings.MEMBER_POINTS_EXPIRY_YEARS = 0
    assert earn(zhang, 10, actor=cast.lead, day=dt.date(2027, 6, 1)).expires_at == dt.date(2027, 12, 31)
    given = earn(zhang, 10, actor=cast.lead, expires_at=dt.date(2027, 4, 30))
    assert given.expires_at == dt.date(2027, 4, 30)
    spent = points_record(actor=cast.lead, member=zhang, reason="adjust", delta=-5, today=TODAY)
    assert spent.expires_at is None


def test_the_database_refuses_a_negative_balance(zhang):
    MemberPoints.objects.create(member=zhang, balance=5)
    with pytest.raises(IntegrityError), transaction.atomic():
        MemberPoints.objects.filter(pk=zhang.pk).update(balance=-1)


def test_the_database_refuses_to_edit_an_entry_but_a_member_can_still_be_deleted(cast, zhang, campaign):
    entry = earn(zhang, 100, actor=cast.lead)
    with pytest.raises(DatabaseError), transaction.atomic():
        PointsEntry.objects.filter(pk=entry.pk).update(delta=1000)
    with pytest.raises(DatabaseError), transaction.atomic():
        PointsEntry.objects.filter(pk=entry.pk).update(note="changed")
    entry.refresh_from_db()
    assert entry.delta == 100 and entry.note == ""
    gift = Benefit.objects.create(name="Gift", tiers=["mid_high"], campaign=campaign, points_price=10)
    redeemed = points_record(actor=cast.lead, member=zhang, reason="redeem", benefit=gift.pk, today=TODAY)
    gift.delete()  # a benefit removed later: the entry stays, without its link
    redeemed.refresh_from_db()
    assert redeemed.benefit_id is None and redeemed.delta == -10
    zhang.delete()
    assert not PointsEntry.objects.exists() and not MemberPoints.objects.exists()


# --- Redeeming a benefit -----------------------------------------------------------------------------------------


@pytest.fixture
def spa(campaign):
    return Benefit.objects.create(name="SPA voucher", tiers=["mid_high", "top"], campaign=campaign, points_price=80)


def test_a_benefit_of_the_tier_is_redeemed_for_its_price_once(api, cast, zhang, spa):
    earn(zhang, 200, actor=cast.lead)
    client = api(cast.deputy)
    response = client.post(url(zhang, "points/"), {"reason": "redeem", "benefit": spa.pk})
    assert response.status_code == 201, response.content
    assert (
        response.json()["delta"] == -80 and response.json()["benefit"] == spa.pk and response.json()["balance"] == 120
    )
    assert Redemption.objects.filter(member=zhang, benefit=spa).count() == 1
    again = client.post(url(zhang, "points/"), {"reason": "redeem", "benefit": spa.pk})
    assert again.status_code == 400 and "benefit" in again.json()
    zhang.refresh_from_db()
    assert zhang.points == 120


@pytest.mark.parametrize(
    ("change", "payload_extra", "field"),
    [
        ({"tiers": ["top"]}, {}, "benefit"),  # not the member's tier
        ({"points_price": None}, {}, "benefit"),  # not for points
        ({}, {"delta": -10}, "delta"),  # not its price
        ({}, {"reason": "earn"}, "benefit"),  # a benefit is redeemed
    ],
)
def test_a_benefit_the_member_cannot_redeem_is_refused(api, cast, zhang, spa, change, payload_extra, field):
    Benefit.objects.filter(pk=spa.pk).update(**change)
    earn(zhang, 200, actor=cast.lead)
    payload = {"reason": "redeem", "benefit": spa.pk, **payload_extra}
    response = api(cast.lead).post(url(zhang, "points/"), payload)
    assert response.status_code == 400 and field in response.json(), response.content
    assert not Redemption.objects.exists()


def test_a_benefit_of_another_campaign_is_refused(api, cast, zhang, spa):
    from tests.factories import CampaignFactory

    other = CampaignFactory(actor=cast.lead, team=cast.team, code="OTHER-1", name="Other",
                            start_date=dt.date(2027, 4, 1), end_date=dt.date(2027, 5, 1))  # fmt: skip
    Benefit.objects.filter(pk=spa.pk).update(campaign=other)
    earn(zhang, 200, actor=cast.lead)
    response = api(cast.lead).post(url(zhang, "points/"), {"reason": "redeem", "benefit": spa.pk})
    assert response.status_code == 400 and "benefit" in response.json()


def test_redeeming_more_than_the_balance_leaves_no_redemption(api, cast, zhang, spa):
    earn(zhang, 79, actor=cast.lead)
    response = api(cast.lead).post(url(zhang, "points/"), {"reason": "redeem", "benefit": spa.pk})
    assert response.status_code == 400 and "delta" in response.json()
    assert not Redemption.objects.exists()


# --- Expiry --------------------------------------------------------------------------------------------------------


def test_points_expire_oldest_first_and_a_second_run_changes_nothing(cast, zhang):
    earn(zhang, 100, actor=cast.lead, day=dt.date(2025, 3, 1))  # lapses after 2026-12-31
    earn(zhang, 50, actor=cast.lead, day=dt.date(2026, 5, 1))  # lapses after 2027-12-31
    points_record(actor=cast.lead, member=zhang, reason="redeem", delta=-30, today=dt.date(2026, 6, 1))
    assert points_expire(today=dt.date(2026, 12, 31)) == (0, 0)  # the last valid day
    assert points_expire(today=dt.date(2027, 1, 1)) == (1, 70)  # the 30 spent came out of the oldest lot
    zhang.refresh_from_db()
    assert zhang.points == 50
    assert points_expire(today=dt.date(2027, 1, 1)) == (0, 0)
    assert points_expire(today=dt.date(2027, 6, 1)) == (0, 0)
    zhang.refresh_from_db()
    assert zhang.points == 50
    assert points_expire(today=dt.date(2028, 1, 1)) == (1, 50)
    zhang.refresh_from_db()
    assert zhang.points == 0
    expiries = list(PointsEntry.objects.filter(reason="expire").order_by("id").values_list("delta", "created_by"))
    assert expiries == [(-70, None), (-50, None)]
    assert sum(PointsEntry.objects.values_list("delta", flat=True)) == zhang.points
    assert AuditEntry.objects.filter(action="members.points_expired").count() == 2


def test_spent_points_never_expire_again(cast, zhang):
    earn(zhang, 100, actor=cast.lead, day=dt.date(2025, 3, 1))
    points_record(actor=cast.lead, member=zhang, reason="redeem", delta=-100, today=dt.date(2025, 4, 1))
    assert points_expire(today=dt.date(2027, 1, 1)) == (0, 0)


def test_a_spend_cannot_use_points_that_have_lapsed(cast, zhang):
    earn(zhang, 100, actor=cast.lead, day=dt.date(2025, 3, 1))
    with pytest.raises(ApplicationError) as refused:
        points_record(actor=cast.lead, member=zhang, reason="redeem", delta=-10, today=dt.date(2027, 1, 5))
    assert "delta" in refused.value.errors
    zhang.refresh_from_db()
    assert zhang.points == 100  # the refusal rolled the member's own expiry back; the daily job writes it
    earn(zhang, 20, actor=cast.lead, day=dt.date(2027, 1, 5))  # the member's lapsed points expire first
    zhang.refresh_from_db()
    assert zhang.points == 20
    assert list(PointsEntry.objects.filter(reason="expire").values_list("delta", flat=True)) == [-100]


def test_a_positive_adjustment_without_a_date_lapses_like_earned_points(cast, zhang):
    entry = earn(zhang, 30, actor=cast.lead, day=dt.date(2025, 3, 1), reason="adjust")
    assert entry.expires_at == dt.date(2026, 12, 31)
    assert points_expire(today=dt.date(2027, 1, 1)) == (1, 30)


def add_members_with_points(campaign, lead, n, *, start):
    members = Member.objects.bulk_create(
        Member(external_id=f"P{start + i}", name="會員", annual_fee=Decimal("0.00"), source_campaign=campaign)
        for i in range(n)
    )
    for member in members:
        earn(member, 10 + member.pk % 7, actor=lead, day=dt.date(2025, 2, 1))
        points_record(actor=lead, member=member, reason="redeem", delta=-3, today=dt.date(2025, 6, 1))
    return members


def test_the_expiry_runs_the_same_number_of_queries_for_10_and_100_members(cast, campaign):
    counts = []
    for n, start in ((10, 0), (100, 1000)):
        PointsEntry.objects.all().delete()
        Member.objects.all().delete()
        members = add_members_with_points(campaign, cast.lead, n, start=start)
        with CaptureQueriesContext(connection) as queries:
            assert points_expire(today=dt.date(2027, 1, 1)) == (n, sum(10 + m.pk % 7 - 3 for m in members))
        counts.append(len(queries.captured_queries))
        assert not MemberPoints.objects.exclude(balance=0).exists()
        assert MemberPoints.objects.count() == n  # a balance row for every member with a ledger
    assert counts[0] == counts[1], counts


def test_the_daily_expiry_is_scheduled_and_runs_as_a_task(cast, zhang):
    from django_celery_beat.models import PeriodicTask

    from members.tasks import expire_points

    task = PeriodicTask.objects.get(task="members.expire_points")
    assert task.crontab.hour == "0" and task.crontab.minute == "15" and str(task.crontab.timezone) == "Asia/Shanghai"
    earn(zhang, 100, actor=cast.lead, day=dt.date(2025, 3, 1))
    with time_machine.travel(dt.datetime(2027, 1, 1, 1, 0, tzinfo=dt.UTC), tick=False):
        assert expire_points.apply().get() == [1, 100]
        assert expire_points.apply().get() == [0, 0]


# --- Racing spends (real transactions, PostgreSQL) ---------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_twenty_racing_spends_never_take_the_balance_below_zero(cast, campaign):
    need_service(using_postgres(), "PostgreSQL")
    member = Member.objects.create(external_id="RACE", name="會員", source_campaign=campaign)
    earn(member, 95, actor=cast.lead)
    barrier = threading.Barrier(20)
    outcomes: list[str] = []
    lock = threading.Lock()

    def spend() -> None:
        try:
            barrier.wait()
            points_record(actor=cast.lead, member=Member(pk=member.pk, source_campaign_id=campaign.pk),
                          reason="redeem", delta=-10)  # fmt: skip
            result = "spent"
        except ApplicationError as exc:
            result = "refused" if "delta" in exc.errors else f"error: {exc.errors}"
        except Exception as exc:  # anything else is a bug: recorded and asserted on
            result = f"error: {exc!r}"
        finally:
            connection.close()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=spend) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert len(outcomes) == 20
    assert not [o for o in outcomes if o.startswith("error")], outcomes
    assert outcomes.count("spent") == 9 and outcomes.count("refused") == 11
    member.refresh_from_db()
    assert member.points == 5
    assert sum(PointsEntry.objects.filter(member=member).values_list("delta", flat=True)) == 5


@pytest.mark.django_db(transaction=True)
def test_the_expiry_and_spends_racing_keep_the_ledger_and_balance_equal(cast, campaign):
    need_service(using_postgres(), "PostgreSQL")
    member = Member.objects.create(external_id="RACE2", name="會員", source_campaign=campaign)
    earn(member, 60, actor=cast.lead, day=dt.date(2025, 1, 10))  # lapsed by TODAY
    earn(member, 40, actor=cast.lead, day=TODAY)
    barrier = threading.Barrier(6)
    errors: list[str] = []

    def spend() -> None:
        try:
            barrier.wait()
            points_record(actor=cast.lead, member=Member(pk=member.pk, source_campaign_id=campaign.pk),
                          reason="redeem", delta=-10, today=TODAY)  # fmt: skip
        except ApplicationError:
            pass
        except Exception as exc:
            errors.append(repr(exc))
        finally:
            connection.close()

    def expire() -> None:
        try:
            barrier.wait()
            points_expire(today=TODAY)
        except Exception as exc:
            errors.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=spend) for _ in range(5)] + [threading.Thread(target=expire)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    member.refresh_from_db()
    # The 60 lapsed points expire once (by the job or by the first spend), whatever the order; of the 40 left,
    # four spends of 10 go through and the fifth is refused.
    assert member.points == 0
    assert sum(PointsEntry.objects.filter(member=member).values_list("delta", flat=True)) == member.points
    assert -sum(PointsEntry.objects.filter(member=member, reason="expire").values_list("delta", flat=True)) == 60
