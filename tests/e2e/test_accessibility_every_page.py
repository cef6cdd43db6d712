"""axe-core over every page of the permission matrix (issue 18 item 3).

The pages are not listed by hand: they are every HTML route that ``tests/test_permission_matrix.py`` RULES says
the persona may GET (status 200), with the matrix's own world of objects filling the URL arguments. So a new page
is audited as soon as it gets its matrix line. Each page is audited as the lead, a finance approver, the
executive and the admin, in both languages, at 1366 px and at 390 px. Exports, downloads and htmx fragments (any
answer that is not a whole HTML document) are skipped: axe audits documents.

A failure lists every `serious` or `critical` violation by page, width, rule and element.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.e2e.test_accessibility import AXE, RUN
from tests.e2e.test_foundation_journey import log_in
from tests.test_permission_matrix import RULES, build_world, is_api, iter_patterns, url_kwargs

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

PERSONAS = ("lead", "finance", "exec", "admin")
WIDTHS = (1366, 390)
# Not the product's own pages: the API's documentation (Swagger UI's markup) and the Django admin.
NOT_OURS = {"api-docs", "admin:index"}


def readable_pages(persona: str, world: dict) -> list[str]:
    """URL of every HTML route the persona may read, by the permission matrix."""
    patterns = {name: (route, pattern) for name, route, pattern in iter_patterns()}
    urls = []
    for name, rule in sorted(RULES.items()):
        if name in NOT_OURS or "GET" not in rule or rule["GET"].get(persona) != 200:
            continue
        route, pattern = patterns[name]
        if is_api(route):
            continue
        urls.append(reverse(name, kwargs=url_kwargs(name, pattern, route, world)))
    return urls


@pytest.mark.parametrize("language", ["en", "zh-hans"])
@pytest.mark.parametrize("persona", PERSONAS)
def test_every_readable_page_passes_axe(live_server, new_page, db, persona, language):
    world = build_world()
    urls = readable_pages(persona, world)
    assert len(urls) > 30, urls  # the sweep found the site's pages (58 for the lead when this was written)
    page = new_page(WIDTHS[0], 900)
    # Bootstrap's 0.15 s colour transitions are off with reduced motion, so axe never reads a colour mid-fade.
    page.emulate_media(reduced_motion="reduce")
    log_in(page, live_server.url, persona)
    page.locator(f"#language-switch button[value={language}]").evaluate("button => button.click()")
    page.wait_for_load_state("networkidle")
    # Which URLs answer with a whole HTML document (not an export, a download or an htmx fragment): asked once.
    documents = []
    for url in urls:
        answer = page.request.get(live_server.url + url)
        assert answer.ok, (url, answer.status)
        if "text/html" in answer.headers.get("content-type", "") and "<main" in answer.text():
            documents.append(url)
    found: list[str] = []
    audited = 0
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900 if width > 576 else 844})
        for url in documents:
            response = page.goto(live_server.url + url)  # waits for "load": no page fetches its content later
            assert response is not None and response.ok, (url, response and response.status)
            assert page.locator("html").get_attribute("lang") == language, url
            page.evaluate(AXE)
            audited += 1
            for violation in page.evaluate(RUN):
                found.append(
                    f"{url} @{width}px: {violation['rule']} ({violation['impact']}) at {', '.join(violation['nodes'])}"
                )
    assert audited > 50, audited
    assert not found, f"{len(found)} violations as {persona} in {language}:\n" + "\n".join(found)
