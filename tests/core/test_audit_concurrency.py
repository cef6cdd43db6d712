"""Many writers appending at once keep one unbroken chain (real concurrent transactions on PostgreSQL)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, transaction

from core.models import AuditEntry
from core.services.audit import audit_record, audit_verify
from tests.conftest import need_service, using_postgres

pytestmark = pytest.mark.django_db(transaction=True)


def test_concurrent_appends_form_one_linear_chain():
    need_service(using_postgres(), "PostgreSQL")
    writers, per_writer = 8, 15
    barrier = threading.Barrier(writers)
    errors: list[BaseException] = []

    def write(n: int) -> None:
        try:
            barrier.wait()
            for i in range(per_writer):
                with transaction.atomic():
                    audit_record(actor=None, action="test.append", object_type="x", object_id=f"{n}-{i}")
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    assert AuditEntry.objects.count() == writers * per_writer
    assert list(AuditEntry.objects.order_by("seq").values_list("seq", flat=True)) == list(
        range(1, writers * per_writer + 1)
    )
    result = audit_verify()
    assert result.ok, result
    assert result.checked == writers * per_writer
