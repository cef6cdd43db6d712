from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from core.models import AuditEntry
from core.services.audit import audit_record, audit_verify

pytestmark = pytest.mark.django_db


def record_three(actor):
    audit_record(
        actor=actor,
        action="budget.submitted",
        object_type="budgets.budget",
        object_id="7",
        before={"status": "draft"},
        after={"status": "in_review", "total": Decimal("30000000.00")},
    )
    audit_record(
        actor=actor,
        action="budget.signed",
        object_type="budgets.budget",
        object_id="7",
        after={"role": "finance", "decision": "approve", "note": "合規 ✓"},
    )
    audit_record(
        actor=None,
        action="risk.alert_raised",
        object_type="risks.risk",
        object_id="3",
        before={"alert_level": "blue"},
        after={"alert_level": "yellow"},
    )


def test_entries_are_chained_in_sequence(cast):
    record_three(cast.lead)
    entries = list(AuditEntry.objects.order_by("seq"))
    assert [e.seq for e in entries] == [1, 2, 3]
    assert entries[0].prev_hash == ""
    assert entries[1].prev_hash == entries[0].hash
    assert entries[2].prev_hash == entries[1].hash
    assert entries[0].after["total"] == "30000000.00"
    assert audit_verify().ok
    assert audit_verify().checked == 3


def test_verify_audit_command_reports_an_intact_ledger(cast, capsys):
    record_three(cast.lead)
    call_command("verify_audit")
    assert "3 entries verified" in capsys.readouterr().out


def test_tampered_content_is_found_and_named(cast):
    record_three(cast.lead)
    AuditEntry.objects.filter(seq=2).update(after={"role": "finance", "decision": "reject"})
    with pytest.raises(CommandError, match=r"broken at entry #2: its content does not match its hash"):
        call_command("verify_audit")


def test_a_removed_entry_is_found(cast):
    record_three(cast.lead)
    AuditEntry.objects.filter(seq=2).delete()
    result = audit_verify()
    assert not result.ok
    assert result.first_bad_seq == 3


def test_a_removed_last_entry_is_found(cast):
    record_three(cast.lead)
    AuditEntry.objects.filter(seq=3).delete()
    result = audit_verify()
    assert not result.ok
    assert "should end at 3" in result.problem


def test_changing_the_actor_breaks_the_chain(cast):
    record_three(cast.lead)
    AuditEntry.objects.filter(seq=1).update(actor_username="someone-else")
    assert audit_verify().first_bad_seq == 1


def test_rehashing_one_entry_still_breaks_the_link_to_the_next(cast):
    record_three(cast.lead)
    AuditEntry.objects.filter(seq=1).update(hash="0" * 64)
    result = audit_verify()
    assert result.first_bad_seq == 1
