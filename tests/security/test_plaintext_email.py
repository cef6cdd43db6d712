"""Also in issue 13: notification e-mails showed ``&quot;``/``&lt;`` — plain-text templates were HTML-escaped.
A plain-text mail carries the characters as typed (nothing in a text/plain body is ever markup)."""

from __future__ import annotations

import pytest

from core.models import NotificationVerb
from core.services.notifications import notification_send_emails, notify
from tests.factories import message_for

pytestmark = pytest.mark.django_db


def test_a_plain_text_email_is_not_html_escaped(cast, mailoutbox):
    cast.lead.email = "lead@example.com"
    cast.lead.display_name = 'Li "Lily" <Wang> & co'
    cast.lead.save()
    [notification] = notify(
        recipients=[cast.lead],
        message=message_for(NotificationVerb.RISK_ALERT, "Red alert on risk %(title)s"),
        params={"title": 'Supplier "A&B" <late>'},
        url="/risks/1/",
        email=False,
    )
    assert notification_send_emails(notification_ids=[notification.pk]) == 1
    [mail] = mailoutbox
    assert 'Supplier "A&B" <late>' in mail.body
    assert "&quot;" not in mail.body and "&lt;" not in mail.body and "&amp;" not in mail.body
    assert 'Li "Lily" <Wang> & co' in mail.body
