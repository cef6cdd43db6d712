"""The budget pages (mounted at /budgets/): list, editor, detail with burn and timeline, sign-off queue,
version history, exports. Thin views: a form parses, a service decides, a template renders."""

from __future__ import annotations

from . import actions, editor, pages

app_name = "budgets"
urlpatterns = [*pages.urlpatterns, *editor.urlpatterns, *actions.urlpatterns]
