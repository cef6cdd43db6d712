"""The Content-Security-Policy holds in a real browser: the main pages load, run their scripts and draw their
charts without one violation (no inline script or style, nothing from elsewhere), Swagger UI included.

Playwright's screenshots would hide the text caret with an inline style of their own: ``caret="initial"``.

Violations are caught twice: Chromium's console message ("Refused to … because it violates the following
Content Security Policy directive") and the ``securitypolicyviolation`` DOM event, recorded by an init script
(Playwright's init scripts are not subject to the page's policy).
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import Page, expect

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

RECORD_VIOLATIONS = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__csp.push(`${e.violatedDirective} blocked ${e.blockedURI || "inline"} ${JSON.stringify(e.sample)} at ${e.sourceFile}:${e.lineNumber}`);
});
"""


def seed():
    from budgets.demo import seed_budgets
    from campaigns.demo import seed_campaigns
    from campaigns.models import Campaign
    from campaigns.services import campaign_create
    from members.demo import seed_members
    from reviews.demo import seed_reviews
    from reviews.models import Meeting
    from risks.demo import seed_risks
    from teams.demo import seed_organisation

    users = seed_organisation()
    seed_campaigns(users)
    seed_budgets(users)
    seed_risks(users)
    seed_members(users, total=300)
    seed_reviews(users)
    wd = Campaign.objects.get(code="WD-2027")
    # A campaign without a budget yet, so that the budget editor opens (WD-2027's budget is in review).
    fresh = campaign_create(
        actor=users["lead"],
        team=wd.team,
        code="CSP-1",
        name="CSP check",
        start_date=dt.date(2027, 9, 1),
        end_date=dt.date(2027, 9, 30),
    )
    meeting = Meeting.objects.filter(series__campaign=wd).order_by("scheduled_at").first()
    return wd, fresh, meeting


def more_pages(wd) -> dict[str, str]:
    """Other pages with charts, bars or htmx: the policy must hold there too."""
    from budgets.models import Budget
    from reviews.models import Meeting
    from risks.models import Risk

    budget = Budget.objects.filter(campaign=wd).order_by("-version").first()
    held = Meeting.objects.filter(series__campaign=wd, status="held").first() or Meeting.objects.first()
    return {
        "tasks board": f"/campaigns/{wd.pk}/tasks/?view=board",
        "plan": f"/campaigns/{wd.pk}/plan/",
        "budget detail": f"/budgets/{budget.pk}/",
        "budget list": "/budgets/",
        "risk register": "/risks/",
        "risk detail": f"/risks/{Risk.objects.filter(campaign=wd).first().pk}/",
        "members": "/members/",
        "tiers": "/members/tiers/",
        "benefits": "/members/benefits/",
        "reviews": "/reviews/",
        "meeting": f"/reviews/meetings/{held.pk}/",
        "inbox": "/inbox/",
        "team": f"/teams/{wd.team_id}/",
        "printable summary": f"/campaigns/{wd.pk}/summary/",
    }


def test_main_pages_satisfy_the_content_security_policy(live_server, page: Page, screenshot_dir):
    wd, fresh, meeting = seed()
    console: list[str] = []
    page.on("console", lambda msg: console.append(msg.text) if "Content Security Policy" in msg.text else None)
    page.context.add_init_script(RECORD_VIOLATIONS)

    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill("lead")
    page.get_by_label("Password").fill("concord-demo")
    page.get_by_role("button", name="Log in").click()
    expect(page).not_to_have_url(re.compile(r"/accounts/login/"))

    pages = {
        "home": "/",
        "campaign overview": f"/campaigns/{wd.pk}/",
        "gantt": f"/campaigns/{wd.pk}/timeline/",
        "kpis": f"/campaigns/{wd.pk}/kpis/",
        "budget editor": f"/budgets/new/?campaign={fresh.pk}",
        "risk heat map": "/risks/matrix/",
        "risk exposure": f"/risks/exposure/{wd.pk}/",
        "members analytics": "/members/analytics/",
        "profile": "/profile/",
        "standup mode": f"/reviews/meetings/{meeting.pk}/run/",
        "api docs": "/api/docs/",
        **more_pages(wd),
    }
    problems: dict[str, list[str]] = {}
    for label, path in pages.items():
        console.clear()
        response = page.goto(f"{live_server.url}{path}")
        assert response is not None and response.status == 200, f"{label}: {response and response.status}"
        policy = response.headers.get("content-security-policy", "")
        assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy, f"{label}: {policy!r}"
        assert "script-src 'self'" in policy and "style-src 'self'" in policy, f"{label}: {policy!r}"
        # The one exception: style attributes on the Gantt page (Frappe Gantt's SVG), never scripts or <style>.
        allowed = "style-src-attr 'unsafe-inline'" if label == "gantt" else ""
        assert policy.replace(allowed, "").count("unsafe") == 0, f"{label}: {policy!r}"
        page.wait_for_load_state("networkidle")
        if label == "budget editor":
            # An htmx swap (a new line row) and the live summary: htmx must not need inline styles either.
            page.get_by_role("button", name=re.compile("Add line")).first.click()
            page.wait_for_load_state("networkidle")
        if label == "api docs":
            # Swagger UI started (its script is a file, not inline) and rendered the schema.
            expect(page.locator(".swagger-ui .info .title")).to_contain_text("Concord API")
            page.locator(".opblock-summary").first.click()
            page.wait_for_load_state("networkidle")
        page.screenshot(
            path=str(screenshot_dir / f"csp-{label.replace(' ', '-')}.png"), full_page=False, caret="initial"
        )
        seen = page.evaluate("window.__csp") + console
        if seen:
            problems[label] = seen
    assert not problems, "CSP violations:\n" + "\n".join(f"{k}: {v}" for k, v in problems.items())


def test_the_lock_out_page_explains_itself_and_keeps_the_policy(live_server, page: Page, screenshot_dir):
    from teams.demo import seed_organisation

    seed_organisation()
    console: list[str] = []
    page.on("console", lambda msg: console.append(msg.text) if "Content Security Policy" in msg.text else None)
    page.goto(f"{live_server.url}/accounts/login/")
    for _ in range(5):
        page.get_by_label("Username").fill("deputy")
        page.get_by_label("Password").fill("not-the-password")
        page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert")).to_contain_text("Too many failed login attempts")
    # The right password does not get in while the lock lasts.
    page.get_by_label("Username").fill("deputy")
    page.get_by_label("Password").fill("concord-demo")
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    expect(page.get_by_role("alert")).to_contain_text("locked for 15 minutes")
    page.screenshot(path=str(screenshot_dir / "csp-login-locked-out.png"), caret="initial")
    assert not console
