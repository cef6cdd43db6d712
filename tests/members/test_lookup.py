"""Phone lookup for customer service (SPEC 10.6): an exact, complete number finds the one member, masked; never a
partial match; who may; audited without the number; rate-limited per user — in the API and on the page."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db import connection

from core.models import AuditEntry
from members.lookup import MemberLookupThrottle, phone_fingerprint, phone_forms
from members.models import Member
from members.rights import member_erase

pytestmark = pytest.mark.django_db

URL = "/api/v1/members/lookup/"
PAGE = "/members/lookup/"
PHONE = "13812345678"


@pytest.fixture
def zhang(campaign):
    return Member.objects.create(external_id="Z1", name="張三", phone=PHONE, annual_fee=Decimal("250.00"),
                                 tier="mid_high", consent=True, source_campaign=campaign)  # fmt: skip


def lookups() -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action="members.looked_up").order_by("seq"))


def no_full_number(entry: AuditEntry, *numbers: str) -> bool:
    text = json.dumps([entry.object_type, entry.object_id, entry.before, entry.after, entry.scope], ensure_ascii=False)
    return not any(number in text for number in numbers)


# --- Finding the member ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("typed", [PHONE, "138 1234 5678", "138-1234-5678", "+86 138 1234 5678", "008613812345678",
                                   "１３８１２３４５６７８"])  # fmt: skip
def test_a_complete_number_finds_the_member_masked(api, cast, zhang, typed):
    response = api(cast.member).get(URL, {"phone": typed})
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["id"], body["external_id"], body["name"], body["phone"]) == (zhang.pk, "Z1", "張*", "138****5678")


def test_a_number_stored_with_the_country_code_is_found_by_the_national_number(api, cast, zhang):
    Member.objects.filter(pk=zhang.pk).update(phone="+8613812345678")
    assert api(cast.member).get(URL, {"phone": PHONE}).json()["external_id"] == "Z1"


def test_an_admin_sees_the_member_unmasked(api, cast, zhang):
    body = api(cast.admin).get(URL, {"phone": PHONE}).json()
    assert (body["name"], body["phone"]) == ("張三", PHONE)


def test_an_unknown_number_is_404(api, cast, zhang):
    response = api(cast.member).get(URL, {"phone": "13900000000"})
    assert response.status_code == 404


@pytest.mark.parametrize("typed", ["5678", "138", "138123", "1381234567", "138****5678", "1381234%", "abc", "+86"])
def test_part_of_a_number_is_refused_never_matched(api, cast, zhang, typed):
    response = api(cast.member).get(URL, {"phone": typed})
    assert response.status_code == 400, (typed, response.content)
    assert "complete phone number" in response.json()["phone"][0]
    assert not lookups()  # a refused request is not a lookup


def test_a_missing_number_is_a_field_error(api, cast):
    response = api(cast.member).get(URL)
    assert response.status_code == 400 and "phone" in response.json()


def test_the_forms_of_a_number_are_exact_matches_only():
    assert phone_forms("+86 138-1234-5678") == [PHONE, "+86" + PHONE, "0086" + PHONE, "86" + PHONE]
    assert phone_forms("010-8888 6666") == ["01088886666", "+861088886666", "00861088886666"]
    assert phone_forms("+44 20 7946 0958") == ["+442079460958", "00442079460958"]


def test_members_sharing_a_number_are_listed_masked_with_409(api, cast, campaign, zhang):
    Member.objects.create(external_id="Z2", name="張小三", phone="+86" + PHONE, source_campaign=campaign)
    response = api(cast.member).get(URL, {"phone": PHONE})
    assert response.status_code == 409
    assert [(m["external_id"], m["name"]) for m in response.json()["members"]] == [("Z1", "張*"), ("Z2", "張**")]


def test_an_erased_member_is_not_found_by_its_old_number(api, cast, zhang):
    member_erase(actor=cast.admin, member=zhang)
    assert api(cast.member).get(URL, {"phone": PHONE}).status_code == 404


# --- Who may ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("person", "status"),
    [("lead", 200), ("deputy", 200), ("member", 200), ("admin", 200), ("viewer", 403), ("executive", 403),
     ("finance", 403), ("outsider", 404)],
)  # fmt: skip
def test_who_may_look_up(api, cast, zhang, person, status):
    assert api(getattr(cast, person)).get(URL, {"phone": PHONE}).status_code == status


def test_anonymous_visitors_are_asked_to_sign_in(api, zhang):
    assert api().get(URL, {"phone": PHONE}).status_code == 401


def test_the_outsider_finds_its_own_teams_members_only(api, cast, zhang):
    from tests.factories import CampaignFactory

    other = CampaignFactory(actor=cast.outsider, team=cast.outsider.memberships.get().team, code="CE-1")
    Member.objects.create(external_id="O1", name="王五", phone="13700000000", source_campaign=other)
    client = api(cast.outsider)
    assert client.get(URL, {"phone": "13700000000"}).json()["external_id"] == "O1"
    assert client.get(URL, {"phone": PHONE}).status_code == 404
    assert api(cast.member).get(URL, {"phone": "13700000000"}).status_code == 404


# --- Audit and rate limit --------------------------------------------------------------------------------------


def test_every_lookup_is_audited_without_the_number(api, cast, zhang):
    client = api(cast.member)
    client.get(URL, {"phone": "+86 138 1234 5678"})
    client.get(URL, {"phone": "13900000000"})
    found, none = lookups()
    assert (found.actor_id, found.object_type, found.object_id) == (cast.member.pk, "members.member", str(zhang.pk))
    assert found.after["result"] == "found" and found.after["members"] == ["Z1"] and found.after["via"] == "api"
    assert found.after["phone"] == "138****5678" and found.after["phone_hmac"] == phone_fingerprint(PHONE)
    assert (none.actor_id, none.object_id, none.after["result"], none.after["members"]) == (cast.member.pk, "",
                                                                                         "none", [])  # fmt: skip
    assert none.after["phone"] == "139****0000"
    for entry in (found, none):
        assert no_full_number(entry, PHONE, "13900000000", "+86" + PHONE)


def test_the_fingerprint_is_keyed_not_a_plain_hash():
    import hashlib

    assert phone_fingerprint(PHONE) not in {hashlib.sha256(PHONE.encode()).hexdigest()[:32],
                                            hashlib.md5(PHONE.encode()).hexdigest()}  # noqa: S324  # fmt: skip


@pytest.fixture
def lookup_rate(settings):
    settings.MEMBER_LOOKUP_RATE = "3/minute"
    yield
    cache.clear()


def _forget_counts(*users):
    for user in users:
        cache.delete(MemberLookupThrottle().cache_format % {"scope": "member_lookup", "ident": user.pk})


def test_lookups_are_rate_limited_per_user(api, cast, zhang, lookup_rate):
    _forget_counts(cast.member, cast.lead)
    client = api(cast.member)
    statuses = [client.get(URL, {"phone": PHONE}).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    assert len(lookups()) == 3  # the refused one looked nothing up
    assert api(cast.lead).get(URL, {"phone": PHONE}).status_code == 200  # per user


def test_the_page_and_the_api_share_the_count(api, browser_client, cast, zhang, lookup_rate):
    _forget_counts(cast.member)
    for _ in range(3):
        assert api(cast.member).get(URL, {"phone": PHONE}).status_code == 200
    response = browser_client(cast.member).post(PAGE, {"phone": PHONE})
    assert response.status_code == 429
    assert "Too many lookups" in response.content.decode()


def test_the_phone_column_has_an_index_the_lookup_uses(cast, zhang):
    from members.lookup import _matches

    assert "member_phone" in {index.name for index in Member._meta.indexes}
    query = _matches(cast.admin, phone_forms(PHONE))
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_seqscan = off")  # a handful of rows: the planner would scan them
    assert "member_phone" in query.explain()


# --- The page --------------------------------------------------------------------------------------------------


def test_the_page_shows_the_masked_record(browser_client, cast, zhang):
    client = browser_client(cast.member)
    assert 'name="phone"' in client.get(PAGE).content.decode()
    html = client.post(PAGE, {"phone": "138 1234 5678"}).content.decode()
    assert 'data-lookup="found"' in html and 'data-member="Z1"' in html
    assert "張*" in html and "138****5678" in html and "張三" not in html and PHONE not in html
    assert lookups()[0].after["via"] == "web"


def test_the_page_says_when_no_member_has_the_number(browser_client, cast, zhang):
    html = browser_client(cast.outsider).post(PAGE, {"phone": PHONE}).content.decode()
    assert 'data-lookup="none"' in html and "No member with this number." in html and "Z1" not in html


def test_the_page_refuses_part_of_a_number(browser_client, cast, zhang):
    response = browser_client(cast.member).post(PAGE, {"phone": "5678"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "complete phone number" in html and 'data-lookup="found"' not in html
    assert not lookups()


@pytest.mark.parametrize("person", ["viewer", "executive", "finance"])
def test_the_page_is_refused_to_readers(browser_client, cast, zhang, person):
    client = browser_client(getattr(cast, person))
    assert client.get(PAGE).status_code == 403
    assert client.post(PAGE, {"phone": PHONE}).status_code == 403
    assert not lookups()


def test_the_tab_shows_only_to_those_who_may_look_up(browser_client, client, cast, zhang):
    assert 'data-nav="member-lookup"' in browser_client(cast.member).get("/members/").content.decode()
    client.logout()
    assert 'data-nav="member-lookup"' not in browser_client(cast.viewer).get("/members/").content.decode()


def test_the_demo_customer_service_persona_looks_a_member_up(client):
    from campaigns.demo import seed_campaigns
    from members.demo import seed_members
    from teams.demo import seed_organisation

    users = seed_organisation()
    seed_campaigns(users)
    seed_members(users, total=20)
    member = Member.objects.filter(source_campaign__code="WD-2027").exclude(phone="").order_by("pk").first()
    client.force_login(users["service"])
    html = client.post(PAGE, {"phone": member.phone}).content.decode()
    assert f'data-member="{member.external_id}"' in html
    assert member.phone not in html and member.name not in html
