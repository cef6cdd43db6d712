"""No personal data in logs (SPEC 8): a member import with bad rows, an unmasked export, failed logins (page and
token endpoint) and a server error while member data is in the request leave no member name or phone and no
password in anything logged — every logger at DEBUG, including those that do not propagate to the root."""

from __future__ import annotations

import logging

import pytest
from django.test import Client

from members.models import Member
from tests.factories import UserFactory
from tests.members.conftest import HEADER, campaign_for, create_job, upload

pytestmark = pytest.mark.django_db

NAMES = ("歐陽娜娜", "張三豐", "李小龍")
PHONES = ("13800000001", "13912345678", "13700000099")
BAD_NAME, BAD_PHONE = "趙錯行", "1380000"  # a row refused for its phone
PASSWORD = "Sup3r-Secret-Pa55"


@pytest.fixture
def all_logs(caplog):
    """caplog on every logger at DEBUG: the root, and each logger that does not propagate (e.g. "django")."""
    caplog.set_level(logging.DEBUG)
    patched = []
    for logger in [logging.getLogger(name) for name in list(logging.root.manager.loggerDict)]:
        if isinstance(logger, logging.Logger):
            patched.append((logger, logger.level))
            logger.setLevel(logging.DEBUG)
            if not logger.propagate:
                logger.addHandler(caplog.handler)
    yield caplog
    for logger, level in patched:
        logger.setLevel(level)
        logger.removeHandler(caplog.handler)


def logged(caplog) -> str:
    """Everything logged, as the handlers would write it: messages, arguments and tracebacks."""
    formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
    return "\n".join(formatter.format(record) for record in caplog.records)


def test_no_member_data_and_no_password_in_the_logs(all_logs, cast, campaign, monkeypatch):
    from members.imports import import_run

    lead = cast.lead
    lead.set_password(PASSWORD)
    lead.save()
    rows = "".join(
        f"P{n},{name},{phone},199.99,25-34,是,WD-2027,\n" for n, (name, phone) in enumerate(zip(NAMES, PHONES))
    )
    rows += f"P9,{BAD_NAME},{BAD_PHONE},abc,25-34,是,WD-2027,\n"

    # 1. An import with a bad row (the job runs in-process, eagerly).
    job = import_run(create_job(actor=lead, upload=upload(HEADER + rows)).pk)
    assert job.status == "done" and job.created == 3 and job.error_count == 1
    assert Member.objects.filter(name__in=NAMES).count() == 3

    # 2. An unmasked export (an admin holds members.view_pii) and a search by phone.
    admin = Client()
    admin.force_login(cast.admin)
    export = admin.get("/members/export.csv", {"pii": "1"})
    body = b"".join(export.streaming_content).decode("utf-8-sig")
    assert NAMES[0] in body and PHONES[0] in body  # the export itself is unmasked; the logs must not be
    assert admin.get("/members/", {"search": PHONES[1]}).status_code == 200

    # 3. Failed logins with the password of someone else, on the page and the token endpoint, up to the lock-out.
    for _ in range(6):
        Client().post("/accounts/login/", {"username": lead.username, "password": PASSWORD + "x"})
    Client().post(
        "/api/v1/auth/token/", {"username": "t-viewer", "password": PASSWORD}, content_type="application/json"
    )

    # 4. A server error while the request carries member data (an upload of the same file, a search by name).
    def broken(**kwargs):
        raise RuntimeError("the import service broke")

    monkeypatch.setattr("members.views.import_job_create", broken)
    crashing = Client(raise_request_exception=False)
    crashing.force_login(lead)
    error = crashing.post(
        f"/members/import/upload/?name={NAMES[2]}&phone={PHONES[2]}",
        {"file": upload(HEADER + rows), "campaign": campaign_for(lead).pk},
    )
    assert error.status_code == 500

    text = logged(all_logs)
    assert "Internal Server Error" in text  # the 500 was logged, so the logs were captured
    assert "AXES" in text  # and so were the failed logins
    leaks = [value for value in (*NAMES, *PHONES, BAD_NAME, BAD_PHONE, PASSWORD) if value in text]
    assert not leaks, f"personal data or a password in the logs: {leaks}\n{text}"


def test_the_capture_sees_what_a_careless_log_line_would_write(all_logs):
    """The check above can fail: a log line with a member's name is caught, from a non-propagating logger too."""
    logging.getLogger("django.request").warning("member %s called", NAMES[0])
    logging.getLogger("members.imports").debug("row %s", PHONES[0])
    text = logged(all_logs)
    assert NAMES[0] in text and PHONES[0] in text
    assert UserFactory is not None
