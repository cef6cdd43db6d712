"""Campaign pages, split by area: ``pages`` (list, create, overview, plan, lifecycle) and ``work``
(tasks, Gantt timeline, KPIs, channels). Each module declares its own ``urlpatterns``."""
