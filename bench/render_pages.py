"""Render the pages a performance change touches, for the demo personas in both languages, into a folder — to
compare the HTML before and after the change (issue 20: "HTML output unchanged where behaviour is unchanged").

    # the same demo database for both runs; the "before" code from a worktree of the commit before the change
    DATABASE_URL=sqlite:////tmp/cmp.sqlite3 python manage.py migrate && ... seed_demo
    (cd /tmp/before && DATABASE_URL=... python bench/render_pages.py /tmp/html-before)
    DATABASE_URL=... python bench/render_pages.py /tmp/html-after && diff -r /tmp/html-before /tmp/html-after

Per-request values (CSRF tokens, CSP nonces) are masked; ``RENDER_AT=2026-12-05T21:00:00+00:00`` (the same for
both runs) freezes the clock, so "5 minutes ago" reads the same. Pages answering other than 200 are written with
their status, so a page that broke shows in the diff too.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

sys.path.insert(0, os.getcwd())
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DEBUG", "1")  # static files without a manifest
os.environ["CELERY_TASK_ALWAYS_EAGER"] = "1"

PERSONAS = ("lead", "staff", "viewer", "finance", "exec", "admin", "outsider")
MASKS = [
    (re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"'), 'name="csrfmiddlewaretoken" value="…"'),
    (re.compile(r'"X-CSRFToken": "[^"]+"'), '"X-CSRFToken": "…"'),
    (re.compile(r'nonce="[^"]+"'), 'nonce="…"'),
]


def paths() -> list[str]:
    from campaigns.models import Campaign

    found = ["/", "/campaigns/", "/campaigns/portfolio/", "/campaigns/portfolio/?sort=health",
             "/campaigns/portfolio/?health=red", "/risks/", "/risks/?status=live&band=high", "/risks/matrix/",
             "/budgets/", "/budgets/awaiting-my-signoff/", "/members/", "/reviews/", "/my-tasks/",
             "/members/analytics/", "/members/?tier=top", "/members/analytics/?by=week"]  # fmt: skip
    for pk in Campaign.objects.order_by("pk").values_list("pk", flat=True):
        found += [
            f"/campaigns/{pk}/",
            f"/campaigns/{pk}/tasks/",
            f"/campaigns/{pk}/timeline/",
            f"/risks/?campaign={pk}",
        ]
    return found


def main() -> None:
    import django

    django.setup()
    from django.conf import settings
    from django.test import Client

    from teams.models import User

    settings.ALLOWED_HOSTS = ["*"]
    if os.environ.get("RENDER_AT"):
        import time_machine

        time_machine.travel(os.environ["RENDER_AT"], tick=False).start()
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    for username in PERSONAS:
        user = User.objects.get(username=username)
        for language in ("en", "zh-hans"):
            User.objects.filter(pk=user.pk).update(language=language)
            client = Client()
            client.force_login(user)
            for path in paths():
                response = client.get(path)
                body = response.content.decode("utf-8", "replace") if response.status_code == 200 else ""
                for pattern, mask in MASKS:
                    body = pattern.sub(mask, body)
                name = re.sub(r"[^A-Za-z0-9]+", "_", path).strip("_") or "home"
                (out / f"{username}-{language}-{name}.html").write_text(f"status {response.status_code}\n{body}")
        User.objects.filter(pk=user.pk).update(language="en")
    print(f"rendered {len(list(out.iterdir()))} pages into {out}")


if __name__ == "__main__":
    main()
