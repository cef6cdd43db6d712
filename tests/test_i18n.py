"""The Simplified Chinese catalogue: complete, placeholders intact, and actually used by the pages."""

from __future__ import annotations

import re
from pathlib import Path

import polib
import pytest
from asgiref.local import Local
from django.conf import settings
from django.core.management import call_command
from django.utils import translation
from django.utils.translation import gettext, trans_real

from core.roles import TeamRole
from tests.factories import UserFactory

PO_PATH = Path(settings.BASE_DIR) / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"

# printf-style named placeholders as Django uses them: %(name)s, %(count)d, %(total)5.2f …
PLACEHOLDER = re.compile(r"%\(\w+\)[-#0 +]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa]")
HTML_TAG = re.compile(r"</?[a-zA-Z][^>]*>")


@pytest.fixture(scope="session", autouse=True)
def compiled_catalogue():
    """Compile the .po to .mo, then drop Django's per-process translation cache so the fresh .mo is read."""
    call_command("compile_catalogue")
    trans_real._translations = {}
    trans_real._default = None
    trans_real._active = Local()
    yield


def _catalogue() -> polib.POFile:
    return polib.pofile(str(PO_PATH))


def test_catalogue_has_no_untranslated_or_fuzzy_entries():
    po = _catalogue()
    untranslated = [entry.msgid for entry in po.untranslated_entries()]
    fuzzy = [entry.msgid for entry in po.fuzzy_entries()]
    assert not untranslated, f"untranslated msgids: {untranslated}"
    assert not fuzzy, f"fuzzy msgids: {fuzzy}"
    assert not po.metadata_is_fuzzy, "the catalogue header is marked fuzzy"
    assert po.metadata.get("Plural-Forms", "").replace(" ", "") == "nplurals=1;plural=0;"


def test_catalogue_placeholders_match():
    problems = []
    for entry in _catalogue():
        if entry.msgid_plural:
            source = entry.msgid_plural
            translations = list(entry.msgstr_plural.values())
        else:
            source = entry.msgid
            translations = [entry.msgstr]
        for translated in translations:
            if set(PLACEHOLDER.findall(translated)) != set(PLACEHOLDER.findall(source)):
                problems.append(f"placeholders differ: {source!r} -> {translated!r}")
            if sorted(HTML_TAG.findall(translated)) != sorted(HTML_TAG.findall(source)):
                problems.append(f"HTML tags differ: {source!r} -> {translated!r}")
    assert not problems, "\n".join(problems)


@pytest.mark.django_db
def test_pages_render_in_chinese(client):
    user = UserFactory(username="zh", language="zh-hans")
    client.force_login(user)
    home = client.get("/")
    assert home.status_code == 200
    html = home.content.decode()
    assert '<html lang="zh-hans">' in html
    for label in (">活动<", "收件箱", ">团队<", "我的团队"):
        assert label in html, f"{label!r} missing from the home page"
    assert "My teams" not in html

    client.logout()
    client.cookies["django_language"] = "zh-hans"
    login = client.get("/accounts/login/")
    assert login.status_code == 200
    assert "登录 Concord" in login.content.decode()


def test_membership_notification_reads_naturally_in_chinese():
    with translation.override("zh-hans"):
        text = gettext("You are now %(role)s of the team %(team)s.") % {
            "role": TeamRole(TeamRole.DEPUTY).label,
            "team": "女神节专项工作组",
        }
    assert text == "您现在是团队“女神节专项工作组”的副组长。"
