"""The dashboards' URLs. They keep the paths and names they had when they lived in their domain apps: config/urls.py
mounts ``campaign_patterns`` inside the ``campaigns`` namespace (``campaigns:detail``, ``campaigns:summary``,
``campaigns:portfolio``) and ``home`` at the site root."""

from __future__ import annotations

from django.urls import path

from .views import channel_returns, feeds, home, my_tasks, overview, portfolio, search, summary

campaign_patterns = [
    path("portfolio/", portfolio.portfolio, name="portfolio"),
    path("<int:pk>/", overview.campaign_detail, name="detail"),
    path("<int:pk>/summary/", summary.campaign_summary_page, name="summary"),
    path("<int:pk>/channel-returns/", channel_returns.channel_returns_page, name="channel_returns"),
    path(
        "<int:pk>/channel-returns/rebalance/",
        channel_returns.channel_returns_rebalance,
        name="channel_returns_rebalance",
    ),
]
site_patterns = [
    path("", home.home, name="home"),
    path("search/", search.search_page, name="search"),
    path("my-tasks/", my_tasks.my_tasks, name="my_tasks"),
    path("my-tasks/filters/", my_tasks.my_tasks_filter_save, name="my_tasks_filter_save"),
    path("my-tasks/filters/<int:pk>/delete/", my_tasks.my_tasks_filter_delete, name="my_tasks_filter_delete"),
    path("profile/calendar/", feeds.calendar_feed_page, name="calendar_feed_page"),
    path("feeds/calendar/<str:token>.ics", feeds.calendar_feed, name="calendar_feed"),
]
